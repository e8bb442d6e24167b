package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/flows"
)

// recordingClient answers every Bot API call with answer (getMe with a
// bot) and records what was sent.
type recordingClient struct {
	mu     sync.Mutex
	answer string
	status int
	urls   []string
	bodies []string
	types  []string
}

func (c *recordingClient) Do(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	answer, status := c.answer, c.status
	if strings.HasSuffix(req.URL.Path, "/getMe") {
		answer, status = `{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"B","username":"b_bot"}}`, 200
	} else {
		c.urls = append(c.urls, req.URL.String())
		c.bodies = append(c.bodies, string(body))
		c.types = append(c.types, req.Header.Get("Content-Type"))
	}
	if status == 0 {
		status = 200
	}
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(answer)), Request: req}, nil
}

func (c *recordingClient) last() (url, body, contentType string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.urls) - 1
	return c.urls[n], c.bodies[n], c.types[n]
}

func newRecordingAPI(t *testing.T, endpoint string) (*tgbotapi.BotAPI, *recordingClient) {
	t.Helper()
	rc := &recordingClient{answer: `{"ok":true,"result":true}`}
	api, err := tgbotapi.NewBotAPIWithClient("123:secret", endpoint, rc)
	if err != nil {
		t.Fatal(err)
	}
	return api, rc
}

// TestBotAPIEncodesAsTgbotapi sends each kind of call the update path
// makes both through tgbotapi's Request and through botAPI, and checks
// that the two requests carry the same URL, content type and parameters,
// byte for byte (JSON values included).
func TestBotAPIEncodesAsTgbotapi(t *testing.T) {
	odd := "Quotes \" and \\ <b>&amp;</b> tab\t nl\n cr\r \b \f \x01 é 😀 \u2028 \u2029 \xff + = & % ? /"
	data := "a:1:q2:y&=+ ü"
	kb := keyboard([][]flows.Button{{{Label: "Yes", Data: "a:1:q:y"}, {Label: odd, Data: data}}, {{Label: "", Data: ""}}})
	urlStr := "https://example.org/?a=1&b=2"
	calls := []tgbotapi.Chattable{
		tgbotapi.NewMessage(42, "hello"),
		tgbotapi.NewMessage(-100123, odd),
		message(42, flows.Reply{Text: "Question 1: ok?", Buttons: [][]flows.Button{{{Label: "Yes", Data: "a:1:q1:y"}, {Label: "No", Data: "a:1:q1:n"}}}}),
		func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(42, "odd")
			m.ReplyMarkup = *kb
			m.ReplyToMessageID = 7
			m.DisableNotification = true
			m.AllowSendingWithoutReply = true
			m.DisableWebPagePreview = true
			m.ParseMode = "HTML"
			m.Entities = []tgbotapi.MessageEntity{{Type: "bold", Offset: 0, Length: 3}}
			return m
		}(),
		func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(42, "force")
			m.ReplyMarkup = tgbotapi.ForceReply{ForceReply: true, InputFieldPlaceholder: "Note <#1>"}
			return m
		}(),
		func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(42, "nil pointer markup")
			m.ReplyMarkup = (*tgbotapi.ForceReply)(nil)
			return m
		}(),
		func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(0, "channel")
			m.ChannelUsername = "@chan"
			return m
		}(),
		func() tgbotapi.Chattable {
			m := tgbotapi.NewMessage(42, "url button")
			m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonURL("open", urlStr)))
			return m
		}(),
		tgbotapi.NewMessage(42, ""),
		markAnswered(42, 9, "Question 1", "Yes"),
		showInPlace(42, 9, odd, [][]flows.Button{{{Label: "A", Data: "a"}}}),
		showInPlace(42, 9, "no buttons", nil),
		tgbotapi.NewEditMessageText(42, 9, ""),
		tgbotapi.NewEditMessageReplyMarkup(42, 9, *noKeyboard()),
		tgbotapi.NewEditMessageReplyMarkup(42, 9, *kb),
		tgbotapi.EditMessageReplyMarkupConfig{BaseEdit: tgbotapi.BaseEdit{InlineMessageID: "inl-1", ChatID: 42}},
		tgbotapi.EditMessageTextConfig{BaseEdit: tgbotapi.BaseEdit{ChannelUsername: "@chan", MessageID: 3}, Text: "t", ParseMode: "MarkdownV2", DisableWebPagePreview: true},
		tgbotapi.NewCallback("cb-1", ""),
		tgbotapi.NewCallbackWithAlert("cb-2", odd),
		tgbotapi.CallbackConfig{CallbackQueryID: "cb-3", URL: urlStr, CacheTime: 30},
	}
	for _, endpoint := range []string{tgbotapi.APIEndpoint, "http://127.0.0.1:8081/custom/bot%s/%s?x=1"} {
		api, rc := newRecordingAPI(t, endpoint)
		tg := newBotAPI(api)
		for i, c := range calls {
			if _, _, ok := encodeCall(c); !ok {
				t.Errorf("call %d (%T): not encoded by botAPI", i, c)
			}
			if _, err := api.Request(c); err != nil {
				t.Fatalf("call %d: tgbotapi: %v", i, err)
			}
			wantURL, wantBody, wantType := rc.last()
			if _, err := tg.call(c); err != nil {
				t.Fatalf("call %d: botAPI: %v", i, err)
			}
			gotURL, gotBody, gotType := rc.last()
			if gotURL != wantURL || gotType != wantType {
				t.Errorf("call %d (%T): sent to %s as %s, want %s as %s", i, c, gotURL, gotType, wantURL, wantType)
			}
			want, err := url.ParseQuery(wantBody)
			if err != nil {
				t.Fatal(err)
			}
			got, err := url.ParseQuery(gotBody)
			if err != nil {
				t.Fatalf("call %d: botAPI's body %q: %v", i, gotBody, err)
			}
			if len(got) != len(want) {
				t.Errorf("call %d (%T): parameters %v, want %v", i, c, got, want)
			}
			for k, v := range want {
				if len(got[k]) != 1 || got[k][0] != v[0] {
					t.Errorf("call %d (%T): %s = %q, want %q", i, c, k, got[k], v)
				}
			}
		}
	}
}

