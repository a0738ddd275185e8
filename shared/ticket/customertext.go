package ticket

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// textLanguages are the languages of the texts Frontdesk sends customers
// ("zh" and "zh-CN" read Simplified, "zh-TW" Traditional); any other
// language is answered in English.
var textLanguages = NewMatcher(English, SimplifiedChinese, TraditionalChinese)

// Customer texts are written to fit one SMS: at most 70 UCS-2 units in
// Chinese and 160 GSM-7 characters in English, the reference, the longest
// date and the opt-out words of the SMS keywords included.
// They use ASCII punctuation where English allows it ("-" rather than an en
// dash), since one character outside GSM-7 makes a text UCS-2 and halves
// what one SMS holds.
var customerTexts = map[Language]struct {
	reminder, survey string
	weekdays         [7]string
}{
	SimplifiedChinese: {
		reminder: "提醒：我们将于{when}给您回电，受理编号{ref}。如需改时间，请直接回复。回复TD退订。",
		survey:   "您的问题（受理编号{ref}）已处理。请回复1-5评分：5非常满意，1非常不满意，可附意见。回复TD退订。",
		weekdays: [7]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"},
	},
	TraditionalChinese: {
		reminder: "提醒：我們將於{when}給您回電，受理編號{ref}。如需改時間，請直接回覆。回覆退訂停止接收。",
		survey:   "您的問題（受理編號{ref}）已處理。請回覆1-5評分：5非常滿意，1非常不滿意，可附意見。回覆退訂停止接收。",
		weekdays: [7]string{"週日", "週一", "週二", "週三", "週四", "週五", "週六"},
	},
	English: {
		reminder: "Reminder: we will call you back {when} (ref {ref}). To change the time, just reply. Reply STOP to opt out.",
		survey:   "Your case {ref} is resolved. How did we do? Reply 1-5 (5 very satisfied, 1 very dissatisfied) and any comment. Reply STOP to opt out.",
	},
}

// customerText is the language a text for a customer of lang is written in.
func customerText(lang Language) Language { return textLanguages.Match(lang) }

// CallbackReminder is the SMS reminding a customer of their callback, in
// lang, with the window in the callback's own zone: the customer's.
func CallbackReminder(lang Language, ref Ref, cb Callback) (string, error) {
	zone, err := time.LoadLocation(cb.Zone)
	if err != nil || cb.Zone == "" || cb.Zone == "Local" {
		return "", fmt.Errorf("callback reminder for %s: zone %q: %w", ref, cb.Zone, ErrZone)
	}
	lang = customerText(lang)
	return strings.NewReplacer("{when}", callbackWhen(lang, cb, zone), "{ref}", string(ref)).Replace(customerTexts[lang].reminder), nil
}

// callbackWhen writes cb's window in zone as the texts in lang say it.
func callbackWhen(lang Language, cb Callback, zone *time.Location) string {
	start, end := cb.Start.In(zone), cb.End.In(zone)
	if lang == English {
		return fmt.Sprintf("on %s %d %s, %s-%s", start.Format("Mon"), start.Day(), start.Format("Jan"), start.Format("15:04"), end.Format("15:04"))
	}
	return fmt.Sprintf("%d月%d日（%s）%s-%s", start.Month(), start.Day(), customerTexts[lang].weekdays[start.Weekday()], start.Format("15:04"), end.Format("15:04"))
}

// SurveyText is the return-visit survey SMS asking for a score 1–5, in lang.
func SurveyText(lang Language, ref Ref) string {
	return strings.ReplaceAll(customerTexts[customerText(lang)].survey, "{ref}", string(ref))
}

// ErrZone is wrapped by errors about a zone that is not a real IANA zone.
var ErrZone = errors.New("not an IANA time zone")

