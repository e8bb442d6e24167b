package bot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// The Bot API calls of an update's path (sendMessage, the edits,
// answerCallbackQuery), sent through tgbotapi's client more cheaply than
// its Request does. Request builds a map of parameters, a url.Values from
// it, an http.Request from a URL it parses each time, and decodes the
// answer into an APIResponse whose result the caller decodes again; of all
// that the bot uses one number, the message id, and Telegram's error
// fields. Here a call is encoded once, straight into the form body tgbotapi
// would send (the same parameters, as application/x-www-form-urlencoded,
// so Telegram, the emulator and the benchmark's stub read it alike), goes
// out through the same HTTPClient (api.Client: the timeout, the token
// redaction), and its answer is decoded once into only what is used.
// Errors are tgbotapi's: *tgbotapi.Error with Telegram's code, description
// and retry_after, so the sender's retries are unchanged. Calls of any
// other kind, or with a field this encoder does not know, go through
// tgbotapi's Request as before.

// botAPI sends encoded calls through api's client.
type botAPI struct {
	api *tgbotapi.BotAPI
	// fmt is the endpoint URL (with the token) tgbotapi builds for
	// probeMethod; "" when it could not be learnt, and every call goes
	// through tgbotapi. urls are the URLs of the methods called, parsed.
	fmt  string
	mu   sync.RWMutex
	urls map[string]*url.URL
}

// probeMethod is a method name no Bot API call has, to find in the URL
// tgbotapi builds where its endpoint format puts the method.
const probeMethod = "checkinbotProbeMethod"

// newBotAPI learns the endpoint URL tgbotapi builds for api (its format is
// unexported) by letting a copy of it build one request that goes nowhere.
func newBotAPI(api *tgbotapi.BotAPI) *botAPI {
	a := &botAPI{api: api, urls: map[string]*url.URL{}}
	if api == nil {
		return a
	}
	probe := *api
	probe.Debug = false
	rec := &urlRecorder{}
	probe.Client = rec
	_, _ = probe.MakeRequest(probeMethod, nil)
	if strings.Count(rec.url, probeMethod) == 1 {
		a.fmt = rec.url
	}
	return a
}

// urlRecorder is an HTTPClient that records the URL asked for and fails.
type urlRecorder struct{ url string }

func (r *urlRecorder) Do(req *http.Request) (*http.Response, error) {
	r.url = req.URL.String()
	return nil, errors.New("not sent")
}

// endpoint returns the URL of method, parsed once.
func (a *botAPI) endpoint(method string) (*url.URL, bool) {
	if a.fmt == "" {
		return nil, false
	}
	a.mu.RLock()
	u, ok := a.urls[method]
	a.mu.RUnlock()
	if ok {
		return u, true
	}
	u, err := url.Parse(strings.Replace(a.fmt, probeMethod, method, 1))
	if err != nil {
		return nil, false
	}
	a.mu.Lock()
	a.urls[method] = u
	a.mu.Unlock()
	return u, true
}

// call sends c and returns the id of the message Telegram answered with
// (0 when its result is not a message).
func (a *botAPI) call(c tgbotapi.Chattable) (int, error) {
	method, f, ok := encodeCall(c)
	if ok {
		var u *url.URL
		if u, ok = a.endpoint(method); ok {
			return a.post(u, f)
		}
	}
	resp, err := a.api.Request(c)
	if err != nil {
		return 0, err
	}
	var r sentMessage
	if err := r.UnmarshalJSON(resp.Result); err != nil {
		return 0, fmt.Errorf("telegram: undecodable %s result: %w", methodOf(c), err)
	}
	return r.id, nil
}

// callForm sends method with the parameters f holds.
func (a *botAPI) callForm(method string, f *form) (int, error) {
	u, ok := a.endpoint(method)
	if !ok {
		params, err := url.ParseQuery(string(f.buf))
		if err != nil {
			return 0, err
		}
		p := tgbotapi.Params{}
		for k, v := range params {
			p[k] = v[0]
		}
		resp, err := a.api.MakeRequest(method, p)
		if err != nil {
			return 0, err
		}
		var r sentMessage
		err = r.UnmarshalJSON(resp.Result)
		return r.id, err
	}
	return a.post(u, *f)
}

// formContentType is the Content-Type of every call, as tgbotapi sends it.
var formContentType = []string{"application/x-www-form-urlencoded"}

// formBody is a call's body: its form, readable again (GetBody) should the
// transport retry the request.
type formBody struct{ bytes.Reader }

func (*formBody) Close() error { return nil }

