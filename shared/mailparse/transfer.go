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
	out   []byte
	eof   bool
}

func newB64Reader(r io.Reader) *b64Reader {
	return &b64Reader{r: bufio.NewReader(r)}
}

func (d *b64Reader) Read(p []byte) (int, error) {
	for len(d.out) == 0 && !d.eof {
		b, err := d.r.ReadByte()
		if err != nil {
			d.eof = true
			d.flush()
			break
		}
		switch b64Alphabet[b] {
		case 1:
			d.group[d.k] = b64Value[b]
			if d.k++; d.k == 4 {
				d.flush()
			}
		case 2:
			d.flush()
		}
	}
	if len(d.out) == 0 {
		return 0, io.EOF
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

// flush decodes the group read so far: four characters make three bytes,
// three make two, two make one; one alone holds no whole byte.
func (d *b64Reader) flush() {
	g := d.group
	v := uint32(g[0])<<18 | uint32(g[1])<<12 | uint32(g[2])<<6 | uint32(g[3])
	b := [3]byte{byte(v >> 16), byte(v >> 8), byte(v)}
	d.out = append(d.out[:0], b[:b64Bytes(d.k)]...)
	d.k, d.group = 0, [4]byte{}
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
