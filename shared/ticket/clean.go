package ticket

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hidden reports whether r is a character nobody sees that can still
// change what text says or how it shows: NUL and the other C0 and C1
// controls (tab and newline included; CleanText keeps those in bodies),
// DEL, zero-width spaces and joiners, byte order marks, bidirectional
// overrides, embeddings, isolates and marks, soft hyphens, tag characters
// (every format character, Unicode's Cf), and the Hangul fillers that pass
// for blank letters.
func Hidden(r rune) bool {
	switch r {
	case '\u115f', '\u1160', '\u3164', '\uffa0':
		return true
	}
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r)
}

// HasHidden reports whether s holds a hidden character (see Hidden) or a
// byte that is not UTF-8.
func HasHidden(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return strings.IndexFunc(s, Hidden) >= 0
}

// CleanText returns a message body without hidden characters: it keeps
// newlines and tabs, makes every line break a plain newline (CRLF, a lone
// CR, NEL, the Unicode line and paragraph separators), and drops the rest
// of the hidden characters and any byte that is not UTF-8. Every channel's
// text passes through it before it is stored. CleanText(CleanText(s)) ==
// CleanText(s).
func CleanText(s string) string {
	if !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			// Not UTF-8: dropped.
		case r == '\r':
			b.WriteByte('\n')
			if i < len(s) && s[i] == '\n' {
				i++
			}
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\u0085' || r == '\u2028' || r == '\u2029':
			b.WriteByte('\n')
		case Hidden(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// needsCleaning reports whether CleanText would change s.
func needsCleaning(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			return true
		case r == '\n' || r == '\t':
		case r == '\u2028' || r == '\u2029' || Hidden(r):
			return true
		}
	}
	return false
}

// CleanLine returns a one-line field (a name, a subject, a file name)
// without hidden characters, every run of white space (line breaks and
// tabs included) made one space, trimmed at both ends.
func CleanLine(s string) string {
	return strings.Join(strings.Fields(CleanText(s)), " ")
}
