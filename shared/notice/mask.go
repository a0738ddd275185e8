package notice

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Placeholders that replace personal data in a notice's text.
const (
	MaskPhone  = "[phone]"
	MaskEmail  = "[email]"
	MaskNumber = "[number]"
)

// MinDigits is the shortest run of digits Mask hides: local landline
// numbers have seven, account, card and ID numbers more.
const MinDigits = 7

// MaxText is the most runes of text Mask reads; the rest is cut off. Notice
// text is a summary, never a whole message.
const MaxText = 1000

// Mask replaces phone numbers, email addresses and runs of MinDigits or
// more digits in s (ASCII or full-width, with spaces, dashes, dots, slashes
// or brackets between groups) with placeholders. A run that starts with
// "+" or looks like a mainland mobile or landline number becomes [phone],
// other long runs [number]. Calendar dates written as YYYY-MM-DD or
// YYYY/MM/DD stay readable.
func Mask(s string) string {
	if utf8.RuneCountInString(s) > MaxText {
		s = string([]rune(s)[:MaxText])
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = maskEmails(s)
	return maskDigits(s)
}

func isAt(r rune) bool { return r == '@' || r == '＠' }

// emailLocal reports runes allowed in the local part of an address.
func emailLocal(r rune) bool {
	return r < utf8.RuneSelf && (isASCIIAlnum(r) || strings.ContainsRune("!#$%&'*+/=?^_`{|}~.-", r))
}

// emailDomain reports runes allowed in a domain (IDNs included).
func emailDomain(r rune) bool {
	return isASCIIAlnum(r) || r == '.' || r == '-' || (r >= utf8.RuneSelf && unicode.IsLetter(r) && !unicode.Is(unicode.Han, r))
}

func isASCIIAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// maskEmails replaces every local@domain.tld with MaskEmail.
func maskEmails(s string) string {
	if !strings.ContainsRune(s, '@') && !strings.ContainsRune(s, '＠') {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	last := 0
	for i := 0; i < len(rs); i++ {
		if !isAt(rs[i]) {
			continue
		}
		start := i
		for start > last && emailLocal(rs[start-1]) {
			start--
		}
		end := i + 1
		for end < len(rs) && emailDomain(rs[end]) {
			end++
		}
		// A sentence may end right after the address.
		for end > i+1 && (rs[end-1] == '.' || rs[end-1] == '-') {
			end--
		}
		domain := string(rs[i+1 : end])
		if start == i || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") {
			continue
		}
		b.WriteString(string(rs[last:start]))
		b.WriteString(MaskEmail)
		last = end
		i = end - 1
	}
	b.WriteString(string(rs[last:]))
	return b.String()
}

// groupSep reports runes that may stand between groups of digits in a
// phone or account number.
func groupSep(r rune) bool {
	switch r {
	case ' ', '-', '.', '/', '(', ')', '（', '）', '－', '\u00a0', '\u3000':
		return true
	}
	return false
}

// maskDigits replaces long runs of digits with MaskPhone or MaskNumber.
func maskDigits(s string) string {
	rs := []rune(s)
	// Dates are kept: their runes never join a run.
	kept := make([]bool, len(rs))
	for i := 0; i+10 <= len(rs); i++ {
		if isDate(string(rs[i:i+10])) && (i == 0 || !unicode.IsDigit(rs[i-1])) && (i+10 == len(rs) || !unicode.IsDigit(rs[i+10])) {
			for k := i; k < i+10; k++ {
				kept[k] = true
			}
			i += 9
		}
	}
	digit := func(j int) bool { return j < len(rs) && !kept[j] && unicode.IsDigit(rs[j]) }
	var b strings.Builder
	last := 0
	for i := 0; i < len(rs); i++ {
		if kept[i] || !(unicode.IsDigit(rs[i]) || rs[i] == '+' || rs[i] == '＋' || rs[i] == '(' || rs[i] == '（') {
			continue
		}
		// Scan a candidate run: digits with single separators between.
		j, digits := i, 0
		var ds []rune
		for j < len(rs) && !kept[j] {
			r := rs[j]
			switch {
			case unicode.IsDigit(r):
				digits++
				ds = append(ds, r)
				j++
				continue
			case (r == '+' || r == '＋') && j == i:
				j++
				continue
			case groupSep(r) && (digit(j+1) || j+2 < len(rs) && !kept[j+1] && groupSep(rs[j+1]) && digit(j+2)):
				j++
				continue
			case (r == ')' || r == '）') && digits > 0:
				j++
				continue
			}
			break
		}
		if digits < MinDigits {
			// Skip past the digits seen so a later start inside the same
			// short run is not tried again.
			if digits > 0 {
				i = j - 1
			}
			continue
		}
		run := string(rs[i:j])
		// Trailing separators belong to the sentence.
		trimmed := strings.TrimRightFunc(run, func(r rune) bool { return groupSep(r) && r != ')' && r != '）' })
		j = i + utf8.RuneCountInString(trimmed)
		b.WriteString(string(rs[last:i]))
		if phoneLike(trimmed, ds) {
			b.WriteString(MaskPhone)
		} else {
			b.WriteString(MaskNumber)
		}
		last = j
		i = j - 1
	}
	b.WriteString(string(rs[last:]))
	return b.String()
}

// phoneLike tells phone numbers from other long numbers: an international
// prefix, a mainland mobile number (1[3-9] and nine more digits), or a
// mainland landline with its area code (0 and 9 to 11 more digits).
func phoneLike(run string, digits []rune) bool {
	if strings.HasPrefix(run, "+") || strings.HasPrefix(run, "＋") || strings.HasPrefix(run, "(") || strings.HasPrefix(run, "（") {
		return true
	}
	d := make([]byte, 0, len(digits))
	for _, r := range digits {
		d = append(d, byte('0'+digitValue(r)))
	}
	switch {
	case len(d) == 11 && d[0] == '1' && d[1] >= '3':
		return true
	case len(d) >= 10 && len(d) <= 12 && d[0] == '0':
		return true
	case len(d) == 13 && d[0] == '8' && d[1] == '6' && d[2] == '1':
		return true
	}
	return false
}

func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	if r >= '０' && r <= '９' {
		return int(r - '０')
	}
	// Other Unicode decimal digits: their value within their block.
	for _, base := range []rune{0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10} {
		if r >= base && r <= base+9 {
			return int(r - base)
		}
	}
	return 0
}

// isDate reports YYYY-MM-DD and YYYY/MM/DD (ASCII digits only).
func isDate(run string) bool {
	if len(run) != 10 || (run[4] != '-' && run[4] != '/') || run[7] != run[4] {
		return false
	}
	for i, c := range []byte(run) {
		if i == 4 || i == 7 {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	m := (run[5]-'0')*10 + run[6] - '0'
	d := (run[8]-'0')*10 + run[9] - '0'
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}
