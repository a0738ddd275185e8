package mailparse

import (
	"net/textproto"
	"strings"
)

// automatic tells mail no person wrote (RFC 3834 and the usual signs), so
// that it is never acknowledged: acknowledging an autoresponder is how
// mail loops start. It returns the first sign found.
func automatic(h textproto.MIMEHeader, m *Mail, report bool) (bool, string) {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return true, "auto-submitted"
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return true, "precedence"
	}
	if h.Get("X-Auto-Response-Suppress") != "" {
		return true, "x-auto-response-suppress"
	}
	if h.Get("List-Id") != "" || h.Get("List-Unsubscribe") != "" {
		return true, "list"
	}
	if vs, ok := h["Return-Path"]; ok {
		for _, v := range vs {
			if v = strings.TrimSpace(v); v == "<>" || v == "" {
				return true, "empty-return-path"
			}
		}
	}
	if report || m.Bounce != nil {
		return true, "delivery-report"
	}
	local := strings.ToLower(m.From.Address)
	if i := strings.LastIndexByte(local, '@'); i >= 0 {
		local = local[:i]
	}
	switch local {
	case "mailer-daemon", "postmaster", "":
		return true, "system-sender"
	}
	if strings.HasPrefix(local, "no-reply") || strings.HasPrefix(local, "noreply") || strings.HasPrefix(local, "do-not-reply") {
		return true, "no-reply-sender"
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" || strings.EqualFold(h.Get("X-Auto-Reply"), "yes") {
		return true, "x-autoreply"
	}
	return false, ""
}
