// Package blast holds the pure parts of SMS notification blasts: reading an
// audience file and planning what sending to it costs. It stores nothing and
// sends nothing.
package blast

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/width"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// MaxRows is the largest audience a file may hold by default.
const MaxRows = 200_000

// MaxLine is the longest line read, in bytes; a longer line is reported as
// CodeBadRow and skipped.
const MaxLine = 4096

// Row problem codes. A row with a problem is reported, never dropped.
const (
	// CodeNoPhone: the row has no phone number.
	CodeNoPhone = "phone_missing"
	// CodeDuplicate: the number already appeared; FirstLine says where.
	CodeDuplicate = "duplicate"
	// CodeBadRow: the line cannot be read as CSV (a quote left open, a line
	// longer than MaxLine).
	CodeBadRow = "row_invalid"
	// ticket.CodePhoneInvalid and ticket.CodePhoneRegion report numbers
	// that do not normalize.
)

// Warning codes: the row is a recipient, with something to know.
const (
	// WarnLanguage: the language column names no known language; the
	// recipient gets the default language.
	WarnLanguage = "language_unknown"
)

// Errors that stop reading an audience.
var (
	ErrTooManyRows   = errors.New("audience has more rows than allowed")
	ErrNoPhoneColumn = errors.New("audience header names no phone column")
	ErrUTF16         = errors.New("audience is UTF-16: save it as UTF-8 or GBK CSV")
)

// Row is one data line of an audience: a recipient, or a problem.
type Row struct {
	// Line is the line number in the file, counting from 1 and including
	// the header.
	Line int
	// Phone is in E.164; for a problem row it holds what the file said
	// (only for the caller's report, never to be logged).
	Phone    string
	Name     string
	Language string // a ticket.Language ("zh-Hans", "zh-Hant", "en") or "" (the blast's default)
	// Problem is "" for a recipient, else one of the row problem codes.
	Problem string
	// FirstLine is, for a duplicate, the line where the number first
	// appeared.
	FirstLine int
	// Warning notes something about a recipient (WarnLanguage).
	Warning string
	// seq is planning's: the row's place among the file's recipient rows,
	// its recipient's Seq.
	seq int
}

// Options say how to read an audience.
type Options struct {
	// Region reads numbers without a country code ("CN").
	Region string
	// MaxRows bounds the data rows; 0 means MaxRows.
	MaxRows int
}

// Summary counts what reading an audience found.
type Summary struct {
	Header bool
	// Encoding is "UTF-8" or "GB18030" (GBK and GB2312 files read as its
	// superset).
	Encoding string
	// Rows counts data lines, blank lines left out.
	Rows       int
	Recipients int
	Invalid    int
	Duplicates int
	Warnings   int
	// Unique is the number of distinct numbers, and SetBytes an estimate of
	// the memory the duplicate check holds for them: the only memory that
	// grows with the audience.
	Unique   int
	SetBytes int
}

// detectSize is how much of the file decides its encoding.
const detectSize = 64 << 10

