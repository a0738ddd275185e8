package survey_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/survey"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var (
	signer  = survey.Signer{Keys: [][]byte{[]byte("newest-key-0123456789"), []byte("older-key-0123456789")}}
	visit   = time.Date(2026, 11, 24, 1, 30, 0, 0, time.UTC)
	expires = visit.Add(72 * time.Hour)
	id      = ticket.ID("01KARZ5W3Q8M6J9T4V2N7P1XYZ")
)

func TestTokenRoundTrip(t *testing.T) {
	for score := 1; score <= 5; score++ {
		c := survey.Claim{Ticket: id, Visit: visit, Score: score, Expires: expires}
		tok := signer.Token(c)
		got, err := signer.Parse(tok, visit)
		if err != nil || got != c {
			t.Errorf("Parse(Token(%+v)) = %+v, %v, want the claim", c, got, err)
		}
		// Mail programs may change the case of a link.
		if got, err := signer.Parse(strings.ToUpper(tok), visit); err != nil || got != c {
			t.Errorf("Parse(upper case) = %+v, %v, want the claim", got, err)
		}
		if strings.ToLower(tok) != tok || strings.ContainsAny(tok, "/?#&=+% ") {
			t.Errorf("Token = %q, want lower-case URL path characters", tok)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	c := survey.Claim{Ticket: id, Visit: visit, Score: 3, Expires: expires}
	tok := signer.Token(c)
	old := survey.Signer{Keys: signer.Keys[1:]}.Token(c)
	foreign := survey.Signer{Keys: [][]byte{[]byte("someone-elses-key-0123")}}.Token(c)
	dot := strings.LastIndex(tok, ".")
	tests := []struct {
		name string
		tok  string
		now  time.Time
		want error
	}{
		{"genuine", tok, visit, nil},
		{"signed with the older key", old, visit, nil},
		{"a second before expiry", tok, expires.Add(-time.Second), nil},
		{"at expiry", tok, expires, survey.ErrExpired},
		{"foreign key", foreign, visit, survey.ErrBadToken},
		{"signature cut", tok[:len(tok)-1], visit, survey.ErrBadToken},
		{"no signature", tok[:dot], visit, survey.ErrBadToken},
		{"score 6", strings.Replace(tok, ".3.", ".6.", 1), visit, survey.ErrBadToken},
		{"score changed", strings.Replace(tok, ".3.", ".5.", 1), visit, survey.ErrBadToken},
		{"empty", "", visit, survey.ErrBadToken},
		{"reply token", "t.01karz5w3q8m6j9t4v2n7p1xyz.abcdefghijklmnopqrst", visit, survey.ErrBadToken},
		{"too long", tok + strings.Repeat("a", 200), visit, survey.ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := signer.Parse(tt.tok, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Parse(%q) = %v, want %v", tt.tok, err, tt.want)
			}
		})
	}
	if _, err := (survey.Signer{}).Parse(tok, visit); !errors.Is(err, survey.ErrBadToken) {
		t.Errorf("Parse without keys = %v, want ErrBadToken", err)
	}
}

func TestLinksAndMail(t *testing.T) {
	links := survey.Links{Base: "https://contact.example.com/", Signer: signer}.For(id, visit, expires)
	for i, l := range links {
		tok, ok := strings.CutPrefix(l, "https://contact.example.com/survey/")
		if !ok {
			t.Fatalf("link %d = %q, want it under /survey/", i+1, l)
		}
		c, err := signer.Parse(tok, visit)
		if err != nil || c.Score != i+1 || c.Ticket != id || !c.Visit.Equal(visit) || !c.Expires.Equal(expires) {
			t.Errorf("link %d names %+v, %v; want score %d of ticket %s", i+1, c, err, i+1, id)
		}
	}
	for _, lang := range []ticket.Language{ticket.SimplifiedChinese, ticket.TraditionalChinese, ticket.English, "fr"} {
		text := survey.Mail(lang, "FD-7KQ2MX", links, 3)
		if !strings.Contains(text, "FD-7KQ2MX") || !strings.Contains(text, "3") {
			t.Errorf("Mail(%s) = %q, want the reference and the days", lang, text)
		}
		last := -1
		for i := 4; i >= 0; i-- {
			at := strings.Index(text, links[i])
			if at < 0 || at < last {
				t.Errorf("Mail(%s) lacks link %d or has it out of order (5 first)", lang, i+1)
			}
			last = at
		}
	}
}

// FuzzParse: no token makes Parse fail other than with its errors, and a
// token it accepts is the one Token makes for the claim it returns.
func FuzzParse(f *testing.F) {
	f.Add(signer.Token(survey.Claim{Ticket: id, Visit: visit, Score: 4, Expires: expires}))
	f.Add("01karz5w3q8m6j9t4v2n7p1xyz.t4k2.1.t5a0.abcdefghijklmnopqrstuvwxyz")
	f.Add("....")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := signer.Parse(tok, visit)
		switch {
		case err == nil, errors.Is(err, survey.ErrExpired):
			if c.Score < 1 || c.Score > 5 || len(c.Ticket) != 26 {
				t.Fatalf("Parse(%q) = %+v: score or ticket out of range", tok, c)
			}
			if again := signer.Token(c); !strings.EqualFold(again[:strings.LastIndex(again, ".")], tok[:strings.LastIndex(tok, ".")]) {
				t.Fatalf("Parse(%q) = %+v, whose token is %q", tok, c, again)
			}
		case errors.Is(err, survey.ErrBadToken):
		default:
			t.Fatalf("Parse(%q) = %v, want ErrBadToken or ErrExpired", tok, err)
		}
	})
}
