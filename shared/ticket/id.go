package ticket

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID identifies a ticket. It is a ULID: sortable by creation time, and it
// carries nothing about the customer.
type ID string

var (
	idMu      sync.Mutex
	idEntropy = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns a fresh ID for an item made at t. IDs made in the same
// millisecond still sort in the order they were made.
func NewID(t time.Time) ID {
	idMu.Lock()
	defer idMu.Unlock()
	return ID(ulid.MustNew(ulid.Timestamp(t), idEntropy).String())
}

// Ref is the short reference a customer quotes: "FD-" and six characters
// from an alphabet without look-alikes (no 0/O, 1/I/L, U).
type Ref string

// RefAlphabet is the set of characters a reference is made of.
const RefAlphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

const refLen = 6

// NewRef returns a random reference. References are unique because the
// store reserves each one atomically; a clash is retried with a new one.
func NewRef() Ref {
	var b [refLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(fmt.Sprintf("read random bytes: %v", err))
	}
	out := make([]byte, 0, 3+refLen)
	out = append(out, "FD-"...)
	for _, c := range b {
		// 256 is not a multiple of 30; the bias (≤ 1/256) is immaterial for
		// references that are reserved, not guessed.
		out = append(out, RefAlphabet[int(c)%len(RefAlphabet)])
	}
	return Ref(out)
}

// ParseRef reads a reference as a customer may type it: any case, with or
// without the "FD-" prefix and separators, look-alikes mapped back (O→0 is
// not in the alphabet, so O, 0 and Q are not guessed). It reports false
// when s is not a reference.
func ParseRef(s string) (Ref, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "FD")
	s = strings.TrimLeft(s, "-_ #")
	if len(s) != refLen {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(RefAlphabet, s[i]) < 0 {
			return "", false
		}
	}
	return Ref("FD-" + s), true
}

// FindRef returns the first ticket reference in text (an email subject,
// say), or false.
func FindRef(text string) (Ref, bool) {
	up := strings.ToUpper(text)
	for i := 0; ; {
		j := strings.Index(up[i:], "FD-")
		if j < 0 {
			return "", false
		}
		start := i + j
		end := start + 3 + refLen
		if end <= len(up) && (start == 0 || !isAlnum(up[start-1])) && (end == len(up) || !isAlnum(up[end])) {
			if r, ok := ParseRef(up[start:end]); ok {
				return r, true
			}
		}
		i = start + 3
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
