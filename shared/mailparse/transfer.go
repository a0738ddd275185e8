package mailparse

import (
	"bufio"
	"bytes"
	"io"
	"mime/quotedprintable"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// transferDecode undoes the transfer encoding of p, keeping at most max
// decoded bytes.
func transferDecode(p *enmime.Part, max int) ([]byte, bool) {
	var r io.Reader = bytes.NewReader(p.Content)
	switch strings.ToLower(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding"))) {
	case "base64":
		r = newB64Reader(r)
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	out, _ := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if len(out) > max {
		return out[:max], true
	}
	return out, false
}

// b64Reader decodes base64 as mail clients do: bytes outside the
// alphabet (line breaks, stray spaces) are skipped, a last group without
// its padding still gives its bytes, and padding ends a group, so pieces
// encoded one after the other decode one after the other.
type b64Reader struct {
	r     *bufio.Reader
	group [4]byte
	k     int
	// out holds decoded bytes that did not fit the last Read.
	out []byte
	buf [3]byte
	eof bool
}

func newB64Reader(r io.Reader) *b64Reader {
	return &b64Reader{r: bufio.NewReader(r)}
}

func (d *b64Reader) Read(p []byte) (int, error) {
	n := copy(p, d.out)
	d.out = d.out[n:]
	for n < len(p) && !d.eof {
		b, err := d.r.ReadByte()
		if err != nil {
			d.eof = true
			n += d.flush(p[n:])
			break
		}
		switch b64Alphabet[b] {
		case 1:
			d.group[d.k] = b64Value[b]
			if d.k++; d.k == 4 {
				n += d.flush(p[n:])
			}
		case 2:
			n += d.flush(p[n:])
		}
	}
	if n == 0 && d.eof {
		return 0, io.EOF
	}
	return n, nil
}

// flush decodes the group read so far into p, keeping what does not fit
// for the next Read, and returns how many bytes went into p: four
// characters make three bytes, three make two, two make one; one alone
// holds no whole byte.
func (d *b64Reader) flush(p []byte) int {
	g := d.group
	v := uint32(g[0])<<18 | uint32(g[1])<<12 | uint32(g[2])<<6 | uint32(g[3])
	d.buf = [3]byte{byte(v >> 16), byte(v >> 8), byte(v)}
	k := b64Bytes(d.k)
	d.k, d.group = 0, [4]byte{}
	n := copy(p, d.buf[:k])
	d.out = d.buf[n:k]
	return n
}

// b64Bytes is how many bytes a group of k characters holds.
func b64Bytes(k int) int {
	return max(k-1, 0)
}

// b64Alphabet marks the bytes of the base64 alphabet (1) and padding (2).
var b64Alphabet = func() (t [256]byte) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = 1
	}
	t['='] = 2
	return t
}()

// b64Value is the value of each base64 alphabet byte.
var b64Value = func() (t [256]byte) {
	for i, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = byte(i)
	}
	return t
}()

// base64Size is the decoded size of base64 content, counted without
// decoding it, as b64Reader decodes it.
func base64Size(raw []byte) int64 {
	var n int64
	k := 0
	for _, b := range raw {
		switch b64Alphabet[b] {
		case 1:
			if k++; k == 4 {
				n += 3
				k = 0
			}
		case 2:
			n += int64(b64Bytes(k))
			k = 0
		}
	}
	return n + int64(b64Bytes(k))
}