// TestBotAPIProtectedText checks sendProtectedText's parameters: the
// text, protect_content and the buttons.
func TestBotAPIProtectedText(t *testing.T) {
	api, rc := newRecordingAPI(t, tgbotapi.APIEndpoint)
	rc.answer = `{"ok":true,"result":{"message_id":77,"chat":{"id":5,"type":"group"},"date":1,"text":"x"}}`
	tg := newBotAPI(api)
	f := newForm(0)
	f.addInt("chat_id", -5)
	f.add("text", "Escalation & <more>")
	f.addBool("protect_content", true)
	if !f.addMarkup(keyboard([][]flows.Button{{{Label: "Acknowledge", Data: "k:1"}}})) {
		t.Fatal("keyboard not encoded")
	}
	id, err := tg.callForm("sendMessage", &f)
	if err != nil || id != 77 {
		t.Fatalf("callForm: %d, %v; want 77", id, err)
	}
	gotURL, body, _ := rc.last()
	if !strings.HasSuffix(gotURL, "/bot123:secret/sendMessage") {
		t.Errorf("sent to %s", gotURL)
	}
	p, _ := url.ParseQuery(body)
	var kb tgbotapi.InlineKeyboardMarkup
	if err := json.Unmarshal([]byte(p.Get("reply_markup")), &kb); err != nil || kb.InlineKeyboard[0][0].Text != "Acknowledge" || *kb.InlineKeyboard[0][0].CallbackData != "k:1" {
		t.Errorf("reply_markup %q: %v", p.Get("reply_markup"), err)
	}
	if p.Get("chat_id") != "-5" || p.Get("text") != "Escalation & <more>" || p.Get("protect_content") != "true" {
		t.Errorf("parameters %v", p)
	}
}