// post sends the form f to u and decodes the answer.
func (a *botAPI) post(u *url.URL, f form) (int, error) {
	var id int
	err := a.exchange(u, f, func(data []byte) (err error) {
		id, err = decodeAnswer(data)
		return err
	})
	return id, err
}

// exchange sends the form f to u and has read decode the answer, which
// is valid only during the call.
func (a *botAPI) exchange(u *url.URL, f form, read func(answer []byte) error) error {
	body := f.buf
	rd := &formBody{}
	rd.Reset(body)
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           u, // shared: a client does not modify its request
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": formContentType},
		Body:          rd,
		GetBody:       func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
		ContentLength: int64(len(body)),
		Host:          u.Host,
	}
	resp, err := a.api.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	r := answerReaders.Get().(*answerReader)
	defer func() {
		r.limit.R = nil
		if r.buf.Cap() <= 64<<10 {
			r.buf.Reset()
			answerReaders.Put(r)
		}
	}()
	r.limit = io.LimitedReader{R: resp.Body, N: maxAnswer + 1}
	n, err := r.buf.ReadFrom(&r.limit)
	if err != nil {
		return err
	}
	if n > maxAnswer {
		return errors.New("telegram: answer too long")
	}
	return read(r.buf.Bytes())
}

// maxAnswer bounds the answer to one call read into memory: far above
// what Telegram sends (a message echoed back is a few kilobytes; a
// getUpdates of 100 long messages, each quoting another, a few megabytes),
// since an answer refused here would be asked for again and again.
const maxAnswer = 64 << 20

// answerReader reads answers; pooled with its buffer.
type answerReader struct {
	buf   bytes.Buffer
	limit io.LimitedReader
}

var answerReaders = sync.Pool{New: func() any { return new(answerReader) }}

// apiAnswer is Telegram's answer to a call as far as the bot uses it.
type apiAnswer[R any] struct {
	OK          bool                         `json:"ok"`
	Result      R                            `json:"result"`
	ErrorCode   int                          `json:"error_code"`
	Description string                       `json:"description"`
	Parameters  *tgbotapi.ResponseParameters `json:"parameters"`
}

// decodeSlow decodes an answer with encoding/json: its result, or
// Telegram's refusal as a *tgbotapi.Error, as tgbotapi reports it.
func decodeSlow[R any](data []byte) (R, error) {
	var ans apiAnswer[R]
	if err := json.Unmarshal(data, &ans); err != nil {
		return ans.Result, err
	}
	if !ans.OK {
		e := &tgbotapi.Error{Code: ans.ErrorCode, Message: ans.Description}
		if ans.Parameters != nil {
			e.ResponseParameters = *ans.Parameters
		}
		return ans.Result, e
	}
	return ans.Result, nil
}

// sentMessage is a call's result: the message's id when it is a message.
type sentMessage struct{ id int }

func (m *sentMessage) UnmarshalJSON(data []byte) error {
	if len(data) == 0 || data[0] != '{' {
		return nil // true, for calls whose result is not a message
	}
	var msg struct {
		MessageID int `json:"message_id"`
	}
	if err := json.Unmarshal(data, &msg); err != nil {
		return err
	}
	m.id = msg.MessageID
	return nil
}

// decodeAnswer reads an answer: the message id of its result, or
// Telegram's refusal as a *tgbotapi.Error (as tgbotapi reports it).
func decodeAnswer(data []byte) (int, error) {
	if id, ok := acceptedAnswer(data); ok {
		return id, nil
	}
	m, err := decodeSlow[sentMessage](data)
	return m.id, err
}

// acceptedAnswer reads the answer to a call Telegram carried out, the
// common case, without reflection or allocation: the "message_id" at the
// top of its result (acceptedResult) when that is an object. ok is false
// for anything else (a refusal, a shape it does not know), which
// decodeAnswer leaves to encoding/json.
func acceptedAnswer(data []byte) (id int, ok bool) {
	result, ok := acceptedResult(data)
	if !ok || result[0] != '{' {
		return 0, ok
	}
	s := jsonScan{d: result}
	known := true
	s.members(func(key []byte) {
		if !keyIs(key, "message_id", &known) {
			s.skip()
			return
		}
		n, isInt := parseInt(s.value())
		id, known = n, known && isInt
	})
	if !known {
		return 0, false
	}
	return id, true
}

