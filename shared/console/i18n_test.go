package console

import (
	"testing"
	"time"
)

func TestFromAcceptLanguage(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", langEN},
		{"zh-CN,zh;q=0.9,en;q=0.8", langZH},
		{"en-US,en;q=0.9,zh-CN;q=0.8", langEN},
		{"fr-FR, zh-Hans;q=0.5", langZH},
		{"de", langEN},
		{"en;q=0.2, zh-TW;q=0.7", langZH},
		{"zh;q=bogus, en", langEN},
	}
	for _, tt := range tests {
		if got := fromAcceptLanguage(tt.header); got != tt.want {
			t.Errorf("fromAcceptLanguage(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func FuzzFromAcceptLanguage(f *testing.F) {
	for _, s := range []string{"zh-CN,zh;q=0.9", "en;q=0", "*;q=0.1, zh", ";;;,q=", "zh;q=1e400"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if got := fromAcceptLanguage(h); got != langEN && got != langZH {
			t.Errorf("fromAcceptLanguage(%q) = %q, want en or zh", h, got)
		}
	})
}

func TestLeft(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		lang     string
		deadline time.Time
		want     string
		over     bool
	}{
		{langEN, now.Add(2*time.Hour + 10*time.Minute), "2 h 10 min left", false},
		{langEN, now.Add(-35 * time.Minute), "overdue by 35 min", true},
		{langEN, now.Add(26 * time.Hour), "1 d 2 h left", false},
		{langEN, now.Add(20 * time.Second), "0 min left", false},
		{langZH, now.Add(2*time.Hour + 10*time.Minute), "剩余 2 小时 10 分钟", false},
		{langZH, now.Add(-35 * time.Minute), "已超时 35 分钟", true},
	}
	for _, tt := range tests {
		got, over := left(tt.lang, tt.deadline, now)
		if got != tt.want || over != tt.over {
			t.Errorf("left(%s, %v) = %q, %v, want %q, %v", tt.lang, tt.deadline.Sub(now), got, over, tt.want, tt.over)
		}
	}
}