// TestBotAPIAnswers checks the decoding of Telegram's answers: the id of a
// message, true, and refusals as *tgbotapi.Error with their code,
// description and retry_after, as tgbotapi reports them.
func TestBotAPIAnswers(t *testing.T) {
	cases := []struct {
		name, answer string
		status       int
		wantID       int
		wantErr      *tgbotapi.Error
		wantOther    bool // an error that is not Telegram's (undecodable)
	}{
		{name: "message", answer: `{"ok":true,"result":{"message_id":12,"from":{"id":1},"chat":{"id":42,"type":"private"},"date":1,"text":"q","reply_markup":{"inline_keyboard":[[{"text":"Yes","callback_data":"y"}]]}}}`, wantID: 12},
		{name: "true", answer: `{"ok":true,"result":true}`},
		{name: "too many", status: 429, answer: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`,
			wantErr: &tgbotapi.Error{Code: 429, Message: "Too Many Requests: retry after 3", ResponseParameters: tgbotapi.ResponseParameters{RetryAfter: 3}}},
		{name: "not modified", status: 400, answer: `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified"}`,
			wantErr: &tgbotapi.Error{Code: 400, Message: "Bad Request: message is not modified"}},
		{name: "blocked", status: 403, answer: `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`,
			wantErr: &tgbotapi.Error{Code: 403, Message: "Forbidden: bot was blocked by the user"}},
		{name: "server", status: 502, answer: `{"ok":false,"error_code":502,"description":"Bad Gateway"}`,
			wantErr: &tgbotapi.Error{Code: 502, Message: "Bad Gateway"}},
		{name: "html", status: 502, answer: `<html>bad gateway</html>`, wantOther: true},
		{name: "cut", answer: `{"ok":true,"result":{"message_id":1`, wantOther: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api, rc := newRecordingAPI(t, tgbotapi.APIEndpoint)
			rc.answer, rc.status = c.answer, c.status
			tg := newBotAPI(api)
			_, tgErr := api.Request(tgbotapi.NewMessage(42, "x")) // what tgbotapi reports
			id, err := tg.call(tgbotapi.NewMessage(42, "x"))
			if id != c.wantID {
				t.Errorf("message id %d, want %d", id, c.wantID)
			}
			var got *tgbotapi.Error
			switch {
			case c.wantErr != nil:
				if !errors.As(err, &got) || *got != *c.wantErr {
					t.Errorf("error %#v, want %#v", err, c.wantErr)
				}
				var want *tgbotapi.Error
				if !errors.As(tgErr, &want) || *want != *got {
					t.Errorf("error %#v, tgbotapi's %#v", err, tgErr)
				}
				if _, retryable := retryDelay(err, 0); retryable != (c.status == 429 || c.status >= 500) {
					t.Errorf("retryable %v for %d", retryable, c.status)
				}
			case c.wantOther:
				if err == nil || errors.As(err, &got) {
					t.Errorf("error %v, want an undecodable answer", err)
				}
				if _, retryable := retryDelay(err, 0); !retryable {
					t.Error("an undecodable answer is not retried")
				}
			case err != nil:
				t.Errorf("error %v", err)
			}
		})
	}
}

// FuzzFormStrings checks the keyboard's JSON strings against
// encoding/json and the form's escaping against url.QueryEscape.
func FuzzFormStrings(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/<>&", "\x00\x01\x1f\x7f", "\b\f\n\r\t", "é😀\u2028\u2029", "\xff\xfe bad \xc3", "✓ Yes", "a b+c=d&e%f?g/h~i_j.k-l"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: %s, want %s", s, got, want)
		}
		if got, want := string(appendQueryEscaped(nil, s)), url.QueryEscape(s); got != want {
			t.Errorf("%q: escaped %s, want %s", s, got, want)
		}
	})
}