// acceptedResult returns the result of an answer that is valid JSON
// (json.Valid checks it) whose top-level "ok" is true; ok is false for
// anything else, and for keys encoding/json might read otherwise.
func acceptedResult(data []byte) (result []byte, ok bool) {
	if !json.Valid(data) {
		return nil, false
	}
	s := jsonScan{d: data}
	s.ws()
	if s.d[s.i] != '{' {
		return nil, false
	}
	accepted, known := false, true
	s.members(func(key []byte) {
		switch {
		case keyIs(key, "ok", &known):
			accepted = string(s.value()) == "true"
		case keyIs(key, "result", &known):
			result = s.value()
		default:
			s.skip()
		}
	})
	if !accepted || !known || result == nil {
		return nil, false
	}
	return result, true
}

// keyIs reports whether the key (quoted, as in the JSON) is name. A key
// encoding/json could take for name although it is not name byte for byte
// (it matches names without regard to case, and reads escapes) clears
// known: such an answer is left to encoding/json.
func keyIs(key []byte, name string, known *bool) bool {
	k := key[1 : len(key)-1]
	if string(k) == name {
		return true
	}
	if len(k) < len(name)-1 || len(k) > 6*len(name) {
		return false // too short or too long to be name in any spelling
	}
	for _, c := range k {
		if c == '\\' || c >= utf8.RuneSelf {
			*known = false
			return false
		}
	}
	if len(k) == len(name) {
		for i := range len(k) {
			if k[i]|0x20 != name[i]|0x20 {
				return false
			}
		}
		*known = false
	}
	return false
}

// jsonScan walks valid JSON (json.Valid said so).
type jsonScan struct {
	d []byte
	i int
}

func (s *jsonScan) ws() {
	for s.i < len(s.d) && (s.d[s.i] == ' ' || s.d[s.i] == '\t' || s.d[s.i] == '\n' || s.d[s.i] == '\r') {
		s.i++
	}
}

// str passes the string at s.i and returns it, quotes included, escapes
// as they are.
func (s *jsonScan) str() []byte {
	start := s.i
	for s.i++; s.d[s.i] != '"'; s.i++ {
		if s.d[s.i] == '\\' {
			s.i++
		}
	}
	s.i++
	return s.d[start:s.i]
}

// members calls member with each key of the object at s.i, positioned at
// its value, which member must pass.
func (s *jsonScan) members(member func(key []byte)) {
	s.i++ // {
	for {
		s.ws()
		switch s.d[s.i] {
		case '}':
			s.i++
			return
		case ',':
			s.i++
			s.ws()
		}
		key := s.str()
		s.ws()
		s.i++ // :
		s.ws()
		member(key)
	}
}

// value passes the value at s.i and returns it.
func (s *jsonScan) value() []byte {
	start := s.i
	s.skip()
	return s.d[start:s.i]
}

// skip passes the value at s.i.
func (s *jsonScan) skip() {
	switch s.d[s.i] {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for {
			switch s.d[s.i] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return
			}
		}
	default: // a number, true, false or null
		for ; s.i < len(s.d); s.i++ {
			switch s.d[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
		}
	}
}

