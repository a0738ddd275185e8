package notice

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/ticket"
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
// more digits in s with placeholders. Digits may be ASCII or full-width,
// in groups with up to three separators between: spaces, dashes of any
// kind, dots, middle dots, slashes, underscores or brackets, ASCII,
// full-width or typographic ("138 - 0013 - 8000", "138·0013·8000"), and
// commas too in a phone number ("138，0013，8000"). A run that starts with
// "+" or looks like a mainland mobile or landline number becomes [phone],
// other long runs [number]. Addresses may have their at sign full-width
// or spelled out ("li(at)example.cn", "li at example.cn"). What staff
// need stays readable: dates (2026-12-01, 2026/12/1, 2026.12.01,
// full-width too), times of day (9:30, 09:30:15), ticket references
// (FD-7K3MQ9), amounts ("¥1,234.56", "1,234,567": commas in threes group
// thousands; "120.00 - 30.00" is two numbers, not one) and lists
// ("1201，1202").
//
// Text that ends in an ellipsis ("…" or "...") may have been cut short
// before it got here, so what stands right before the ellipsis is treated
// as the start of something longer: an address with only part of its
// domain, or a number of minCutDigits or more digits, is masked too, also
// when the cut fell on the separators between two groups ("138 00 …").
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
	return emailLocal(r) || emailDomain(r) || isAt(r) || unicode.IsDigit(r) || groupSep(r) || isComma(r) || r == '＋'
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

// spelledAts are at signs written out to get past address harvesters,
// longest first; the last, a bare word, is the only one ordinary
// sentences also use.
var spelledAts = [][]rune{[]rune(" (at) "), []rune(" [at] "), []rune("(at)"), []rune("[at]"), []rune("{at}"), []rune("（at）"), []rune("【at】"), []rune(" at ")}

// spelledAt returns the length of a spelled-out at sign at rs[i:], or 0,
// and whether it is the bare word.
func spelledAt(rs []rune, i int) (n int, bare bool) {
	if !strings.ContainsRune(" ([{（【", rs[i]) {
		return 0, false
	}
next:
	for k, p := range spelledAts {
		if i+len(p) > len(rs) {
			continue
		}
		for j, r := range p {
			if unicode.ToLower(rs[i+j]) != r {
				continue next
			}
		}
		return len(p), k == len(spelledAts)-1
	}
	return 0, false
}

// mayHoldAddress reports text with an at sign, or "at" in any case.
func mayHoldAddress(s string) bool {
	if strings.ContainsAny(s, "@＠") {
		return true
	}
	for i := 0; i+1 < len(s); i++ {
		if s[i]|0x20 == 'a' && s[i+1]|0x20 == 't' {
			return true
		}
	}
	return false
}

