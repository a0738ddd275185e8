// Package survey makes and checks the signed links of the return-visit
// survey mailed to customers who gave only an email address: five links,
// one per score, each a single-use token naming the ticket, the visit and
// the score, valid until the visit closes. The web form serves them
// (GET shows a confirm page, POST records), so that mail scanners
// fetching links record nothing.
package survey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Why a token is refused. Check them with errors.Is.
var (
	// ErrBadToken: not a token, or not one signed with any key (forged,
	// cut short, altered).
	ErrBadToken = errors.New("survey link is not valid")
	// ErrExpired: a genuine token whose visit has closed.
	ErrExpired = errors.New("survey link has expired")
)

// Claim is what a token says: the ticket, its visit (by the instant it
// was due: a ticket has one visit, and its due time is fixed before the
// survey goes out), the score the link gives, and when it expires.
type Claim struct {
	Ticket  ticket.ID
	Visit   time.Time
	Score   int
	Expires time.Time
}

// Signer makes and checks tokens with HMAC-SHA256. It shares the reply
// tokens' keys (REPLY_TOKEN_KEYS or REPLY_TOKEN_SECRET), under its own
// label, so a reply token is never a survey token nor the other way
// round.
type Signer struct {
	// Keys are the HMAC keys, newest first: tokens are made with the first
	// and checked against every one.
	Keys [][]byte
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const (
	label  = "survey"
	macLen = 16 // bytes of HMAC kept: 128 bits
	// maxToken bounds what Parse reads.
	maxToken = 120
)

func mac(key []byte, payload string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write([]byte(payload))
	return b32.EncodeToString(h.Sum(nil)[:macLen])
}

// payload is the signed part: "<ticket>.<visit>.<score>.<expires>", the
// instants in base-36 Unix seconds, all lower case so a token survives
// mail programs that change the case of links.
func (c Claim) payload() string {
	return strings.ToLower(string(c.Ticket)) + "." + strconv.FormatInt(c.Visit.Unix(), 36) + "." +
		strconv.Itoa(c.Score) + "." + strconv.FormatInt(c.Expires.Unix(), 36)
}

// Token returns the token for c, signed with the newest key.
func (s Signer) Token(c Claim) string {
	p := c.payload()
	return p + "." + mac(s.Keys[0], p)
}

// Parse checks a token and returns its claim: ErrBadToken unless it is
// well formed and signed with one of the keys, ErrExpired (with the
// claim) when it is genuine but its visit closed before now.
func (s Signer) Parse(tok string, now time.Time) (Claim, error) {
	if len(tok) > maxToken || len(s.Keys) == 0 {
		return Claim{}, ErrBadToken
	}
	tok = strings.ToLower(tok)
	parts := strings.Split(tok, ".")
	if len(parts) != 5 {
		return Claim{}, ErrBadToken
	}
	id, visit, score, expires, sig := parts[0], parts[1], parts[2], parts[3], parts[4]
	if len(id) != 26 || len(score) != 1 || score[0] < '1' || score[0] > '5' {
		return Claim{}, ErrBadToken
	}
	good := false
	p := tok[:len(tok)-len(sig)-1]
	for _, k := range s.Keys {
		if hmac.Equal([]byte(sig), []byte(mac(k, p))) {
			good = true
			break
		}
	}
	if !good {
		return Claim{}, ErrBadToken
	}
	v, err1 := strconv.ParseInt(visit, 36, 64)
	e, err2 := strconv.ParseInt(expires, 36, 64)
	if err1 != nil || err2 != nil {
		return Claim{}, ErrBadToken
	}
	c := Claim{Ticket: ticket.ID(strings.ToUpper(id)), Visit: time.Unix(v, 0).UTC(), Score: int(score[0] - '0'), Expires: time.Unix(e, 0).UTC()}
	if !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// Links makes the survey's five links under base (the web form's public
// URL): base + "/survey/" + token, for scores 1 to 5.
type Links struct {
	Base   string
	Signer Signer
}

// For returns the links for the visit of ticket id due at visit, expiring
// at expires; element i gives score i+1.
func (l Links) For(id ticket.ID, visit, expires time.Time) [5]string {
	var out [5]string
	base := strings.TrimRight(l.Base, "/")
	for i := range out {
		out[i] = base + "/survey/" + l.Signer.Token(Claim{Ticket: id, Visit: visit, Score: i + 1, Expires: expires})
	}
	return out
}