// parseInt reads a JSON integer that fits an int; false for other numbers.
func parseInt(v []byte) (int, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 15 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
		n = n*10 + int(v[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// encodeCall encodes the calls of an update's path with the parameters
// tgbotapi's params() gives them; ok is false for any other call.
func encodeCall(c tgbotapi.Chattable) (method string, f form, ok bool) {
	switch c := c.(type) {
	case tgbotapi.MessageConfig:
		f = newForm(len(c.Text))
		if !f.baseChat(c.BaseChat) || !f.text(c.Text, false, c.ParseMode, c.DisableWebPagePreview, c.Entities) {
			return "", form{}, false
		}
		return "sendMessage", f, true
	case tgbotapi.EditMessageTextConfig:
		f = newForm(len(c.Text))
		if !f.baseEdit(c.BaseEdit) || !f.text(c.Text, true, c.ParseMode, c.DisableWebPagePreview, c.Entities) {
			return "", form{}, false
		}
		return "editMessageText", f, true
	case tgbotapi.EditMessageReplyMarkupConfig:
		f = newForm(0)
		if !f.baseEdit(c.BaseEdit) {
			return "", form{}, false
		}
		return "editMessageReplyMarkup", f, true
	case tgbotapi.CallbackConfig:
		f = newForm(len(c.Text))
		f.add("callback_query_id", c.CallbackQueryID)
		f.addNonEmpty("text", c.Text)
		f.addBool("show_alert", c.ShowAlert)
		f.addNonEmpty("url", c.URL)
		if c.CacheTime != 0 {
			f.addInt("cache_time", int64(c.CacheTime))
		}
		return "answerCallbackQuery", f, true
	}
	return "", form{}, false
}

// form is a call's parameters, form-encoded as they are added.
type form struct{ buf []byte }

// newForm makes a form for a call carrying a text of about textLen bytes
// (escaped, and with a keyboard).
func newForm(textLen int) form {
	return form{buf: make([]byte, 0, 256+2*textLen)}
}

func (f *form) key(k string) {
	if len(f.buf) > 0 {
		f.buf = append(f.buf, '&')
	}
	f.buf = append(f.buf, k...) // keys are plain words
	f.buf = append(f.buf, '=')
}

// add adds k=v, v escaped as url.QueryEscape does.
func (f *form) add(k, v string) {
	f.key(k)
	f.buf = appendQueryEscaped(f.buf, v)
}

func (f *form) addNonEmpty(k, v string) {
	if v != "" {
		f.add(k, v)
	}
}

func (f *form) addBool(k string, v bool) {
	if v {
		f.key(k)
		f.buf = append(f.buf, "true"...)
	}
}

func (f *form) addNonZero(k string, v int) {
	if v != 0 {
		f.addInt(k, int64(v))
	}
}

func (f *form) addInt(k string, v int64) {
	f.key(k)
	f.buf = strconv.AppendInt(f.buf, v, 10)
}

// chatID adds chat_id as tgbotapi's AddFirstValid does.
func (f *form) chatID(id int64, channel string) {
	switch {
	case id != 0:
		f.addInt("chat_id", id)
	case channel != "":
		f.add("chat_id", channel)
	}
}

// baseChat adds what tgbotapi's BaseChat.params adds.
func (f *form) baseChat(c tgbotapi.BaseChat) bool {
	f.chatID(c.ChatID, c.ChannelUsername)
	if c.ReplyToMessageID != 0 {
		f.addInt("reply_to_message_id", int64(c.ReplyToMessageID))
	}
	f.addBool("disable_notification", c.DisableNotification)
	f.addBool("allow_sending_without_reply", c.AllowSendingWithoutReply)
	return f.addMarkup(c.ReplyMarkup)
}

// baseEdit adds what tgbotapi's BaseEdit.params adds.
func (f *form) baseEdit(e tgbotapi.BaseEdit) bool {
	if e.InlineMessageID != "" {
		f.add("inline_message_id", e.InlineMessageID)
	} else {
		f.chatID(e.ChatID, e.ChannelUsername)
		if e.MessageID != 0 {
			f.addInt("message_id", int64(e.MessageID))
		}
	}
	return f.addMarkup(e.ReplyMarkup)
}

// addMarkup adds reply_markup as JSON, as tgbotapi's AddInterface does (a
// nil value or nil pointer adds nothing); an inline keyboard of plain
// callback buttons, the bot's own kind, is written without reflection.
func (f *form) addMarkup(m any) bool {
	var kb *tgbotapi.InlineKeyboardMarkup
	switch m := m.(type) {
	case nil:
		return true
	case tgbotapi.InlineKeyboardMarkup:
		kb = &m
	case *tgbotapi.InlineKeyboardMarkup:
		if m == nil {
			return true
		}
		kb = m
	}
	if kb != nil && plainKeyboard(kb) {
		var scratch [512]byte
		f.key("reply_markup")
		f.buf = appendQueryEscaped(f.buf, appendKeyboardJSON(scratch[:0], kb))
		return true
	}
	if v := reflect.ValueOf(m); v.Kind() == reflect.Pointer && v.IsNil() {
		return true
	}
	return f.addJSON("reply_markup", m)
}

// text adds a message's text and its formatting as tgbotapi does: the
// text even when empty if always (an edit), entities always ("null" for
// none).
func (f *form) text(text string, always bool, parseMode string, noPreview bool, es []tgbotapi.MessageEntity) bool {
	if always {
		f.add("text", text)
	} else {
		f.addNonEmpty("text", text)
	}
	f.addNonEmpty("parse_mode", parseMode)
	f.addBool("disable_web_page_preview", noPreview)
	if es == nil {
		f.key("entities")
		f.buf = append(f.buf, "null"...)
		return true
	}
	return f.addJSON("entities", es)
}

// addJSON adds k as v's JSON; false when v has none.
func (f *form) addJSON(k string, v any) bool {
	js, err := json.Marshal(v)
	if err != nil {
		return false
	}
	f.key(k)
	f.buf = appendQueryEscaped(f.buf, js)
	return true
}

// plainKeyboard reports a keyboard of buttons with a text and callback
// data and nothing else.
func plainKeyboard(kb *tgbotapi.InlineKeyboardMarkup) bool {
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == nil || b.URL != nil || b.LoginURL != nil || b.SwitchInlineQuery != nil ||
				b.SwitchInlineQueryCurrentChat != nil || b.CallbackGame != nil || b.Pay {
				return false
			}
		}
	}
	return true
}

// appendKeyboardJSON appends kb as encoding/json writes it (a plain
// keyboard only: plainKeyboard).
func appendKeyboardJSON(dst []byte, kb *tgbotapi.InlineKeyboardMarkup) []byte {
	if kb.InlineKeyboard == nil {
		return append(dst, `{"inline_keyboard":null}`...)
	}
	dst = append(dst, `{"inline_keyboard":[`...)
	for i, row := range kb.InlineKeyboard {
		if i > 0 {
			dst = append(dst, ',')
		}
		if row == nil {
			dst = append(dst, "null"...)
			continue
		}
		dst = append(dst, '[')
		for j, b := range row {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"text":`...)
			dst = appendJSONString(dst, b.Text)
			dst = append(dst, `,"callback_data":`...) // a pointer: omitted only when nil
			dst = appendJSONString(dst, *b.CallbackData)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, "]}"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string as encoding/json writes it
// (HTML characters, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendQueryEscaped appends s escaped as url.QueryEscape does.
func appendQueryEscaped[S string | []byte](dst []byte, s S) []byte {
	const upperHex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&0xF])
		}
	}
	return dst
}

// getUpdates is tgbotapi's GetUpdates, except that it decodes only the
// updates known does not already know. While updates are in hand,
// getUpdates returns Telegram's whole window behind the lowest unsettled
// one again (intake.go), up to getUpdatesLimit updates of which most are
// known; decoding each into a tgbotapi.Update again was two fifths of the
// running bot's CPU under load. It returns how many updates the answer
// held and the new ones, in order. An update whose id it cannot read
// without decoding is decoded, so nothing is lost; the intake skips what
// it knows in any case.
func (a *botAPI) getUpdates(cfg tgbotapi.UpdateConfig, known func(id int) bool) (n int, fresh []tgbotapi.Update, err error) {
	u, ok := a.endpoint("getUpdates")
	if !ok {
		all, err := a.api.GetUpdates(cfg)
		return len(all), all, err
	}
	f := newForm(0)
	f.addNonZero("offset", cfg.Offset)
	f.addNonZero("limit", cfg.Limit)
	f.addNonZero("timeout", cfg.Timeout)
	if !f.addJSON("allowed_updates", cfg.AllowedUpdates) {
		return 0, nil, errors.New("telegram: allowed_updates has no JSON")
	}
	err = a.exchange(u, f, func(data []byte) error {
		result, ok := acceptedResult(data)
		if !ok {
			raw, err := decodeSlow[json.RawMessage](data)
			if err != nil {
				return err
			}
			result = raw
		}
		n, fresh, err = readUpdates(result, known)
		return err
	})
	return n, fresh, err
}

// readUpdates decodes the updates of a getUpdates result (valid JSON)
// that known does not know; n is how many it held.
func readUpdates(result []byte, known func(id int) bool) (n int, fresh []tgbotapi.Update, err error) {
	s := jsonScan{d: result}
	s.ws()
	if s.i == len(s.d) || s.d[s.i] != '[' {
		var all []tgbotapi.Update // what tgbotapi would make of it
		err := json.Unmarshal(result, &all)
		return len(all), all, err
	}
	s.i++ // [
	for {
		s.ws()
		switch s.d[s.i] {
		case ']':
			return n, fresh, nil
		case ',':
			s.i++
			s.ws()
		}
		start := s.i
		id, ok := updateID(&s)
		n++
		if ok && known(id) {
			continue
		}
		var u tgbotapi.Update
		if err := json.Unmarshal(s.d[start:s.i], &u); err != nil {
			return n, fresh, err
		}
		fresh = append(fresh, u)
	}
}

// updateID passes the update at s.i and returns its update_id; ok is false
// when it is not an object with an integer update_id spelt as Telegram
// spells it.
func updateID(s *jsonScan) (id int, ok bool) {
	if s.d[s.i] != '{' {
		s.skip()
		return 0, false
	}
	seen, known := false, true
	s.members(func(key []byte) {
		if !keyIs(key, "update_id", &known) {
			s.skip()
			return
		}
		n, isInt := parseInt(s.value())
		id, seen, known = n, true, known && isInt && !seen
	})
	return id, seen && known
}
