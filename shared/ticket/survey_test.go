package ticket

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseSurveyAnswer(t *testing.T) {
	tests := []struct {
		in       string
		score    int
		comment  string
		wantCode string
	}{
		{"5", 5, "", ""},
		{" 5\n", 5, "", ""},
		{"５", 5, "", ""},
		{"五", 5, "", ""},
		{"⑤", 5, "", ""},
		{"1", 1, "", ""},
		{"4 thanks", 4, "thanks", ""},
		{"3 - the engineer was late", 3, "the engineer was late", ""},
		{"2，师傅迟到了两个小时", 2, "师傅迟到了两个小时", ""},
		{"五星好评", 5, "好评", ""},
		{"5分，很满意", 5, "很满意", ""},
		{"4/5 quick fix", 4, "quick fix", ""},
		{"5 stars!", 5, "", ""},
		{"3 - 2 hours late", 3, "2 hours late", ""},
		{"「4」", 4, "", ""},
		{"5. Ｔｈａｎｋｓ", 5, "Ｔｈａｎｋｓ", ""},
		{"4 order was fine", 4, "order was fine", ""},
		{"4 or 5", 0, "", CodeSurveyAmbiguous},
		{"4 or 5 stars", 0, "", CodeSurveyAmbiguous},
		{"4-5", 0, "", CodeSurveyAmbiguous},
		{"4到5分", 0, "", CodeSurveyAmbiguous},
		{"四或五", 0, "", CodeSurveyAmbiguous},
		{"45", 0, "", CodeSurveyAmbiguous},
		{"4.5", 0, "", CodeSurveyAmbiguous},
		{"10", 0, "", CodeSurveyOutOfRange},
		{"0", 0, "", CodeSurveyOutOfRange},
		{"6 great", 0, "", CodeSurveyOutOfRange},
		{"99", 0, "", CodeSurveyOutOfRange},
		{"十", 0, "", CodeSurveyOutOfRange},
		{"⑩", 0, "", CodeSurveyOutOfRange},
		{"", 0, "", CodeSurveyNoScore},
		{"thanks", 0, "", CodeSurveyNoScore},
		{"一般", 0, "", CodeSurveyNoScore},
		{"very good 5", 0, "", CodeSurveyNoScore},
		{"-5", 0, "", CodeSurveyNoScore},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSurveyAnswer(tt.in)
			var se *SurveyError
			switch {
			case tt.wantCode != "":
				if !errors.As(err, &se) || se.Code != tt.wantCode {
					t.Errorf("ParseSurveyAnswer(%q) = %+v, %v, want %s", tt.in, got, err, tt.wantCode)
				}
			case err != nil || got.Score != tt.score || got.Comment != tt.comment:
				t.Errorf("ParseSurveyAnswer(%q) = %+v, %v, want %d %q", tt.in, got, err, tt.score, tt.comment)
			}
		})
	}
}

func FuzzParseSurveyAnswer(f *testing.F) {
	for _, s := range []string{"5", "５", "五", "⑤", "4 thanks", "3 - the engineer was late", "4 or 5", "45", "10", "一般", "4.5", "5分，很满意"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseSurveyAnswer(s)
		if err != nil {
			var se *SurveyError
			if !errors.As(err, &se) || se.Code == "" || strings.Contains(se.Reason, s) && s != "" && len(s) > 3 {
				t.Fatalf("ParseSurveyAnswer(%q) error %v is not a coded refusal", s, err)
			}
			return
		}
		if a.Score < 1 || a.Score > 5 {
			t.Fatalf("ParseSurveyAnswer(%q) score %d outside 1–5", s, a.Score)
		}
		if !strings.Contains(s, a.Comment) {
			t.Fatalf("ParseSurveyAnswer(%q) comment %q is not the customer's text", s, a.Comment)
		}
		if utf8.ValidString(s) && !utf8.ValidString(a.Comment) {
			t.Fatalf("ParseSurveyAnswer(%q) comment %q is not valid UTF-8", s, a.Comment)
		}
	})
}

func BenchmarkParseSurveyAnswer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSurveyAnswer("3 - the engineer was late"); err != nil {
			b.Fatal(err)
		}
	}
}