// Read reads an audience CSV from r and calls fn for every data row in
// file order, recipients and problems alike, so that nothing is dropped
// unseen and memory does not grow with the file: only the set of numbers
// seen (8 bytes of key and 4 of line number each, plus the map's overhead)
// is kept.
//
// The file is UTF-8 (with or without a byte-order mark) or GBK/GB18030,
// decided on its first 64 KiB; a field that is not valid UTF-8 in a file
// read as UTF-8 is read as GB18030 too. Lines end in LF, CRLF or (when the
// first 64 KiB hold no LF) CR. Fields are
// separated by commas (or tabs, when the first line has tabs and no commas)
// and may be quoted with "; a quoted field does not span lines, so a quote
// left open spoils only its own line. A first line naming the columns is
// recognized in Chinese or English (phone/mobile/手机/电话, name/姓名,
// language/语言); without one the columns are phone, name, language.
//
// Read stops at the first error fn returns, or with ErrTooManyRows when the
// file holds more than o.MaxRows data rows (after reporting all rows up to
// the limit).
func Read(r io.Reader, o Options, fn func(Row) error) (sum Summary, err error) {
	if o.MaxRows <= 0 {
		o.MaxRows = MaxRows
	}
	seen := newNumberSet()
	defer func() { sum.Unique, sum.SetBytes = seen.len(), seen.bytes() }()
	br := bufio.NewReaderSize(r, detectSize)
	head, _ := br.Peek(detectSize)
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return sum, ErrUTF16
	}
	gb := !validUTF8Prefix(head)
	sum.Encoding = "UTF-8"
	if gb {
		sum.Encoding = "GB18030"
	}
	// Lines end in LF or CRLF; files saved as "CSV (Macintosh)" end them in
	// CR alone.
	eol := byte('\n')
	if bytes.IndexByte(head, '\n') < 0 && bytes.IndexByte(head, '\r') >= 0 {
		eol = '\r'
	}
	if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	cols := columns{phone: 0, name: 1, language: 2}
	var sep byte
	line := 0
	headerRead := false
	for {
		raw, tooLong, err := readLine(br, eol)
		if err == io.EOF && raw == nil {
			break
		}
		if err != nil && err != io.EOF {
			return sum, fmt.Errorf("read audience line %d: %w", line+1, err)
		}
		line++
		text := strings.TrimSpace(string(raw))
		if text == "" && !tooLong {
			continue
		}
		if sep == 0 {
			sep = ','
			if !strings.Contains(text, ",") && strings.Contains(text, "\t") {
				sep = '\t'
			}
		}
		fields, ok := splitFields(raw, sep)
		for i, f := range fields {
			if gb || !utf8.ValidString(f) {
				fields[i] = decodeGB(f)
			}
		}
		if !headerRead {
			// Only the first non-blank line can name the columns.
			headerRead = true
			if c, isHeader := headerColumns(fields, o.Region); ok && !tooLong && isHeader {
				if c.phone < 0 {
					return sum, ErrNoPhoneColumn
				}
				cols, sum.Header = c, true
				continue
			}
		}
		sum.Rows++
		if sum.Rows > o.MaxRows {
			return sum, fmt.Errorf("%w: more than %d", ErrTooManyRows, o.MaxRows)
		}
		row := Row{Line: line}
		switch {
		case !ok || tooLong:
			row.Problem = CodeBadRow
		default:
			row = cols.row(line, fields)
			if row.Problem == "" {
				if e164, code := ticket.NormalizePhone(cleanPhone(row.Phone), o.Region); code != "" {
					row.Problem = code
				} else {
					row.Phone = e164
				}
			}
			if row.Problem == "" {
				if first, dup := seen.add(row.Phone, line); dup {
					row.Problem, row.FirstLine = CodeDuplicate, first
				}
			}
		}
		switch row.Problem {
		case "":
			sum.Recipients++
			if row.Warning != "" {
				sum.Warnings++
			}
		case CodeDuplicate:
			sum.Duplicates++
		default:
			sum.Invalid++
		}
		if err := fn(row); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// readLine returns the next line without its end (eol, and a CR before
// it), reading past the rest of a line longer than MaxLine and reporting it
// as too long.
func readLine(br *bufio.Reader, eol byte) ([]byte, bool, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice(eol)
		if len(line)+len(chunk) > MaxLine+2 {
			tooLong = true
		} else {
			line = append(line, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(line) == 0 && !tooLong {
			return nil, false, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, false, err
		}
		line = bytes.TrimSuffix(line, []byte{eol})
		line = bytes.TrimSuffix(line, []byte("\r"))
		if tooLong {
			return []byte{}, true, nil
		}
		return line, false, nil
	}
}

// validUTF8Prefix reports whether b is UTF-8, allowing a character cut off
// at its end by the size of the sample.
func validUTF8Prefix(b []byte) bool {
	if utf8.Valid(b) {
		return true
	}
	for cut := 1; cut < utf8.UTFMax && cut < len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) && !utf8.FullRune(b[len(b)-cut:]) {
			return true
		}
	}
	return false
}

// decodeGB reads a field of a GBK/GB18030 file.
func decodeGB(f string) string {
	out, err := simplifiedchinese.GB18030.NewDecoder().String(f)
	if err != nil {
		return f
	}
	return out
}

// splitFields splits one line into fields: separated by sep, each optionally
// in double quotes with "" standing for a quote. It fails on a quote left
// open or text after a closing quote.
func splitFields(line []byte, sep byte) ([]string, bool) {
	var fields []string
	i := 0
	for {
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i < len(line) && line[i] == '"' {
			var b strings.Builder
			i++
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					return nil, false
				}
				b.Write(line[i : i+j])
				i += j + 1
				if i < len(line) && line[i] == '"' {
					b.WriteByte('"')
					i++
					continue
				}
				break
			}
			for i < len(line) && (line[i] == ' ' || line[i] == '\t' && sep != '\t') {
				i++
			}
			fields = append(fields, b.String())
			if i == len(line) {
				return fields, true
			}
			if line[i] != sep {
				return nil, false
			}
			i++
			continue
		}
		j := bytes.IndexByte(line[i:], sep)
		if j < 0 {
			return append(fields, string(line[i:])), true
		}
		fields = append(fields, string(line[i:i+j]))
		i += j + 1
	}
}