// answerSeeds are answers in the shapes Telegram gives, and odd ones.
var answerSeeds = []string{
	`{"ok":true,"result":{"message_id":12,"from":{"id":1,"is_bot":true},"chat":{"id":42,"type":"private"},"date":1,"text":"q \"x\" {[","reply_markup":{"inline_keyboard":[[{"text":"Yes","callback_data":"y"}]]}}}`,
	`{"ok":true,"result":true}`,
	` { "result" : { "chat" : { "message_id" : 5 } , "message_id" : -7 } , "ok" : true } `,
	`{"ok":true,"result":{"message_id":1.5}}`,
	`{"ok":true,"result":{"message_id":1e3}}`,
	`{"ok":true,"result":{"message_id":"3"}}`,
	`{"ok":true,"result":{"message_id":12345678901234567890}}`,
	`{"ok":true,"result":[{"message_id":3}]}`,
	`{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":3}}`,
	`{"ok":"true","result":{"message_id":3}}`,
	`{"result":{"message_id":3}}`,
	`{"ok":true,"result":{"message_id":3}`,
	`{"ok":true,"result":{"text":"\\\"","message_id":9}}`,
	`[]`,
	`null`,
	``,
}

// FuzzAcceptedAnswer checks the allocation-free reading of an answer
// against encoding/json: whatever it accepts, encoding/json reads as
// accepted with the same message id.
func FuzzAcceptedAnswer(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := acceptedAnswer([]byte(s))
		if !ok {
			return
		}
		var ans apiAnswer[sentMessage]
		if err := json.Unmarshal([]byte(s), &ans); err != nil || !ans.OK || ans.Result.id != id {
			t.Fatalf("%q: read as accepted with id %d; encoding/json: %+v, %v", s, id, ans, err)
		}
	})
}

// TestAcceptedAnswer checks which answers the fast reading takes, and that
// it takes them without allocating.
func TestAcceptedAnswer(t *testing.T) {
	want := map[int]int{0: 12, 1: 0, 2: -7, 7: 0, 12: 9} // seed → message id; the other seeds go to encoding/json
	for i, s := range answerSeeds {
		id, ok := acceptedAnswer([]byte(s))
		wantID, wantOK := want[i]
		if ok != wantOK || id != wantID {
			t.Errorf("%q: %d, %v; want %d, %v", s, id, ok, wantID, wantOK)
		}
	}
	if raceEnabled {
		return
	}
	data := []byte(answerSeeds[0])
	if n := testing.AllocsPerRun(100, func() { acceptedAnswer(data) }); n != 0 {
		t.Errorf("%v allocations reading an answer", n)
	}
}

