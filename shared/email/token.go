package email

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Signer makes and checks reply tokens: a ticket ID with an HMAC over it,
// carried in the Reply-To address ("support+t.<id>.<mac>@…") and in the
// Message-IDs of mail Frontdesk sends. A token is trusted only when its
// MAC checks out; anything else is ignored, never guessed at.
type Signer struct {
	// Keys are the HMAC keys, newest first: tokens are made with the
	// first and checked against every one, so keys rotate without
	// breaking threads.
	Keys [][]byte
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const (
	tokenPrefix = "t."
	macLen      = 12 // bytes of HMAC kept: 96 bits
)

func mac(key []byte, parts ...string) string {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return b32.EncodeToString(h.Sum(nil)[:macLen])
}

// Token returns the reply token for a ticket.
func (s Signer) Token(id ticket.ID) string {
	return tokenPrefix + strings.ToLower(string(id)) + "." + mac(s.Keys[0], "reply", strings.ToLower(string(id)))
}

// Verify returns the ticket a token names, or false for anything that is
// not a token signed with one of the keys.
func (s Signer) Verify(tok string) (ticket.ID, bool) {
	tok = strings.ToLower(tok)
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return "", false
	}
	id, sig, ok := strings.Cut(rest, ".")
	if !ok || len(id) != 26 || sig == "" {
		return "", false
	}
	for _, k := range s.Keys {
		if hmac.Equal([]byte(sig), []byte(mac(k, "reply", id))) {
			return ticket.ID(strings.ToUpper(id)), true
		}
	}
	return "", false
}

// ReplyAddress returns the Reply-To address carrying the token: the
// mailbox's local part with "+token" added.
func (s Signer) ReplyAddress(mailbox string, id ticket.ID) string {
	at := strings.LastIndexByte(mailbox, '@')
	if at < 0 {
		return mailbox
	}
	return mailbox[:at] + "+" + s.Token(id) + mailbox[at:]
}

// MessageID returns a fresh Message-ID (without angle brackets) for mail
// about a ticket: unique, and carrying the token so a reply's
// In-Reply-To leads back to the ticket.
func (s Signer) MessageID(id ticket.ID, domain string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return b32.EncodeToString(b[:]) + "." + s.Token(id) + "@" + domain
}

// FromAddress returns the ticket named by a token in an address's local
// part (after "+"), if it is genuine.
func (s Signer) FromAddress(addr string) (ticket.ID, bool) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "", false
	}
	_, tok, ok := strings.Cut(addr[:at], "+")
	if !ok {
		return "", false
	}
	return s.Verify(tok)
}

// FromMessageID returns the ticket named by a token in a Message-ID
// Frontdesk made, if it is genuine.
func (s Signer) FromMessageID(mid string) (ticket.ID, bool) {
	at := strings.LastIndexByte(mid, '@')
	if at < 0 {
		return "", false
	}
	_, tok, ok := strings.Cut(mid[:at], ".")
	if !ok {
		return "", false
	}
	return s.Verify(tok)
}
