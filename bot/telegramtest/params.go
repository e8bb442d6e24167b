package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
)

// maxBody bounds a request body; Telegram accepts uploads up to 50 MB.
const maxBody = 50 << 20

// params holds the parameters of one call, whatever encoding carried them.
type params struct {
	values map[string]string
	files  map[string]File // multipart uploads by field name
	// uploads are the uploaded bytes by field name.
	uploads map[string][]byte
}

func (p *params) has(name string) bool {
	if _, ok := p.files[name]; ok {
		return true
	}
	_, ok := p.values[name]
	return ok
}

func (p *params) get(name string) string { return p.values[name] }

// int64 returns the integer value of a parameter, or 0.
func (p *params) int64(name string) int64 {
	n, _ := strconv.ParseInt(p.values[name], 10, 64)
	return n
}

// bool returns the boolean value of a parameter, or false.
func (p *params) bool(name string) bool {
	b, _ := strconv.ParseBool(p.values[name])
	return b
}

// names returns the sorted names of all parameters.
func (p *params) names() []string {
	names := make([]string, 0, len(p.values)+len(p.files))
	for name := range p.values {
		names = append(names, name)
	}
	for name := range p.files {
		if _, dup := p.values[name]; !dup {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// errBadParams is answered as 400 when a body cannot be decoded.
var errBadParams = errors.New("can't parse request parameters")

// readParams collects parameters from the query string and from a body in any
// of the encodings Telegram accepts: urlencoded, JSON and multipart.
func readParams(w http.ResponseWriter, r *http.Request) (*params, error) {
	p := &params{values: map[string]string{}, files: map[string]File{}, uploads: map[string][]byte{}}
	for k, v := range r.URL.Query() {
		p.values[k] = v[0]
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, errBadParams
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errBadParams
		}
		for k, v := range form {
			p.values[k] = v[0]
		}
	case "application/json":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, errBadParams
		}
		if len(bytes.TrimSpace(body)) == 0 {
			break
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, errBadParams
		}
		for k, raw := range obj {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				p.values[k] = s
			} else if string(raw) != "null" {
				p.values[k] = string(raw) // numbers, booleans, objects and arrays as JSON text
			}
		}
	case "multipart/form-data":
		if ctParams["boundary"] == "" {
			return nil, errBadParams
		}
		if err := r.ParseMultipartForm(maxBody); err != nil {
			return nil, errBadParams
		}
		defer r.MultipartForm.RemoveAll()
		for k, v := range r.MultipartForm.Value {
			p.values[k] = v[0]
		}
		for k, fh := range r.MultipartForm.File {
			p.files[k] = File{Kind: k, Name: fh[0].Filename, Size: fh[0].Size}
			p.uploads[k] = readPart(fh[0])
		}
	}
	return p, nil
}

// readPart reads an uploaded part; nil if it cannot be read.
func readPart(fh *multipart.FileHeader) []byte {
	f, err := fh.Open()
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil
	}
	return data
}