// TestGetUpdatesDecodesOnlyNew checks that getUpdates returns the count of
// the updates Telegram sent and, decoded as tgbotapi decodes them, those
// not known, in order; an update whose id cannot be read without decoding
// is decoded.
func TestGetUpdatesDecodesOnlyNew(t *testing.T) {
	batch := `[{"update_id":10,"message":{"message_id":1,"from":{"id":5,"first_name":"A"},"chat":{"id":5,"type":"private"},"date":1,"text":"[{\"update_id\":99}]"}},` +
		`{"update_id":11,"callback_query":{"id":"q","from":{"id":5,"first_name":"A"},"data":"a:1:q:y","message":{"message_id":2,"chat":{"id":5,"type":"private"},"date":1,"text":"Q"}}},` +
		` { "message" : {"message_id":3,"chat":{"id":6,"type":"private"},"date":1,"text":"x"} , "update_id" : 12 } ,` +
		`{"Update_ID":13,"message":{"message_id":4,"chat":{"id":6,"type":"private"},"date":1,"text":"y"}},` +
		`{"update_id":14,"update_id":15,"edited_message":{"message_id":5,"chat":{"id":6,"type":"private"},"date":1,"text":"z"}}]`
	var all []tgbotapi.Update
	if err := json.Unmarshal([]byte(batch), &all); err != nil {
		t.Fatal(err)
	}
	api, rc := newRecordingAPI(t, tgbotapi.APIEndpoint)
	rc.answer = `{"ok":true,"result":` + batch + `}`
	tg := newBotAPI(api)
	known := map[int]bool{10: true, 12: true, 13: true, 14: true, 15: true}
	var asked []int
	n, fresh, err := tg.getUpdates(tgbotapi.UpdateConfig{Offset: 10, Limit: 100}, func(id int) bool {
		asked = append(asked, id)
		return known[id]
	})
	if err != nil || n != len(all) {
		t.Fatalf("%d updates, %v; want %d", n, err, len(all))
	}
	// 10 and 12 are known; 13's key is spelt otherwise and 14/15's is
	// doubled, so both are decoded (encoding/json's reading: 13 and 15).
	want := []tgbotapi.Update{all[1], all[3], all[4]}
	if got, _ := json.Marshal(fresh); string(got) != string(must(json.Marshal(want))) {
		t.Errorf("decoded %s\nwant %s", got, must(json.Marshal(want)))
	}
	if want := []int{10, 11, 12}; !slices.Equal(asked, want) {
		t.Errorf("asked about %v, want %v", asked, want)
	}
	for _, cfg := range []tgbotapi.UpdateConfig{{Offset: 10, Limit: 100, Timeout: 25, AllowedUpdates: allowedUpdates}, {}} {
		if _, _, err := tg.getUpdates(cfg, func(int) bool { return true }); err != nil {
			t.Fatal(err)
		}
		gotURL, got, _ := rc.last()
		if _, err := api.Request(cfg); err != nil {
			t.Fatal(err)
		}
		wantURL, want, _ := rc.last()
		g, _ := url.ParseQuery(got)
		w, _ := url.ParseQuery(want)
		if gotURL != wantURL || fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("getUpdates %+v: sent %s %v, tgbotapi %s %v", cfg, gotURL, g, wantURL, w)
		}
	}

	rc.answer = `{"ok":true,"result":[]}`
	if n, fresh, err := tg.getUpdates(tgbotapi.UpdateConfig{}, func(int) bool { return false }); n != 0 || len(fresh) != 0 || err != nil {
		t.Errorf("empty answer: %d, %v, %v", n, fresh, err)
	}
	rc.answer = `{"ok":true,"result":[{"update_id":1},7]}`
	if _, _, err := tg.getUpdates(tgbotapi.UpdateConfig{}, func(int) bool { return false }); err == nil {
		t.Error("an update that is not an object was accepted")
	}
	rc.answer, rc.status = `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request"}`, 409
	if _, _, err := tg.getUpdates(tgbotapi.UpdateConfig{}, func(int) bool { return false }); !isConflict(err) {
		t.Errorf("409: %v", err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func isConflict(err error) bool {
	e := telegramError(err)
	return e != nil && e.Code == 409
}

// FuzzReadUpdates holds readUpdates to encoding/json: knowing nothing, it
// decodes every update of a valid result as tgbotapi does; knowing the
// even ids, it returns the others (and those whose id it cannot read).
func FuzzReadUpdates(f *testing.F) {
	f.Add(`[{"update_id":10,"message":{"message_id":1,"chat":{"id":5,"type":"private"},"date":1,"text":"x"}},{"update_id":11}]`)
	f.Add(`[ {"update_id":2} , {"Update_id":4}, {"update_id":6,"update_id":7}, {"x":[{"update_id":8}],"update_id":9} ]`)
	f.Add(`[]`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, s string) {
		data := []byte(s)
		if !json.Valid(data) {
			return
		}
		var all []tgbotapi.Update
		wantErr := json.Unmarshal(data, &all)
		n, fresh, err := readUpdates(data, func(int) bool { return false })
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, encoding/json's %v", s, err, wantErr)
		}
		if err != nil {
			return
		}
		if n != len(all) || len(fresh) != len(all) || len(all) > 0 && string(must(json.Marshal(fresh))) != string(must(json.Marshal(all))) {
			t.Fatalf("%q: %d updates %+v, want %d %+v", s, n, fresh, len(all), all)
		}
		_, odd, err := readUpdates(data, func(id int) bool { return id%2 == 0 })
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		for _, u := range all {
			if u.UpdateID%2 != 0 && !slices.ContainsFunc(odd, func(v tgbotapi.Update) bool { return v.UpdateID == u.UpdateID }) {
				t.Fatalf("%q: update %d lost", s, u.UpdateID)
			}
		}
	})
}
