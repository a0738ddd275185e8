package ticket

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Survey answer refusal codes. Channels turn a code into a reply in the
// customer's language asking again for one digit 1–5.
const (
	// CodeSurveyNoScore: the answer does not start with a score.
	CodeSurveyNoScore = "survey_no_score"
	// CodeSurveyOutOfRange: a number that is not 1–5 (0, 6, 10, 99).
	CodeSurveyOutOfRange = "survey_out_of_range"
	// CodeSurveyAmbiguous: more than one score ("4 or 5", "4-5", "45", "4.5").
	CodeSurveyAmbiguous = "survey_ambiguous"
)

// SurveyAnswer is a reply to the return-visit survey: the score on the
// five-point scale and whatever the customer wrote after it.
type SurveyAnswer struct {
	Score int
	// Comment is the rest of the text as the customer wrote it, without the
	// separators between score and comment; empty when there is none.
	Comment string
}

// SurveyError says why a reply is not a score.
type SurveyError struct {
	Code string
	// Reason is a short English explanation for staff; it never quotes the
	// customer's text.
	Reason string
}

// Error gives the reason; it never quotes the customer.
func (e *SurveyError) Error() string { return "survey answer: " + e.Reason }

// ParseSurveyAnswer reads a reply to "reply 1–5": a score first, in ASCII or
// full-width digits, a circled digit (⑤) or a Chinese numeral (五), optionally
// followed by a unit ("分", "星", "stars", "/5", "out of 5") and a comment
// ("4 thanks", "3 - the engineer was late"). Replies that give two scores or
// a number outside 1–5 are refused with a *SurveyError rather than guessed.
func ParseSurveyAnswer(text string) (SurveyAnswer, error) {
	rest := strings.TrimLeftFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("\"'“”‘’「」『』【】[](（)）<>《》", r)
	})
	score, n := surveyDigit(rest)
	if score < 0 {
		return SurveyAnswer{}, &SurveyError{CodeSurveyNoScore, "the reply does not start with a score"}
	}
	rest = rest[n:]
	if next, m := surveyDigit(rest); next >= 0 && (m > 0 && isDigitRune(rest)) {
		if score >= 1 && score <= 5 && next >= 1 && next <= 5 {
			return SurveyAnswer{}, &SurveyError{CodeSurveyAmbiguous, "two digits run together, each a score"}
		}
		return SurveyAnswer{}, &SurveyError{CodeSurveyOutOfRange, "a number larger than 5"}
	}
	if score < 1 || score > 5 {
		return SurveyAnswer{}, &SurveyError{CodeSurveyOutOfRange, "a number outside 1–5"}
	}
	if r, size := utf8.DecodeRuneInString(rest); (r == '.' || r == '．' || r == ',') && size > 0 {
		if d, _ := surveyDigit(rest[size:]); d >= 0 && isDigitRune(rest[size:]) {
			return SurveyAnswer{}, &SurveyError{CodeSurveyAmbiguous, "a fraction between two scores"}
		}
	}
	rest = trimSurveyUnit(rest)
	if surveySecondScore(rest) {
		return SurveyAnswer{}, &SurveyError{CodeSurveyAmbiguous, "two scores given"}
	}
	comment := strings.TrimLeftFunc(rest, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || r == '~' || r == '～'
	})
	return SurveyAnswer{Score: score, Comment: strings.TrimRightFunc(comment, unicode.IsSpace)}, nil
}

// surveyDigit reads one score character at the start of s: its value and
// byte length, or -1 when s does not start with one. A Chinese numeral counts
// only when no other Chinese character follows it: "一般" (so-so) is a word,
// not a score of one.
func surveyDigit(s string) (int, int) {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return -1, 0
	}
	if r >= '①' && r <= '⑨' {
		return int(r-'①') + 1, size
	}
	if r == '⑩' {
		return 10, size
	}
	if r == '⓪' {
		return 0, size
	}
	if f := []rune(width.Fold.String(string(r))); len(f) == 1 && f[0] >= '0' && f[0] <= '9' {
		return int(f[0] - '0'), size
	}
	if v := strings.IndexRune("零一二三四五六七八九十", r); v >= 0 {
		next, _ := utf8.DecodeRuneInString(s[size:])
		if unicode.Is(unicode.Han, next) && !strings.ContainsRune("分星颗顆个個或到至还還和", next) {
			return -1, 0
		}
		return utf8.RuneCountInString("零一二三四五六七八九十"[:v]), size
	}
	return -1, 0
}

// isDigitRune reports whether s starts with a digit of any width (a numeral
// following a digit is a separate word, as in "5五星").
func isDigitRune(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	f := []rune(width.Fold.String(string(r)))
	return len(f) == 1 && f[0] >= '0' && f[0] <= '9'
}

// surveyUnits follow a score without changing it, longest first.
var surveyUnits = []string{"out of 5", "/5", "／5", "/５", "／５", "颗星", "顆星", "stars", "star", "points", "分", "星"}

func trimSurveyUnit(s string) string {
	t := strings.TrimLeft(s, " ")
	lower := strings.ToLower(t)
	for _, u := range surveyUnits {
		if strings.HasPrefix(lower, u) {
			return t[len(u):]
		}
	}
	return s
}

// surveyJoiners link two scores: "4 or 5", "4-5", "4到5", "4、5".
var surveyJoiners = []string{"or", "and", "to", "或者", "或", "还是", "還是", "到", "至", "和", "-", "–", "—", "~", "～", ",", "，", "、", "/", "／"}

// surveySecondScore reports whether s, the text after a score, goes on with
// a joiner and another score.
func surveySecondScore(s string) bool {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	lower := strings.ToLower(t)
	for _, j := range surveyJoiners {
		if !strings.HasPrefix(lower, j) {
			continue
		}
		after := strings.TrimLeftFunc(t[len(j):], unicode.IsSpace)
		if j == "or" || j == "and" || j == "to" {
			// Words, not prefixes: "4 order late" has no second score.
			if len(t) > len(j) && !unicode.IsSpace(rune(t[len(j)])) {
				continue
			}
		}
		if d, n := surveyDigit(after); d >= 0 {
			// "3 - 2 hours late" names a second number that is not a score.
			tail := strings.TrimLeftFunc(trimSurveyUnit(after[n:]), unicode.IsSpace)
			return !isDigitRune(after[n:]) && (tail == "" || !startsWithWord(tail))
		}
	}
	return false
}

// startsWithWord reports a letter of a spaced script, as in "2 hours": a
// number that measures something rather than a second score.
func startsWithWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) && !unicode.Is(unicode.Han, r)
}
