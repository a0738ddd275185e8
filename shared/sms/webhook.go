package sms

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Webhook answers Twilio's incoming-message webhook (POST, form-encoded):
// it checks X-Twilio-Signature against the configured public URL and one
// or two auth tokens, handles the text, and answers with TwiML carrying
// the reply. A bad signature gets 403 and never becomes a ticket.
type Webhook struct {
	Service *Service
	// PublicURL is the exact URL Twilio is configured to call; the
	// signature covers it, whatever host the request arrived at. Empty
	// means the URL the request names: behind API Gateway that is the
	// API's own https address, path and query.
	PublicURL string
	// Tokens are the auth tokens accepted: the current one, and the
	// previous one during a rotation.
	Tokens []string
	// Timeout bounds the handling, well inside Twilio's 15 s (10 s when
	// zero).
	Timeout time.Duration
}

// ServeHTTP handles one webhook call.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxPayload)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	if !VerifyTwilio(h.Tokens, h.signedURL(r), r.Header.Get("X-Twilio-Signature"), r.PostForm) {
		slog.WarnContext(ctx, "twilio signature rejected", "messageSid", cut(r.PostForm.Get("MessageSid"), 64))
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m, err := ParseTwilio(r.PostForm)
	var out Outcome
	if err == nil {
		out, err = h.Service.Handle(ctx, m, true)
	}
	switch {
	case IsInput(err):
		m.Provider = Twilio
		delivery := m.ID
		if delivery == "" {
			delivery = postID(r.PostForm)
		}
		if qerr := h.Service.Reject(ctx, m, delivery, []byte(r.PostForm.Encode()), err); qerr != nil {
			slog.ErrorContext(ctx, "twilio message not kept", "err", qerr)
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
	case err != nil:
		// Twilio hands a failed call to the number's fallback URL.
		slog.ErrorContext(ctx, "twilio message failed", "messageSid", m.ID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	_, _ = w.Write(TwiML(out.Reply))
}

// signedURL is the URL Twilio signed: the configured one, or the one the
// request was made to. The API Gateway adapter builds an absolute https
// URL from the request context; a bare server sees a path and a Host.
func (h *Webhook) signedURL(r *http.Request) string {
	if h.PublicURL != "" {
		return h.PublicURL
	}
	if r.URL.IsAbs() {
		return r.URL.String()
	}
	return "https://" + r.Host + r.URL.RequestURI()
}

// TwiML returns a TwiML response that answers with reply, or says nothing
// when reply is empty.
func TwiML(reply string) []byte {
	var b strings.Builder
	b.WriteString(xml.Header)
	if reply == "" {
		b.WriteString("<Response></Response>\n")
		return []byte(b.String())
	}
	b.WriteString("<Response><Message>")
	_ = xml.EscapeText(&b, []byte(reply))
	b.WriteString("</Message></Response>\n")
	return []byte(b.String())
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
