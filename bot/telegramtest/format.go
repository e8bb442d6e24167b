package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxTextLen is Telegram's limit on a message text, in UTF-16 code units
// after entities parsing; captions allow maxCaptionLen.
const (
	maxTextLen    = 4096
	maxCaptionLen = 1024
)

// utf16Len is the length of s the way Telegram counts it.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// formatText parses text in the given parse_mode the way Telegram does and
// returns what the user sees, or a Telegram error description.
func formatText(text, parseMode string) (plain, errDesc string) {
	var err string
	switch strings.ToLower(parseMode) {
	case "":
		return text, ""
	case "html":
		plain, err = parseHTML(text)
	case "markdownv2":
		plain, err = parseMarkdownV2(text)
	case "markdown":
		plain, err = parseMarkdown(text)
	default:
		return "", "Bad Request: unsupported parse_mode"
	}
	if err != "" {
		return "", "Bad Request: can't parse entities: " + err
	}
	return plain, ""
}

// htmlTags are the tags Telegram's HTML parse mode supports.
var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true,
	"s": true, "strike": true, "del": true, "span": true, "tg-spoiler": true,
	"a": true, "tg-emoji": true, "code": true, "pre": true, "blockquote": true,
	"tg-time": true,
}

// parseHTML strips Telegram-supported HTML and decodes entities; a bare "<",
// an unsupported tag or an unbalanced tag is an error, as in Telegram.
func parseHTML(s string) (string, string) {
	var out strings.Builder
	var open []string
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				return "", fmt.Sprintf("Unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+end]
			if name, ok := strings.CutPrefix(tag, "/"); ok {
				name = strings.ToLower(strings.TrimSpace(name))
				if len(open) == 0 {
					return "", fmt.Sprintf("Unexpected end tag at byte offset %d", i)
				}
				if top := open[len(open)-1]; name != top {
					return "", fmt.Sprintf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top, name)
				}
				open = open[:len(open)-1]
			} else {
				name, _, _ := strings.Cut(tag, " ")
				name = strings.ToLower(name)
				if !htmlTags[name] {
					return "", fmt.Sprintf("Unsupported start tag \"%s\" at byte offset %d", name, i)
				}
				open = append(open, name)
			}
			i += end + 1
		case '&':
			r, n := htmlEntity(s[i:])
			out.WriteString(r)
			i += n
		default:
			out.WriteByte(s[i])
			i++
		}
	}
	if len(open) > 0 {
		return "", fmt.Sprintf("Can't find end tag corresponding to start tag \"%s\"", open[len(open)-1])
	}
	return out.String(), ""
}

// htmlEntity decodes the entity at the start of s, returning the text and the
// bytes consumed; anything unrecognised is a literal "&".
func htmlEntity(s string) (string, int) {
	semi := strings.IndexByte(s, ';')
	if semi < 0 || semi > 10 {
		return "&", 1
	}
	switch name := s[1:semi]; name {
	case "lt":
		return "<", semi + 1
	case "gt":
		return ">", semi + 1
	case "amp":
		return "&", semi + 1
	case "quot":
		return `"`, semi + 1
	default:
		if num, ok := strings.CutPrefix(name, "#"); ok {
			base := 10
			if hex, ok := strings.CutPrefix(strings.ToLower(num), "x"); ok {
				num, base = hex, 16
			}
			if n, err := strconv.ParseUint(num, base, 21); err == nil {
				return string(rune(n)), semi + 1
			}
		}
	}
	return "&", 1
}

// markdownV2Reserved are the characters MarkdownV2 requires to be escaped
// wherever they are not markup.
const markdownV2Reserved = "_*[]()~`>#+-=|{}.!"

