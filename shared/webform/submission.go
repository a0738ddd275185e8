package webform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// MaxBody is the largest request body the form accepts.
const MaxBody = 64 << 10

// Submission is a contact as the form or a JSON client sends it.
type Submission struct {
	Name     string                  `json:"name"`
	Phone    string                  `json:"phone"`
	Email    string                  `json:"email"`
	Kind     string                  `json:"kind"`
	Message  string                  `json:"message"`
	Callback *ticket.CallbackRequest `json:"callback,omitempty"`
	Consent  bool                    `json:"consent"`

	// Browser-form fields.
	honeypot string
	token    string
	lang     string
	browser  bool
}

// Honeypot is the name of the hidden field only bots fill in.
const Honeypot = "website"

// bodyError is a request body the handler cannot read.
type bodyError struct {
	status int
	detail string
}

func (e *bodyError) Error() string { return e.detail }

// repeatedError is a field sent more than once: a JSON key repeated in
// one object, a form field posted twice. Which value was meant cannot be
// known, so the body is refused (400) naming the field.
type repeatedError struct{ field string }

func (e *repeatedError) Error() string { return "field " + e.field + " sent more than once" }

// ParseSubmission reads a JSON or browser-form body of at most MaxBody
// bytes. Errors are *bodyError (400, 413 or 415), *repeatedError (400) or
// a ValidationError for unknown fields. With a repeated form field the
// submission holds each field's first value, to show the form again.
func ParseSubmission(r *http.Request) (Submission, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		ct = ""
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return Submission{}, &bodyError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d KB", MaxBody>>10)}
	}
	if err != nil {
		return Submission{}, &bodyError{http.StatusBadRequest, "the body could not be read"}
	}
	switch ct {
	case "application/json":
		return parseJSON(body)
	case "application/x-www-form-urlencoded":
		return parseForm(body)
	default:
		return Submission{}, &bodyError{http.StatusUnsupportedMediaType, "send application/json or application/x-www-form-urlencoded"}
	}
}

func parseJSON(body []byte) (Submission, error) {
	if !utf8.Valid(body) {
		return Submission{}, &bodyError{http.StatusBadRequest, "the body is not UTF-8"}
	}
	var sub Submission
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(&sub)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			var verr ticket.ValidationError
			verr.Add(strings.Trim(f, `"`), codeUnknownField, nil)
			return Submission{}, verr
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			var verr ticket.ValidationError
			verr.Add(typeErr.Field, codeBody, map[string]string{"detail": "expected " + typeErr.Type.String()})
			return Submission{}, verr
		}
		return Submission{}, &bodyError{http.StatusBadRequest, "not valid JSON: " + err.Error()}
	}
	if key := repeatedKey(body); key != "" {
		return Submission{}, &repeatedError{key}
	}
	return sub, nil
}

// repeatedKey returns the first key repeated within one object of a JSON
// document, as a dotted path ("callback.date"), or "". Keys are compared
// as encoding/json matches them to fields, regardless of case, so
// {"phone":…,"Phone":…} is a repeat too.
func repeatedKey(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	var walk func(path string) string
	walk = func(path string) string {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return ""
				}
				k, _ := tok.(string)
				name := k
				if path != "" {
					name = path + "." + k
				}
				f := foldKey(k)
				if seen[f] {
					return name
				}
				seen[f] = true
				if r := walk(name); r != "" {
					return r
				}
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for dec.More() {
				if r := walk(path); r != "" {
					return r
				}
			}
			_, _ = dec.Token()
		}
		return ""
	}
	return walk("")
}

// foldKey maps every letter of k to the smallest letter it folds to, so
// two keys encoding/json would take for the same field fold alike.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		return low
	}, k)
}

// formFields are the browser form's field names.
var formFields = map[string]bool{
	"name": true, "phone": true, "email": true, "kind": true, "message": true, "consent": true,
	"callback.date": true, "callback.from": true, "callback.to": true, "callback.timeZone": true,
	Honeypot: true, "token": true, "lang": true,
}

func parseForm(body []byte) (Submission, error) {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return Submission{}, &bodyError{http.StatusBadRequest, "not a valid form body"}
	}
	sub := Submission{
		Name: vals.Get("name"), Phone: vals.Get("phone"), Email: vals.Get("email"),
		Kind: vals.Get("kind"), Message: vals.Get("message"),
		Consent:  consents(vals.Get("consent")),
		honeypot: vals.Get(Honeypot), token: vals.Get("token"), lang: vals.Get("lang"), browser: true,
	}
	var verr ticket.ValidationError
	var repeated []string
	for k, v := range vals {
		if !formFields[k] {
			verr.Add(k, codeUnknownField, nil)
		}
		if len(v) > 1 {
			repeated = append(repeated, k)
		}
		for _, s := range v {
			if !utf8.ValidString(s) {
				verr.Add(k, codeBody, map[string]string{"detail": "not UTF-8"})
			}
		}
	}
	if len(verr) > 0 {
		return Submission{}, verr
	}
	cb := ticket.CallbackRequest{
		Date: strings.TrimSpace(vals.Get("callback.date")), From: strings.TrimSpace(vals.Get("callback.from")),
		To: strings.TrimSpace(vals.Get("callback.to")), TimeZone: strings.TrimSpace(vals.Get("callback.timeZone")),
	}
	// The time zone is filled in for every visitor; a callback is asked for
	// only when a date or a time is.
	if cb.Date != "" || cb.From != "" || cb.To != "" {
		sub.Callback = &cb
	}
	if len(repeated) > 0 {
		// The first by name, so the answer does not vary with map order.
		slices.Sort(repeated)
		return sub, &repeatedError{repeated[0]}
	}
	return sub, nil
}

// consents reports whether a form's consent value is an explicit yes: a
// ticked checkbox sends "yes" (the form's value) or "on" (a browser's
// default); "no", "false", "0", "off" or anything else is no consent.
func consents(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "on", "true", "1":
		return true
	}
	return false
}

// validKey accepts idempotency keys of 8–128 visible ASCII characters.
func validKey(k string) bool {
	if len(k) < 8 || len(k) > 128 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}