// callbackRefusals answer a callback time that could not be booked, one
// SMS each, filled from the refusal's Args and Readings.
var callbackRefusals = map[Language]map[string]string{
	SimplifiedChinese: {
		CodeNoTime:       "请告诉我们回电的日期和时间，例如“明天上午10点”或“周五下午2点到4点”。",
		CodeAmbiguous:    "您说的时间可理解为{readings}，请告诉我们是哪一个。",
		CodeSkippedTime:  "{date} {time}在您的时区不存在（时钟从{jumpFrom}直接拨到{jumpTo}），请另选时间。",
		CodeTimeRepeated: "{date} {time}在您的时区会出现两次（当时时钟拨回），请选择该时段以外的时间。",
		CodePast:         "该时间已过（您那里现在是{localNow}），请选择之后的时间。",
		CodeTooFar:       "回电最多可预约{maxDays}天内（至{latest}），请选择更早的日期。",
		CodeOutsideHours: "回电时间为工作日{hours}（{zone}时间），请在此时段内选择。",
		CodeDate:         "该日期不存在，请核对月份和日期。",
		"":               "请告诉我们另一个回电的日期和时间。",
	},
	TraditionalChinese: {
		CodeNoTime:       "請告訴我們回電的日期和時間，例如「明天上午10點」或「週五下午2點到4點」。",
		CodeAmbiguous:    "您說的時間可理解為{readings}，請告訴我們是哪一個。",
		CodeSkippedTime:  "{date} {time}在您的時區不存在（時鐘從{jumpFrom}直接撥到{jumpTo}），請另選時間。",
		CodeTimeRepeated: "{date} {time}在您的時區會出現兩次（當時時鐘撥回），請選擇該時段以外的時間。",
		CodePast:         "該時間已過（您那裡現在是{localNow}），請選擇之後的時間。",
		CodeTooFar:       "回電最多可預約{maxDays}天內（至{latest}），請選擇更早的日期。",
		CodeOutsideHours: "回電時間為工作日{hours}（{zone}時間），請在此時段內選擇。",
		CodeDate:         "該日期不存在，請核對月份和日期。",
		"":               "請告訴我們另一個回電的日期和時間。",
	},
	English: {
		CodeNoTime:       `Please tell us a day and time for the call, e.g. "tomorrow 10am" or "Fri 2-4pm".`,
		CodeAmbiguous:    "That could mean {readings}. Please tell us which.",
		CodeSkippedTime:  "{time} on {date} does not exist where you are: the clocks jump from {jumpFrom} to {jumpTo}. Please choose another time.",
		CodeTimeRepeated: "{time} on {date} happens twice where you are: the clocks go back then. Please choose a time outside that hour.",
		CodePast:         "That time has passed (it is {localNow} where you are). Please choose a later time.",
		CodeTooFar:       "Callbacks can be booked up to {maxDays} days ahead, until {latest}. Please choose an earlier day.",
		CodeOutsideHours: "We call back on working days, {hours} ({zone} time). Please choose a time in those hours.",
		CodeDate:         "That date does not exist. Please check the day and month.",
		"":               "Please tell us another day and time for the call.",
	},
}

// periodNames name the parts of the day a reading may be, per language.
var periodNames = map[Language]map[string]string{
	SimplifiedChinese:  {"small hours": "凌晨", "morning": "上午", "noon": "中午", "afternoon": "下午", "dusk": "傍晚", "evening": "晚上"},
	TraditionalChinese: {"small hours": "凌晨", "morning": "上午", "noon": "中午", "afternoon": "下午", "dusk": "傍晚", "evening": "晚上"},
}

// Message is the reply to the customer in lang saying why their callback
// time could not be booked and what to send instead.
func (e *CallbackTextError) Message(lang Language) string {
	lang = customerText(lang)
	msg, ok := callbackRefusals[lang][e.Code]
	if !ok {
		msg = callbackRefusals[lang][""]
	}
	readings := make([]string, len(e.Readings))
	for i, r := range e.Readings {
		if name, ok := periodNames[lang][r]; ok {
			r = name
		}
		readings[i] = r
	}
	or := " or "
	if lang != English {
		or = "或"
	}
	pairs := []string{"{readings}", strings.Join(readings, or)}
	for k, v := range e.Args {
		pairs = append(pairs, "{"+k+"}", v)
	}
	msg = strings.NewReplacer(pairs...).Replace(msg)
	if lang == English {
		// The calendar writes hours with an en dash, which is not GSM-7.
		msg = strings.ReplaceAll(msg, "–", "-")
	}
	return msg
}