// parseMarkdownV2 strips MarkdownV2 markup; an unescaped reserved character
// or an unclosed entity is an error, as in Telegram.
func parseMarkdownV2(s string) (string, string) {
	var out strings.Builder
	type mark struct {
		token, entity string
		at            int
	}
	var open []mark
	toggle := func(token, entity string, at int) {
		for j := len(open) - 1; j >= 0; j-- {
			if open[j].token == token {
				open = append(open[:j], open[j+1:]...)
				return
			}
		}
		open = append(open, mark{token, entity, at})
	}
	lineStart := true
	for i := 0; i < len(s); {
		c := s[i]
		atLineStart := lineStart
		lineStart = c == '\n'
		switch {
		case c == '\\':
			if i+1 >= len(s) || s[i+1] == 0 || s[i+1] > 126 {
				return "", `Character '\' is reserved and must be escaped with the preceding '\'`
			}
			out.WriteByte(s[i+1])
			i += 2
		case strings.HasPrefix(s[i:], "```"):
			body, n, ok := scanUntil(s[i+3:], "```")
			if !ok {
				return "", fmt.Sprintf("Can't find end of Pre entity at byte offset %d", i)
			}
			if nl := strings.IndexByte(body, '\n'); nl >= 0 && !strings.ContainsAny(body[:nl], " \t") {
				body = body[nl+1:] // the first line names the language
			}
			out.WriteString(body)
			i += 3 + n
		case c == '`':
			body, n, ok := scanUntil(s[i+1:], "`")
			if !ok {
				return "", fmt.Sprintf("Can't find end of Code entity at byte offset %d", i)
			}
			out.WriteString(body)
			i += 1 + n
		case strings.HasPrefix(s[i:], "**>") && atLineStart:
			i += 3
		case markerAt(s[i:]) != "":
			token := markerAt(s[i:])
			toggle(token, markdownV2Markers[token], i)
			i += len(token)
		case c == '[' || strings.HasPrefix(s[i:], "!["):
			if c == '!' {
				i++
			}
			open = append(open, mark{"[", "TextUrl", i})
			i++
		case c == ']' && len(open) > 0 && open[len(open)-1].token == "[" && strings.HasPrefix(s[i+1:], "("):
			_, n, ok := scanUntil(s[i+2:], ")")
			if !ok {
				return "", fmt.Sprintf("Can't find end of a URL at byte offset %d", i+1)
			}
			open = open[:len(open)-1]
			i += 2 + n
		case c == '>' && atLineStart:
			lineStart = false
			i++
		case strings.IndexByte(markdownV2Reserved, c) >= 0:
			return "", fmt.Sprintf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
		default:
			out.WriteByte(c)
			i++
		}
	}
	if len(open) > 0 {
		return "", fmt.Sprintf("Can't find end of %s entity at byte offset %d", open[0].entity, open[0].at)
	}
	return out.String(), ""
}

// scanUntil returns the unescaped text of s up to the closing token and the
// bytes consumed including the token.
func scanUntil(s, token string) (string, int, bool) {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			out.WriteByte(s[i])
			continue
		}
		if strings.HasPrefix(s[i:], token) {
			return out.String(), i + len(token), true
		}
		out.WriteByte(s[i])
	}
	return "", 0, false
}

// parseMarkdown strips legacy Markdown markup: *bold*, _italic_, `code`,
// ```pre``` and [text](url); entities cannot nest.
func parseMarkdown(s string) (string, string) {
	var out strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte("_*`[", s[i+1]) >= 0:
			out.WriteByte(s[i+1])
			i += 2
		case strings.HasPrefix(s[i:], "```"):
			end := strings.Index(s[i+3:], "```")
			if end < 0 {
				return "", fmt.Sprintf("Can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(s[i+3 : i+3+end])
			i += 6 + end
		case c == '*' || c == '_' || c == '`':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return "", fmt.Sprintf("Can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(s[i+1 : i+1+end])
			i += 2 + end
		case c == '[':
			close := strings.Index(s[i:], "](")
			end := strings.IndexByte(s[i:], ')')
			if close < 0 || end < close {
				out.WriteByte(c)
				i++
				continue
			}
			out.WriteString(s[i+1 : i+close])
			i += end + 1
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String(), ""
}

// markdownV2Markers are the MarkdownV2 tokens that open and close an
// entity of the same kind.
var markdownV2Markers = map[string]string{
	"*": "Bold", "__": "Underline", "_": "Italic", "~": "Strikethrough", "||": "Spoiler",
}

// markerAt is the entity marker s starts with ("" for none), the longer
// one where two could match ("__" before "_").
func markerAt(s string) string {
	for _, token := range []string{"__", "||", "*", "_", "~"} {
		if strings.HasPrefix(s, token) {
			return token
		}
	}
	return ""
}
