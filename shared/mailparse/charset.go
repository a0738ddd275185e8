package mailparse

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gogs/chardet"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// utf7 is RFC 2152's UTF-7, still sent by old Outlook versions; the WHATWG
// table does not know it.
var utf7 encoding.Encoding = utf7Encoding{}

// encodingFor resolves a charset label. Every GB label (gb2312, gbk, cp936,
// gb18030 …) decodes as GB18030, its superset: Outlook labels GBK mail as
// gb2312, and characters outside GB2312 would otherwise turn into U+FFFD.
// Other labels resolve through the WHATWG table (htmlindex). It reports
// false for a label it does not know.
func encodingFor(label string) (encoding.Encoding, string, bool) {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	switch l {
	case "gb2312", "gbk", "gb18030", "cp936", "x-gbk", "csgb2312", "gb_2312", "gb_2312-80", "chinese", "csiso58gb231280", "iso-ir-58", "euc-cn", "x-euc-cn", "windows-936", "ms936":
		return simplifiedchinese.GB18030, "gb18030", true
	case "", "us-ascii", "ascii", "ansi_x3.4-1968", "utf8", "utf-8", "unicode-1-1-utf-8":
		return unicode.UTF8, "utf-8", true
	case "utf-7", "utf7", "unicode-1-1-utf-7", "csunicode11utf7", "x-unicode-2-0-utf-7":
		return utf7, "utf-7", true
	case "big5-hkscs", "cp950", "x-big5":
		l = "big5"
	case "ks_c_5601-1987", "cp949":
		l = "euc-kr"
	}
	e, err := htmlindex.Get(l)
	if err != nil {
		return nil, "", false
	}
	name, _ := htmlindex.Name(e)
	return e, name, true
}

// decodeText turns b, labelled label, into UTF-8. A missing, unknown or
// lying label is handled the way mail clients do: bytes that are valid
// UTF-8 are taken as UTF-8, otherwise the charset is detected from the
// bytes. Bytes that are not UTF-8 are never read as UTF-8 with
// replacement characters: a detected charset, or GB18030, reads them. It
// returns the text and the charset it used.
func decodeText(label string, b []byte) (string, string) {
	e, name, known := encodingFor(label)
	if known && name != "utf-8" {
		// ASCII-only content under a legacy label is ASCII whatever the
		// label says, except the 7-bit encodings, ISO-2022-JP and UTF-7,
		// and UTF-16, whose ASCII letters come with NUL bytes.
		if name != "iso-2022-jp" && name != "utf-7" && !strings.HasPrefix(name, "utf-16") && isASCII(b) {
			return string(b), name
		}
		// A message labelled in a single-byte Western charset that is in
		// fact UTF-8 is the commonest lie; UTF-8 is self-validating.
		if isWestern(name) && utf8.Valid(b) {
			return string(b), "utf-8"
		}
		if out, ok := decodeStrict(e, b); ok {
			return out, name
		}
	}
	if utf8.Valid(b) {
		return string(b), "utf-8"
	}
	det, detected := detect(b)
	var de encoding.Encoding
	var dname string
	if detected {
		de, dname, detected = encodingFor(det)
		detected = detected && dname != "utf-8"
	}
	// A single-byte charset reads any bytes, so the detector offers one
	// for short Chinese texts too: GB18030 goes first unless the
	// detector named a multi-byte charset, and is taken only when it
	// reads the bytes cleanly as mostly Chinese.
	if detected && !singleByte(dname) {
		if out, ok := decodeStrict(de, b); ok {
			return out, dname
		}
	}
	if out, ok := decodeStrict(simplifiedchinese.GB18030, b); ok && (!detected || mostlyHan(out)) {
		return out, "gb18030"
	}
	if detected {
		if out, ok := decodeStrict(de, b); ok {
			return out, dname
		}
	}
	if known && name != "utf-8" {
		out, _ := e.NewDecoder().Bytes(b)
		return strings.ToValidUTF8(string(out), "\uFFFD"), name
	}
	if detected {
		out, _ := de.NewDecoder().Bytes(b)
		return strings.ToValidUTF8(string(out), "\uFFFD"), dname
	}
	// Last resort: Chinese mail is the likeliest here.
	out, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	return strings.ToValidUTF8(string(out), "\uFFFD"), "gb18030"
}

