package sms_test

import (
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/shared/sms"
)

func TestCount(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		enc   sms.Encoding
		units int
		parts int
	}{
		{"empty", "", sms.GSM7, 0, 0},
		{"one char", "a", sms.GSM7, 1, 1},
		{"160 gsm", strings.Repeat("a", 160), sms.GSM7, 160, 1},
		{"161 gsm", strings.Repeat("a", 161), sms.GSM7, 161, 2},
		{"306 gsm", strings.Repeat("a", 306), sms.GSM7, 306, 2},
		{"307 gsm", strings.Repeat("a", 307), sms.GSM7, 307, 3},
		{"gsm accents stay gsm", "Café über Ñandù à 5€", sms.GSM7, 21, 1},
		{"u acute is not gsm", "Ñandú", sms.UCS2, 5, 1},
		{"extension counts twice", strings.Repeat("{", 80), sms.GSM7, 160, 1},
		{"extension over the limit", strings.Repeat("€", 81), sms.GSM7, 162, 2},
		// 153 septets per part: 152 a's then "[" (2) cannot share the part.
		{"extension not split", strings.Repeat("a", 152) + "[" + strings.Repeat("a", 10), sms.GSM7, 164, 2},
		{"extension pushed to next part", strings.Repeat("a", 152) + "[" + strings.Repeat("a", 152), sms.GSM7, 306, 3},
		{"one chinese char", "好", sms.UCS2, 1, 1},
		{"70 chinese", strings.Repeat("电", 70), sms.UCS2, 70, 1},
		{"71 chinese", strings.Repeat("电", 71), sms.UCS2, 71, 2},
		{"134 chinese", strings.Repeat("電", 134), sms.UCS2, 134, 2},
		{"135 chinese", strings.Repeat("電", 135), sms.UCS2, 135, 3},
		{"one chinese makes all ucs2", strings.Repeat("a", 69) + "好", sms.UCS2, 70, 1},
		{"emoji are two units", strings.Repeat("😀", 35), sms.UCS2, 70, 1},
		{"emoji over", strings.Repeat("😀", 36), sms.UCS2, 72, 2},
		// 66 units then a pair: the pair does not fit the 67th unit.
		{"surrogate pair not split", strings.Repeat("电", 66) + "😀" + strings.Repeat("电", 10), sms.UCS2, 78, 2},
		{"curly quote is not gsm", "it’s", sms.UCS2, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sms.Count(tt.text)
			want := sms.Segments{Encoding: tt.enc, Units: tt.units, Parts: tt.parts}
			if tt.text == "" {
				want.Parts = 0
			}
			if got != want {
				t.Errorf("Count(%q) = %+v, want %+v", tt.text, got, want)
			}
		})
	}
}

// TestRepliesMeasuredWithReference: the keywords loader measures a reply
// with a ticket reference filled in, not with the "{ref}" placeholder, so
// a reply that fits one part only while the placeholder stands is refused,
// in GSM-7 and in UCS-2 alike, and one that fits with the reference is
// taken.
func TestRepliesMeasuredWithReference(t *testing.T) {
	file := func(ack string) []byte {
		return []byte(`{"default":"en","languages":{"en":{"optOut":["STOP"],"texts":{` +
			`"ack":"` + ack + `","optOut":"ok","optIn":"ok","help":"ok"}}}}`)
	}
	tests := []struct {
		name string
		ack  string
		ok   bool
	}{
		// 155 + len("{ref}") = 160 septets as written; 164 filled in.
		{"gsm fits only unfilled", strings.Repeat("x", 155) + "{ref}", false},
		{"gsm fits filled", strings.Repeat("x", 151) + "{ref}", true},
		// 65 + 5 = 70 units as written; 74 filled in.
		{"ucs2 fits only unfilled", strings.Repeat("电", 65) + "{ref}", false},
		{"ucs2 fits filled", strings.Repeat("电", 61) + "{ref}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kw, err := sms.ParseKeywords(file(tt.ack))
			if (err == nil) != tt.ok {
				t.Fatalf("ParseKeywords(ack of %d chars) error = %v, want ok=%v", len([]rune(tt.ack)), err, tt.ok)
			}
			if !tt.ok {
				if !strings.Contains(err.Error(), `"ack" text`) {
					t.Errorf("ParseKeywords error = %v, want it to name the ack text", err)
				}
				return
			}
			// What the loader took fits one part with a real reference.
			if seg := sms.Count(kw.Reply("en", sms.TextAck, "FD-7KQ2MX")); seg.Parts != 1 {
				t.Errorf("accepted ack is %d parts with a reference, want 1", seg.Parts)
			}
		})
	}
}
