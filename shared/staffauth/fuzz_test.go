package staffauth

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzList: whatever a role or queue claim holds, its items are trimmed
// and never empty, and a plain list (commas, spaces) comes back item for
// item.
func FuzzList(f *testing.F) {
	for _, s := range []string{"", "[agent supervisor]", `["agent","admin"]`, "a,b c", "[", "[]", `["a",1]`, "客服, 投诉"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, it := range List(v) {
			if it == "" || strings.TrimSpace(it) != it {
				t.Fatalf("List(%q) has item %q", v, it)
			}
		}
		if !strings.ContainsAny(v, "[]\"") && utf8.ValidString(v) {
			var want []string
			for _, p := range strings.Split(v, ",") {
				want = append(want, strings.Fields(p)...)
			}
			if got := List(v); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("List(%q) = %q, want %q", v, got, want)
			}
		}
	})
}

// FuzzVerify: no string is accepted as a token unless the issuer signed
// it, and none makes the verifier fail other than with an error.
func FuzzVerify(f *testing.F) {
	iss := newTestIssuer(f)
	other := newTestIssuer(f)
	tok, err := other.Mint(LocalStaff[2], LocalTTL)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.")
	f.Add("a.b.c")
	v := iss.Verifier()
	f.Fuzz(func(t *testing.T, raw string) {
		if claims, err := v.Verify(raw); err == nil {
			t.Fatalf("Verify(%q) accepted a token the issuer never signed: %v", raw, claims)
		}
	})
}

// FuzzSessionCookie: no cookie value opens a session but one the console
// sealed.
func FuzzSessionCookie(f *testing.F) {
	ses := testSessions(f, true)
	other, err := NewSessions([][]byte{[]byte("another-secret-of-at-least-32-bytes!")})
	if err != nil {
		f.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := other.start(w, LocalStaff[0]); err != nil {
		f.Fatal(err)
	}
	f.Add(w.Result().Cookies()[0].Value)
	f.Add("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aaaa.bbbb.cccc")
	f.Add("")
	f.Fuzz(func(t *testing.T, value string) {
		var s session
		if err := ses.open(value, &s); err == nil {
			t.Fatalf("open(%q) = %+v, want an error", value, s)
		}
	})
}

// FuzzLoopback: the Host header is the caller's; only a name or address
// of this machine passes.
func FuzzLoopback(f *testing.F) {
	for _, s := range []string{"127.0.0.1:3000", "localhost", "[::1]:80", "example.com", "127.0.0.1.example.com", "[::ffff:127.0.0.1]", "[fe80::1%lo]:1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !Loopback(host) {
			return
		}
		h := host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			h = hh
		}
		h = strings.Trim(h, "[]")
		if strings.EqualFold(h, "localhost") {
			return
		}
		ip := net.ParseIP(h)
		if ip == nil || !ip.IsLoopback() {
			t.Errorf("Loopback(%q) = true for a host that is not this machine", host)
		}
	})
}
