package ticket

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Languages of the texts Frontdesk sends customers. Any other language is
// answered in English.
const (
	LangZhHans = "zh-Hans"
	LangZhHant = "zh-Hant"
	LangEn     = "en"
)

// Customer texts are written to fit one SMS: at most 70 UCS-2 units in
// Chinese and 160 GSM-7 characters in English, the reference, the longest
// date and the opt-out words of the SMS keywords included.
// They use ASCII punctuation where English allows it ("-" rather than an en
// dash), since one character outside GSM-7 makes a text UCS-2 and halves
// what one SMS holds.
var customerTexts = map[string]struct {
	reminder, survey string
	weekdays         [7]string
}{
	LangZhHans: {
		reminder: "提醒：我们将于{when}给您回电，受理编号{ref}。如需改时间，请直接回复。回复TD退订。",
		survey:   "您的问题（受理编号{ref}）已处理。请回复1-5评分：5非常满意，1非常不满意，可附意见。回复TD退订。",
		weekdays: [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"},
	},
	LangZhHant: {
		reminder: "提醒：我們將於{when}給您回電，受理編號{ref}。如需改時間，請直接回覆。回覆退訂停止接收。",
		survey:   "您的問題（受理編號{ref}）已處理。請回覆1-5評分：5非常滿意，1非常不滿意，可附意見。回覆退訂停止接收。",
		weekdays: [7]string{"週日", "週一", "週二", "週三", "週四", "週五", "週六"},
	},
	LangEn: {
		reminder: "Reminder: we will call you back {when} (ref {ref}). To change the time, just reply. Reply STOP to opt out.",
		survey:   "Your case {ref} is resolved. How did we do? Reply 1-5 (5 very satisfied, 1 very dissatisfied) and any comment. Reply STOP to opt out.",
	},
}

func customerText(lang string) string {
	if _, ok := customerTexts[lang]; ok {
		return lang
	}
	return LangEn
}

// CallbackReminder is the SMS reminding a customer of their callback, in
// lang, with the window in the callback's own zone: the customer's.
func CallbackReminder(lang string, ref Ref, cb Callback) (string, error) {
	zone, err := time.LoadLocation(cb.Zone)
	if err != nil || cb.Zone == "" || cb.Zone == "Local" {
		return "", fmt.Errorf("callback reminder for %s: zone %q: %w", ref, cb.Zone, ErrZone)
	}
	lang = customerText(lang)
	t := customerTexts[lang]
	start, end := cb.Start.In(zone), cb.End.In(zone)
	var when string
	switch lang {
	case LangEn:
		when = fmt.Sprintf("on %s %d %s, %s-%s", start.Format("Mon"), start.Day(), start.Format("Jan"), start.Format("15:04"), end.Format("15:04"))
	default:
		when = fmt.Sprintf("%d月%d日（%s）%s-%s", start.Month(), start.Day(), t.weekdays[start.Weekday()], start.Format("15:04"), end.Format("15:04"))
	}
	return strings.NewReplacer("{when}", when, "{ref}", string(ref)).Replace(t.reminder), nil
}

// SurveyText is the return-visit survey SMS asking for a score 1–5, in lang.
func SurveyText(lang string, ref Ref) string {
	return strings.ReplaceAll(customerTexts[customerText(lang)].survey, "{ref}", string(ref))
}

// ErrZone is wrapped by errors about a zone that is not a real IANA zone.
var ErrZone = errors.New("not an IANA time zone")
