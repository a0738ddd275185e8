package dynamo

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// maxKeyPart is the most bytes of outside input put into a key as it is.
// DynamoDB takes partition keys up to 2048 bytes and sort keys up to 1024,
// non-empty and valid UTF-8; a part this long leaves room for any prefix.
const maxKeyPart = 512

// KeyPart returns s as it may stand in a key: unchanged when it is
// non-empty valid UTF-8 of at most 512 bytes, otherwise "sha256:" and the
// hash of its bytes. Every key part that comes from outside (provider
// message IDs, idempotency keys, quarantine IDs) goes through it, so
// nothing a sender does can make a write fail on its key. The same input
// always gives the same part, and a part it returns is returned
// unchanged, so a key read back and used again names the same item.
func KeyPart(s string) string {
	if s != "" && len(s) <= maxKeyPart && utf8.ValidString(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func sourcePK(src ticket.Source) string {
	return pSource + string(src.Channel) + "#" + KeyPart(src.ID)
}

func sentPK(ch ticket.Channel, providerID string) string {
	return pSent + string(ch) + "#" + KeyPart(providerID)
}

func refPK(ref ticket.Ref) string { return pRef + KeyPart(string(ref)) }

func ratePK(key string, window time.Time) string {
	return pRate + KeyPart(key) + "#" + strconv.FormatInt(window.Unix(), 10)
}

// EventItem reports whether the keys pk and sk (as a stream record carries
// them) are those of a history event item, and names its ticket. Readers of
// the table's stream ask here rather than knowing the key layout.
func EventItem(pk, sk string) (ticket.ID, bool) {
	id, ok := strings.CutPrefix(pk, pTicket)
	if !ok || id == "" || !strings.HasPrefix(sk, skEvent) {
		return "", false
	}
	return ticket.ID(id), true
}

// Key prefixes.
const (
	pTicket     = "TICKET#"
	pSource     = "SOURCE#"
	pRef        = "REF#"
	pSent       = "SENT#"
	pRate       = "RATE#"
	pContact    = "CONTACT#"
	pDay        = "DAY#"
	pDue        = "DUE#"
	pQuarantine = "QUARANTINE#"
	skTicket    = "TICKET"
	skMsg       = "MSG#"
	skEvent     = "EVENT#"
	skLink      = "LINK#"
	skDue       = "DUE#"
	skClaim     = "CLAIM"
)

func keyOf(pk, sk string) item { return item{attrPK: s(pk), attrSK: s(sk)} }

// ticketPK is a ticket's partition. Ticket IDs are Frontdesk's own, but a
// caller may hand one over from outside (a link, a token): KeyPart keeps a
// bogus one from failing the read on its key.
func ticketPK(id ticket.ID) string { return pTicket + KeyPart(string(id)) }

// ContactKey is the contact index's key for a phone or email. It is a hash,
// so no phone number or address appears in a key.
func ContactKey(kind, value string) string {
	sum := sha256.Sum256([]byte(kind + ":" + value))
	return pContact + kind + "#" + hex.EncodeToString(sum[:16])
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// dueBucket is the DueIndex partition for a due kind at an instant: one
// per kind and UTC hour.
func dueBucket(kind string, t time.Time) string {
	return pDue + kind + "#" + t.UTC().Format("2006-01-02T15")
}