// trimCutRune drops a UTF-8 character cut short at the end of b, when
// the rest is UTF-8: a text cut at a size limit is not misread for want
// of its last bytes.
func trimCutRune(b []byte) []byte {
	for k := 1; k <= 3 && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) && utf8.Valid(b[:len(b)-k]) {
				return b[:len(b)-k]
			}
			break
		}
	}
	return b
}

// singleByte reports whether a charset maps every byte to a character,
// so that any bytes decode "cleanly" in it.
func singleByte(name string) bool {
	return isWestern(name) || strings.HasPrefix(name, "iso-8859") || strings.HasPrefix(name, "koi8") ||
		name == "ibm866" || name == "macintosh" || name == "x-mac-cyrillic" || name == "windows-874"
}

// mostlyHan reports whether at least half the non-ASCII characters of s
// are Han characters or CJK punctuation.
func mostlyHan(s string) bool {
	han, other := 0, 0
	for _, r := range s {
		switch {
		case r < 0x80:
		case r >= 0x4e00 && r <= 0x9fff, r >= 0x3400 && r <= 0x4dbf, r >= 0x3000 && r <= 0x303f, r >= 0xff00 && r <= 0xffef:
			han++
		default:
			other++
		}
	}
	return han > 0 && han >= other
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c == 0x1b {
			return false
		}
	}
	return true
}

func isWestern(name string) bool {
	return strings.HasPrefix(name, "windows-125") || strings.HasPrefix(name, "iso-8859-")
}

// decodeStrict decodes b and reports whether the result is believable:
// no replacement characters where the input had none.
func decodeStrict(e encoding.Encoding, b []byte) (string, bool) {
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return "", false
	}
	if bytes.Contains(out, []byte("\uFFFD")) && !bytes.Contains(b, []byte("\uFFFD")) {
		return "", false
	}
	return string(out), true
}

// detectSample is how many bytes charset detection looks at.
const detectSample = 64 << 10

// detectRank breaks ties between equally likely charsets, in the order
// this business meets them; without it short texts would be read
// differently from one run to the next.
var detectRank = map[string]int{"GB18030": 1, "Big5": 2, "Shift_JIS": 3, "EUC-JP": 4, "EUC-KR": 5, "ISO-2022-JP": 6, "UTF-8": 0}

// minConfidence is the least detector confidence (0–100) taken.
const minConfidence = 30

func detect(b []byte) (string, bool) {
	if len(b) > detectSample {
		b = b[:detectSample]
	}
	all, err := chardet.NewTextDetector().DetectAll(b)
	if err != nil || len(all) == 0 {
		return "", false
	}
	rank := func(cs string) int {
		if r, ok := detectRank[cs]; ok {
			return r
		}
		return 100
	}
	best := all[0]
	for _, r := range all[1:] {
		if r.Confidence > best.Confidence || r.Confidence == best.Confidence && (rank(r.Charset) < rank(best.Charset) || rank(r.Charset) == rank(best.Charset) && r.Charset < best.Charset) {
			best = r
		}
	}
	if best.Confidence < minConfidence {
		return "", false
	}
	return best.Charset, true
}

// wordDecoder decodes RFC 2047 encoded words in headers and file names
// with the same charset rules as bodies.
var wordDecoder = &mime.WordDecoder{
	CharsetReader: func(label string, r io.Reader) (io.Reader, error) {
		b, err := io.ReadAll(io.LimitReader(r, maxHeaderBytes))
		if err != nil {
			return nil, fmt.Errorf("read encoded word: %w", err)
		}
		s, _ := decodeText(label, b)
		return strings.NewReader(s), nil
	},
}

// decodeHeader decodes a header value: RFC 2047 encoded words, and raw
// 8-bit bytes (sent unencoded by some clients) by the charset rules.
func decodeHeader(v string) string {
	if strings.Contains(v, "=?") {
		if d, err := wordDecoder.DecodeHeader(v); err == nil {
			v = d
		}
	}
	if !utf8.ValidString(v) {
		v, _ = decodeText("", []byte(v))
	}
	return strings.TrimSpace(strings.Join(strings.Fields(v), " "))
}
