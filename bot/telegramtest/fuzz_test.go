package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzRequest feeds arbitrary bodies to the handler directly (net/http would
// recover a panic and hide it) and checks every answer is a Bot API response.
func FuzzRequest(f *testing.F) {
	contentTypes := []string{
		"application/json",
		"application/x-www-form-urlencoded",
		"multipart/form-data; boundary=XYZ",
		"text/plain",
		"",
	}
	f.Add("sendMessage", uint8(0), []byte(`{"chat_id":1001,"text":"hi","parse_mode":"MarkdownV2"}`))
	f.Add("sendMessage", uint8(0), []byte(`{"chat_id":1001,"text":"<b>x</b>","parse_mode":"HTML","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`))
	f.Add("editMessageText", uint8(1), []byte("chat_id=1001&message_id=2&text=%2Ahi&parse_mode=Markdown"))
	f.Add("sendDocument", uint8(2), []byte("--XYZ\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n1001\r\n--XYZ\r\nContent-Disposition: form-data; name=\"document\"; filename=\"a.txt\"\r\n\r\nabc\r\n--XYZ--\r\n"))
	f.Add("getUpdates", uint8(0), []byte(`{"offset":-1,"limit":5}`))
	f.Add("answerCallbackQuery", uint8(1), []byte("callback_query_id=4000000000001&text=ok"))
	f.Add("sendMessage", uint8(0), []byte(`{"chat_id":1001,"text":"\\`))

	s := NewServer()
	defer s.Close()
	alice := User{ID: 1001, FirstName: "Alice"}
	s.SendText(alice, "/start")
	s.mu.Lock()
	_, _ = s.sendMessage(&params{values: map[string]string{"chat_id": "1001", "text": "Q",
		"reply_markup": `{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}`}})
	s.mu.Unlock()
	if _, err := s.PressButton(alice, alice.ID, 2, "a"); err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, method string, ct uint8, body []byte) {
		if m := apiSpec[strings.ToLower(method)]; m != nil && m.Name == "getUpdates" {
			method = "getUpdates" // never long-poll: a timeout would stall the fuzzer
			body = []byte(`{"timeout":0}`)
		}
		req := httptest.NewRequest(http.MethodPost, "/bot"+s.token+"/"+url.PathEscape(method), strings.NewReader(string(body)))
		req.Header.Set("Content-Type", contentTypes[int(ct)%len(contentTypes)])
		rec := httptest.NewRecorder()
		s.serveHTTP(rec, req)
		s.mu.Lock()
		s.calls = nil // keep the long-lived server small
		s.mu.Unlock()
		var resp struct {
			OK          bool   `json:"ok"`
			ErrorCode   int    `json:"error_code"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer is not JSON: %v: %q", err, rec.Body.String())
		}
		if !resp.OK && (resp.ErrorCode != rec.Code || resp.Description == "") {
			t.Fatalf("bad error answer %d: %s", rec.Code, rec.Body.String())
		}
	})
}

func TestFormatText(t *testing.T) {
	tests := []struct {
		text, mode, want, err string
	}{
		{"plain *text*", "", "plain *text*", ""},
		{"<b>bold</b> &amp; <a href=\"https://x\">link</a>", "HTML", "bold & link", ""},
		{"a <br> b", "HTML", "", `Unsupported start tag "br"`},
		{"<b>open", "html", "", `Can't find end tag corresponding to start tag "b"`},
		{"<b><i>x</b></i>", "HTML", "", "Unmatched end tag"},
		{"*bold* _it_ __u__ ~s~ ||sp|| `c\\`` [l](https://x/\\)) \\. \\!", "MarkdownV2", "bold it u s sp c` l . !", ""},
		{"```go\ncode.\n```", "MarkdownV2", "code.\n", ""},
		{"> quote", "MarkdownV2", " quote", ""},
		{"1. item", "MarkdownV2", "", "Character '.' is reserved"},
		{"*open", "MarkdownV2", "", "Can't find end of Bold entity at byte offset 0"},
		{"trailing \\", "MarkdownV2", "", "is reserved"},
		{"*b* _i_ [t](u) 1.5", "Markdown", "b i t 1.5", ""},
		{"snake_case", "Markdown", "", "Can't find end of the entity starting at byte offset 5"},
		{"x", "md", "", "unsupported parse_mode"},
	}
	for _, tt := range tests {
		got, err := formatText(tt.text, tt.mode)
		if tt.err != "" {
			if !strings.Contains(err, tt.err) {
				t.Errorf("formatText(%q, %s) error = %q, want %q", tt.text, tt.mode, err, tt.err)
			}
			continue
		}
		if err != "" || got != tt.want {
			t.Errorf("formatText(%q, %s) = %q, %q; want %q", tt.text, tt.mode, got, err, tt.want)
		}
	}
}

func TestSpecEmbedded(t *testing.T) {
	if apiVersion == "" || len(apiSpec) < 100 {
		t.Fatalf("spec %q has %d methods", apiVersion, len(apiSpec))
	}
	send := apiSpec["sendmessage"]
	if send == nil || !send.Fields["chat_id"].Required || !send.Fields["text"].Required || send.Fields["parse_mode"].Required {
		t.Fatalf("sendMessage = %+v", send)
	}
	if _, ok := send.Fields["reply_to_message_id"]; !ok {
		t.Error("legacy reply_to_message_id not accepted")
	}
}