// plainDomain reports a domain as people write one after a bare "at":
// ASCII labels ending in a lower-case top-level domain of two or more
// letters. A sentence rarely looks like that ("at home.Then" does not).
func plainDomain(d string) bool {
	dot := strings.LastIndexByte(d, '.')
	if dot < 1 || len(d)-dot-1 < 2 {
		return false
	}
	for _, c := range []byte(d[dot+1:]) {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	for _, c := range []byte(d) {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maskEmails replaces every local@domain.tld with MaskEmail, the at sign
// also full-width or spelled out ("zhang.san at example.com",
// "li(at)example.cn"); when cutOff, also an address at the very end of s
// whose domain has been cut short.
func maskEmails(s string, cutOff bool) string {
	if !mayHoldAddress(s) {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	last := 0
	for i := 0; i < len(rs); i++ {
		at, spelled, bare := 1, false, false
		if !isAt(rs[i]) {
			if at, bare = spelledAt(rs, i); at == 0 {
				continue
			}
			spelled = true
		}
		start := i
		for start > last && emailLocal(rs[start-1]) {
			start--
		}
		end := i + at
		for end < len(rs) && emailDomain(rs[end]) {
			end++
		}
		// An address that runs into the cut may go on past it: all of it
		// goes. Not one spelled out: "look at th…" is no address.
		partial := cutOff && end == len(rs) && !spelled
		// A sentence may end right after the address.
		for end > i+at && (rs[end-1] == '.' || rs[end-1] == '-') && !partial {
			end--
		}
		domain := string(rs[i+at : end])
		whole := strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && (!bare || plainDomain(domain))
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
// phone or account number: spaces, dashes, dots, slashes, underscores and
// brackets, ASCII, full-width or typographic.
func groupSep(r rune) bool {
	switch r {
	case '-', '\u2010', '\u2011', '\u2012', '–', '—', '\u2015', '\u2212', '\ufe58', '\ufe63', '－',
		'.', '·', '\u2027', '\u2219', '・', '．', '･',
		'/', '／', '_', '＿', '(', ')', '（', '）':
		return true
	}
	return unicode.Is(unicode.Zs, r)
}

// maxSep is the most separator runes between two groups of digits: " - "
// in "138 - 0013 - 8000".
const maxSep = 3

// isComma reports the commas that may stand between the groups of a phone
// number ("138，0013，8000"), though mostly they end a clause or group an
// amount in thousands.
func isComma(r rune) bool { return r == ',' || r == '，' }

// maxPhoneDigits is the most digits a phone number has (E.164).
const maxPhoneDigits = 15

// maskDigits replaces long runs of digits with MaskPhone or MaskNumber;
// when cutOff, also a shorter run that s ends with.
func maskDigits(s string, cutOff bool) string {
	rs := []rune(s)
	sc := digitScanner{rs: rs, kept: keep(rs), cutOff: cutOff}
	var b strings.Builder
	last := 0
	for i := 0; i < len(rs); i++ {
		if sc.kept[i] || !(unicode.IsDigit(rs[i]) || rs[i] == '+' || rs[i] == '＋' || rs[i] == '(' || rs[i] == '（') {
			continue
		}
		// Commas join groups only into a phone number, and never into
		// what reads as an amount ("1,234,567"); otherwise a comma ends
		// the run, as in a list ("1201，1202").
		run := sc.scan(i, true)
		if !run.commas || !run.masked() || !run.phone() || len(run.digits) > maxPhoneDigits || thousands(rs[i:run.end], run.cut) {
			run = sc.scan(i, false)
		}
		if !run.masked() {
			// Skip past the digits seen so a later start inside the same
			// short run is not tried again.
			if len(run.digits) > 0 {
				i = run.stop - 1
			}
			continue
		}
		b.WriteString(string(rs[last:i]))
		if run.phone() {
			b.WriteString(MaskPhone)
		} else {
			b.WriteString(MaskNumber)
		}
		last = run.end
		i = run.end - 1
	}
	b.WriteString(string(rs[last:]))
	return b.String()
}

// digitScanner reads candidate runs of digits for maskDigits.
type digitScanner struct {
	rs     []rune
	kept   []bool // runes of dates, times and references
	cutOff bool   // the text was cut short at its end
}

// digitRun is a candidate run of digits.
type digitRun struct {
	stop   int    // where the scan stopped
	end    int    // where the run ends: trailing separators belong to the sentence
	text   string // the run up to end
	digits []rune
	cut    bool // the cut at the end of the text went through the run
	commas bool // commas stand between some of its groups
}

// masked reports a run Mask hides.
func (r digitRun) masked() bool { return len(r.digits) >= MinDigits || r.cut }

// phone reports a run that is, or starts, a phone number.
func (r digitRun) phone() bool {
	return phoneLike(r.text, r.digits) || r.cut && phoneStart(r.digits)
}

// scan reads the run from rs[i]: groups of digits with a few separators
// between, commas among them when commas.
func (sc digitScanner) scan(i int, commas bool) digitRun {
	rs, kept := sc.rs, sc.kept
	sep := func(r rune) bool { return groupSep(r) || commas && isComma(r) }
	// seps counts the separator runes from j on, up to maxSep+1.
	seps := func(j int) int {
		k := 0
		for k <= maxSep && j+k < len(rs) && !kept[j+k] && sep(rs[j+k]) {
			k++
		}
		return k
	}
	digit := func(j int) bool { return j < len(rs) && !kept[j] && unicode.IsDigit(rs[j]) }
	// group counts the digits since the last separators; fraction says
	// those were a single dot, as in an amount.
	run := digitRun{}
	j, group, fraction := i, 0, false
scan:
	for j < len(rs) && !kept[j] {
		r := rs[j]
		switch {
		case unicode.IsDigit(r):
			// No phone number is longer: stop before a long list of
			// numbers makes this quadratic.
			if commas && len(run.digits) > maxPhoneDigits {
				break scan
			}
			group++
			run.digits = append(run.digits, r)
			j++
		case (r == '+' || r == '＋') && j == i:
			j++
		case sep(r):
			k := seps(j)
			if k > maxSep || !digit(j+k) {
				if (r == ')' || r == '）') && len(run.digits) > 0 {
					j++
					continue
				}
				break scan
			}
			// "120.00 - 30.00" is arithmetic, not one number.
			if k > 1 && fraction && group == 2 {
				break scan
			}
			fraction = k == 1 && (r == '.' || r == '．')
			for _, r := range rs[j : j+k] {
				run.commas = run.commas || isComma(r)
			}
			group = 0
			j += k
		default:
			break scan
		}
	}
	run.stop = j
	run.text = strings.TrimRightFunc(string(rs[i:j]), func(r rune) bool { return groupSep(r) && r != ')' && r != '）' })
	run.end = i + utf8.RuneCountInString(run.text)
	// A cut may fall on the separators between two groups: "138 00 …"
	// was cut inside the number all the same.
	n := len(run.digits)
	run.cut = sc.cutOff && j+seps(j) == len(rs) && len(rs)-j <= maxSep &&
		(n >= minCutDigits || n > 0 && phonePrefix(run.text))
	return run
}

// thousands reports a run whose commas group its digits in threes, as in
// an amount ("1,234,567", "¥12,345.67"): one to three digits before the
// first comma, three after each. When open, the text was cut in the last
// group, which may be shorter.
func thousands(run []rune, open bool) bool {
	first := true
	for k, r := range run {
		if !isComma(r) {
			continue
		}
		if first {
			n := 0
			for m := k - 1; m >= 0 && unicode.IsDigit(run[m]); m-- {
				n++
			}
			if n < 1 || n > 3 {
				return false
			}
			first = false
		}
		n := 0
		for k+1+n < len(run) && unicode.IsDigit(run[k+1+n]) {
			n++
		}
		if n != 3 && !(open && k+1+n == len(run) && n > 0 && n < 3) {
			return false
		}
	}
	return true
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

// keep marks the runes of dates, times of day and ticket references:
// they stay readable, and their digits never join a run.
func keep(rs []rune) []bool {
	kept := make([]bool, len(rs))
	for i := 0; i < len(rs); i++ {
		n := dateLen(rs, i)
		if n == 0 {
			n = timeLen(rs, i)
		}
		if n == 0 {
			n = refLen(rs, i)
		}
		for k := i; k < i+n; k++ {
			kept[k] = true
		}
		i += max(n-1, 0)
	}
	return kept
}

// asciiDigit returns the value of an ASCII or full-width digit, or -1.
func asciiDigit(r rune) int {
	if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
		return digitValue(r)
	}
	return -1
}

// number reads up to max ASCII or full-width digits of rs from i on: their
// value and how many.
func number(rs []rune, i, max int) (v, n int) {
	for n < max && i+n < len(rs) && asciiDigit(rs[i+n]) >= 0 {
		v = v*10 + asciiDigit(rs[i+n])
		n++
	}
	return v, n
}

// dateLen returns the length of a calendar date at rs[i:] — year 1900 to
// 2099, month and day of one or two digits, all three joined by the same
// "-", "/" or "." (or full-width) — or 0.
func dateLen(rs []rune, i int) int {
	if i > 0 && unicode.IsDigit(rs[i-1]) {
		return 0
	}
	y, n := number(rs, i, 4)
	if n != 4 || y < 1900 || y > 2099 || i+n >= len(rs) {
		return 0
	}
	sep := rs[i+n]
	if !strings.ContainsRune("-/.－／．", sep) {
		return 0
	}
	j := i + n + 1
	m, n := number(rs, j, 2)
	if n == 0 || m < 1 || m > 12 || j+n >= len(rs) || rs[j+n] != sep {
		return 0
	}
	j += n + 1
	d, n := number(rs, j, 2)
	j += n
	if n == 0 || d < 1 || d > 31 || j < len(rs) && unicode.IsDigit(rs[j]) ||
		j+1 < len(rs) && rs[j] == sep && unicode.IsDigit(rs[j+1]) {
		return 0
	}
	return j - i
}

func isColon(r rune) bool { return r == ':' || r == '：' }

// timeLen returns the length of a time of day at rs[i:] (9:30, 09:30,
// 09:30:15), or 0.
func timeLen(rs []rune, i int) int {
	if i > 0 && (unicode.IsDigit(rs[i-1]) || isColon(rs[i-1])) {
		return 0
	}
	h, n := number(rs, i, 2)
	j := i + n
	if n == 0 || h > 24 || j >= len(rs) || !isColon(rs[j]) {
		return 0
	}
	for part := 0; part < 2; part++ {
		v, n := number(rs, j+1, 3)
		if n != 2 || v > 59 {
			if part == 0 {
				return 0
			}
			break
		}
		j += 1 + n
		if j >= len(rs) || !isColon(rs[j]) {
			break
		}
	}
	if j < len(rs) && (unicode.IsDigit(rs[j]) || isColon(rs[j])) {
		return 0
	}
	return j - i
}

// refLen returns the length of a ticket reference at rs[i:], or 0.
func refLen(rs []rune, i int) int {
	const n = len("FD-") + 6
	if i+n > len(rs) || rs[i] != 'F' && rs[i] != 'f' || rs[i+2] != '-' ||
		i > 0 && isASCIIAlnum(rs[i-1]) || i+n < len(rs) && isASCIIAlnum(rs[i+n]) {
		return 0
	}
	if _, ok := ticket.ParseRef(string(rs[i : i+n])); !ok {
		return 0
	}
	return n
}
