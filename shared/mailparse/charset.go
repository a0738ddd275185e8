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
// bytes. It returns the text and the charset it used.
func decodeText(label string, b []byte) (string, string) {
	e, name, known := encodingFor(label)
	if known && name != "utf-8" {
		// ASCII-only content under a legacy label is ASCII whatever the
		// label says, except ISO-2022-JP, which is 7-bit by design.
		if name != "iso-2022-jp" && isASCII(b) {
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
	if det, ok := detect(b); ok {
		if e, name, ok := encodingFor(det); ok {
			if out, ok := decodeStrict(e, b); ok {
				return out, name
			}
		}
	}
	// Short texts defeat detection; GB18030 is the likeliest legacy
	// charset in this business and rarely decodes other bytes cleanly.
	if out, ok := decodeStrict(simplifiedchinese.GB18030, b); ok {
		return out, "gb18030"
	}
	if known {
		out, _ := e.NewDecoder().Bytes(b)
		return strings.ToValidUTF8(string(out), "\uFFFD"), name
	}
	// Last resort: Chinese mail is the likeliest here.
	out, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	return strings.ToValidUTF8(string(out), "\uFFFD"), "gb18030"
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
