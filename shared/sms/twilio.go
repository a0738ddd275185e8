package sms

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// TwilioSignature returns the X-Twilio-Signature Twilio sends for a POST of
// form to publicURL signed with token: base64 HMAC-SHA1 over the URL
// followed by every parameter name and value, sorted by name; a repeated
// parameter's values are sorted and each distinct one signed once, as
// Twilio's own libraries do.
func TwilioSignature(token, publicURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(publicURL))
	for _, k := range keys {
		vals := append([]string(nil), form[k]...)
		sort.Strings(vals)
		for i, v := range vals {
			if i > 0 && v == vals[i-1] {
				continue
			}
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifyTwilio reports whether signature matches form posted to publicURL
// under one of tokens (two during a rotation). Comparison is constant-time.
func VerifyTwilio(tokens []string, publicURL, signature string, form url.Values) bool {
	if signature == "" {
		return false
	}
	ok := false
	for _, t := range tokens {
		if t == "" {
			continue
		}
		if hmac.Equal([]byte(TwilioSignature(t, publicURL, form)), []byte(signature)) {
			ok = true
		}
	}
	return ok
}

// ParseTwilio reads the parameters of a Twilio incoming-message webhook.
func ParseTwilio(form url.Values) (Message, error) {
	id := strings.TrimSpace(form.Get("MessageSid"))
	if id == "" {
		id = strings.TrimSpace(form.Get("SmsSid"))
	}
	m := Message{
		Provider: Twilio,
		ID:       id,
		From:     strings.TrimSpace(form.Get("From")),
		To:       strings.TrimSpace(form.Get("To")),
		Body:     form.Get("Body"),
	}
	return m, m.check()
}

// postID names a post by its parameters, for a post without a MessageSid
// to be quarantined under: the same parameters (Twilio retrying the post)
// give the same name, different ones another.
func postID(form url.Values) string {
	sorted := make(url.Values, len(form))
	for k, vals := range form {
		vals = append([]string(nil), vals...)
		sort.Strings(vals)
		sorted[k] = vals
	}
	// Encode sorts by name and escapes every separator.
	sum := sha256.Sum256([]byte(sorted.Encode()))
	return "form-" + hex.EncodeToString(sum[:16])
}
