package mailparse

import (
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// utf7Encoding decodes RFC 2152 UTF-7: ASCII as itself, and "+" opening a
// run of base64 (without padding) holding UTF-16BE code units, which ends
// at the first byte outside the base64 alphabet; a "-" ending a run is
// dropped, and "+-" is a plus sign. Like mail clients it is lenient:
// bytes RFC 2152 forbids outside a run pass through, and a run's stray
// bits are ignored. Bytes over 0x7f, which UTF-7 never has, are errors.
// Mail is never written in UTF-7 here, so it has no encoder.
type utf7Encoding struct{}

func (utf7Encoding) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &utf7Decoder{}}
}

func (utf7Encoding) NewEncoder() *encoding.Encoder {
	return encoding.Nop.NewEncoder()
}

type utf7Decoder struct{ transform.NopResetter }

// errUTF7 is a byte that UTF-7 cannot hold.
var errUTF7 = errUTF7Error{}

type errUTF7Error struct{}

func (errUTF7Error) Error() string { return "utf-7: byte over 0x7f" }

func (d *utf7Decoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c >= 0x80 {
			return nDst, nSrc, errUTF7
		}
		if c != '+' {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		// A run: find its end before decoding any of it.
		end := nSrc + 1
		for end < len(src) && b64Alphabet[src[end]] == 1 {
			end++
		}
		if end == len(src) && !atEOF {
			return nDst, nSrc, transform.ErrShortSrc
		}
		run := src[nSrc+1 : end]
		next := end
		if next < len(src) && src[next] == '-' {
			next++
		}
		// "+-" is a plus sign; a lone "+" is kept as it is.
		out := []byte{'+'}
		if len(run) > 0 {
			out = utf7Run(run)
		}
		if nDst+len(out) > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], out)
		nSrc = next
	}
	return nDst, nSrc, nil
}

// utf7Run decodes one base64 run of UTF-7 into UTF-8: the whole 16-bit
// code units it holds, surrogate pairs joined, unpaired ones replaced.
func utf7Run(run []byte) []byte {
	n := len(run) * 6 / 8
	raw := make([]byte, 0, n+2)
	var acc uint32
	bits := 0
	for _, c := range run {
		acc = acc<<6 | uint32(b64Value[c])
		bits += 6
		if bits >= 8 {
			bits -= 8
			raw = append(raw, byte(acc>>bits))
		}
	}
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
	}
	var out []byte
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out
}