// columns says where each field stands.
type columns struct {
	phone, name, language int
}

var headerNames = map[string][]string{
	"phone":    {"phone", "phone number", "mobile", "mobile number", "cell", "tel", "telephone", "number", "msisdn", "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话", "手機", "手機號碼", "電話", "電話號碼", "號碼", "号码"},
	"name":     {"name", "full name", "customer", "姓名", "名字", "客户", "客户名称", "客戶", "客戶名稱"},
	"language": {"language", "lang", "locale", "语言", "語言"},
}

// headerColumns reads fields as a header: a line none of whose fields is a
// phone number and one of whose fields names a known column.
func headerColumns(fields []string, region string) (columns, bool) {
	c := columns{phone: -1, name: -1, language: -1}
	known := false
	for i, f := range fields {
		if _, code := ticket.NormalizePhone(cleanPhone(f), region); code == "" {
			return columns{}, false
		}
		k := ticket.Fold(strings.Trim(f, "\ufeff\"' "))
		for col, names := range headerNames {
			for _, n := range names {
				if k != n {
					continue
				}
				known = true
				switch {
				case col == "phone" && c.phone < 0:
					c.phone = i
				case col == "name" && c.name < 0:
					c.name = i
				case col == "language" && c.language < 0:
					c.language = i
				}
			}
		}
	}
	return c, known
}

// row picks a row's fields by column.
func (c columns) row(line int, fields []string) Row {
	get := func(i int) string {
		if i < 0 || i >= len(fields) {
			return ""
		}
		return strings.TrimSpace(fields[i])
	}
	r := Row{Line: line, Phone: get(c.phone)}
	if r.Phone == "" {
		r.Problem = CodeNoPhone
	}
	r.Name = strings.Join(strings.Fields(get(c.name)), " ")
	if n := []rune(r.Name); len(n) > ticket.MaxName {
		r.Name = string(n[:ticket.MaxName])
	}
	if lang := get(c.language); lang != "" {
		r.Language = Language(lang)
		if r.Language == "" {
			r.Warning = WarnLanguage
		}
	}
	return r
}

// Language reads a language as people write it in an audience file ("zh",
// "zh-CN", "中文", "繁體", "English") as ticket.SimplifiedChinese,
// TraditionalChinese or English, or "" when it is none of them.
func Language(s string) string {
	k := strings.ReplaceAll(ticket.Fold(s), "_", "-")
	switch k {
	case "zh", "zh-cn", "zh-hans", "zh-sg", "zh-hans-cn", "cn", "chinese", "中文", "简体", "简体中文", "汉语", "普通话":
		return string(ticket.SimplifiedChinese)
	case "zh-tw", "zh-hk", "zh-mo", "zh-hant", "zh-hant-tw", "zh-hant-hk", "繁体", "繁體", "繁体中文", "繁體中文", "正體中文":
		return string(ticket.TraditionalChinese)
	case "en", "en-us", "en-gb", "en-hk", "english", "英文", "英语", "英語":
		return string(ticket.English)
	}
	return ""
}

// cleanPhone undoes what spreadsheets do to numbers: a leading apostrophe
// or ="…" keeping them text, and full-width digits.
func cleanPhone(s string) string {
	s = width.Fold.String(strings.TrimSpace(s))
	if strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) {
		s = s[2 : len(s)-1]
	}
	return strings.TrimPrefix(s, "'")
}

// numberSet is the set of numbers seen, each kept as the digits of its
// E.164 form in a uint64 (at most 15 digits), with the line it first
// appeared on.
type numberSet struct {
	m map[uint64]uint32
}

func newNumberSet() *numberSet { return &numberSet{m: make(map[uint64]uint32)} }

// add records e164 seen on line, or returns the line it was first seen on.
func (s *numberSet) add(e164 string, line int) (int, bool) {
	key, err := strconv.ParseUint(strings.TrimPrefix(e164, "+"), 10, 64)
	if err != nil {
		// NormalizePhone gives at most 15 digits: this cannot happen, but
		// a number that cannot be keyed must not pass unchecked either.
		return 0, false
	}
	if first, ok := s.m[key]; ok {
		return int(first), true
	}
	s.m[key] = uint32(line)
	return 0, false
}

func (s *numberSet) len() int { return len(s.m) }

// bytes estimates the set's memory: Go maps keep 8 slots a group with a
// control word, a slot here being a key and a value padded to 16 bytes,
// filled to at most 7/8 and doubled when full.
func (s *numberSet) bytes() int {
	slots := 8
	for slots*7/8 < len(s.m) {
		slots *= 2
	}
	return slots*16 + slots/8*8
}
