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

// MaxText is the most runes of masked text Mask returns; the rest is cut
// off. Notice text is a summary, never a whole message.
const MaxText = 1000

// maxRead is how many runes Mask reads before it looks for the end of the
// word it is in: plenty for MaxText runes of masked text.
const maxRead = 4 * MaxText

// maxToken is how far past maxRead Mask looks for that end: an email
// address has at most 254 characters.
const maxToken = 256

// ellipsis marks text cut short, here and by ticket.Summarize.
const ellipsis = "…"

// minCutDigits is the fewest digits of a number cut off by an ellipsis
// that Mask hides: a shorter piece tells no more than an area code.
const minCutDigits = 4

// Mask replaces phone numbers, email addresses and runs of MinDigits or
// more digits in s (ASCII or full-width, with spaces, dashes, dots, slashes
// or brackets between groups) with placeholders. A run that starts with
// "+" or looks like a mainland mobile or landline number becomes [phone],
// other long runs [number]. Calendar dates written as YYYY-MM-DD or
// YYYY/MM/DD stay readable.
//
// Text that ends in an ellipsis ("…" or "...") may have been cut short
// before it got here, so what stands right before the ellipsis is treated
// as the start of something longer: an address with only part of its
// domain, or a number of minCutDigits or more digits, is masked too.
//
// Mask masks first and cuts after, so a cut never lets part of an address
// or number through; the result has at most MaxText runes and never ends
// inside a placeholder.
func Mask(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	body, cutOff := window(s)
	mark := ""
	if !cutOff {
		body, mark = splitCutMark(body)
		cutOff = mark != ""
	}
	body = maskEmails(body, cutOff)
	body = maskDigits(body, cutOff)
	return truncate(body+mark, MaxText, "")
}

// window returns the part of s Mask reads: maxRead runes, and on to a rune
// that cannot be inside an address or a number. When there is none within
// maxToken runes, the part ends inside one: cutOff.
func window(s string) (body string, cutOff bool) {
	end := 0
	for n := 0; n < maxRead && end < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	for n := 0; n < maxToken && end < len(s); n++ {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !inToken(r) {
			return s[:end], false
		}
		end += size
	}
	return s[:end], end < len(s)
}

// inToken reports runes that may stand inside an address or a number.
func inToken(r rune) bool {
	return emailLocal(r) || emailDomain(r) || isAt(r) || unicode.IsDigit(r) || groupSep(r) || r == '＋'
}

// splitCutMark splits a trailing ellipsis off s.
func splitCutMark(s string) (body, mark string) {
	body = strings.TrimRight(s, ".…")
	if mark = s[len(body):]; strings.Contains(mark, ellipsis) || strings.Count(mark, ".") >= 3 {
		return body, mark
	}
	return s, ""
}

// placeholders are what Mask writes in place of personal data.
var placeholders = []string{MaskPhone, MaskEmail, MaskNumber}

// truncate cuts s to at most max runes, the last of them mark when s is
// cut. It cuts between runes, and before a placeholder it would split.
func truncate(s string, max int, mark string) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	keep := max - utf8.RuneCountInString(mark)
	end := 0
	for n := 0; n < keep && end < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	if open := strings.LastIndexByte(s[:end], '['); open >= 0 && !strings.Contains(s[open:end], "]") {
		for _, p := range placeholders {
			if strings.HasPrefix(s[open:], p) {
				end = open
				break
			}
		}
	}
	return s[:end] + mark
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

// maskEmails replaces every local@domain.tld with MaskEmail; when cutOff,
// also an address at the very end of s whose domain has been cut short.
func maskEmails(s string, cutOff bool) string {
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
		// An address that runs into the cut may go on past it: all of it
		// goes.
		partial := cutOff && end == len(rs)
		// A sentence may end right after the address.
		for end > i+1 && (rs[end-1] == '.' || rs[end-1] == '-') && !partial {
			end--
		}
		domain := string(rs[i+1 : end])
		whole := strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".")
		if start == i || !whole && !partial {
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

// maskDigits replaces long runs of digits with MaskPhone or MaskNumber;
// when cutOff, also a shorter run that s ends with.
func maskDigits(s string, cutOff bool) string {
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
		run := string(rs[i:j])
		// Trailing separators belong to the sentence.
		trimmed := strings.TrimRightFunc(run, func(r rune) bool { return groupSep(r) && r != ')' && r != '）' })
		cut := cutOff && j == len(rs) && (digits >= minCutDigits || digits > 0 && phonePrefix(trimmed))
		if digits < MinDigits && !cut {
			// Skip past the digits seen so a later start inside the same
			// short run is not tried again.
			if digits > 0 {
				i = j - 1
			}
			continue
		}
		j = i + utf8.RuneCountInString(trimmed)
		b.WriteString(string(rs[last:i]))
		if phoneLike(trimmed, ds) || cut && phoneStart(ds) {
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
	if phonePrefix(run) {
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

// phonePrefix reports the start of a run that only a phone number begins
// with: an international prefix or an area code in brackets.
func phonePrefix(run string) bool {
	return strings.HasPrefix(run, "+") || strings.HasPrefix(run, "＋") || strings.HasPrefix(run, "(") || strings.HasPrefix(run, "（")
}

// phoneStart reports digits a mainland mobile or landline number starts
// with.
func phoneStart(digits []rune) bool {
	if len(digits) == 0 {
		return false
	}
	first := digitValue(digits[0])
	return first == 0 || first == 1 && (len(digits) == 1 || digitValue(digits[1]) >= 3)
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
