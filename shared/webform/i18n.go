package webform

import (
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Languages the form speaks.
const (
	langEN = "en"
	langZH = "zh"
)

// text holds every string the form shows, per language.
var text = map[string]map[string]string{
	langEN: {
		"title":           "Contact us",
		"intro":           "Tell us what happened. We reply to every message. For a gas leak or any danger to life, leave the area and call the emergency line first.",
		"name":            "Your name",
		"phone":           "Phone",
		"phoneHint":       "With the country code if outside {region}, e.g. +44 20 7946 0958.",
		"email":           "Email",
		"contactHint":     "Give a phone number, an email address, or both.",
		"kind":            "What is it about?",
		"message":         "Message",
		"callback":        "Call me back (optional)",
		"callbackHint":    "Callbacks are made {hours} ({zone}), {days}, up to {maxDays} days ahead.",
		"date":            "Date",
		"from":            "From",
		"to":              "To",
		"timeZone":        "Your time zone",
		"consent":         "I agree that my details are used to handle this request.",
		"submit":          "Send",
		"switch":          "中文",
		"errorsTitle":     "Please correct the following:",
		"thanksTitle":     "Thank you — we have your message",
		"thanksRef":       "Your reference is",
		"thanksKeep":      "Quote this reference if you contact us again about the same matter.",
		"thanksAck":       "We will acknowledge it by",
		"another":         "Send another message",
		"limitedTitle":    "Please try again later",
		"kind.":           "Choose…",
		"kind.emergency":  "Emergency (gas leak, fire, injury, no supply)",
		"kind.complaint":  "Complaint",
		"kind.repair":     "Repair or fault",
		"kind.inquiry":    "Question",
		"kind.billing":    "Bill or payment",
		"kind.suggestion": "Suggestion",
		"kind.praise":     "Praise",
		"kind.callback":   "Please call me back",
		"kind.other":      "Something else",

		ticket.CodeRequired:        "This field is required.",
		ticket.CodeTooLong:         "Please keep this under {max} characters.",
		ticket.CodePhoneInvalid:    "Enter a valid phone number, e.g. 138 0013 8000 or +44 20 7946 0958.",
		ticket.CodePhoneRegion:     "We don't recognise that country code. Start with + and the country code.",
		ticket.CodeEmailInvalid:    "Enter a valid email address, like name@example.com.",
		ticket.CodeContactRequired: "Give a phone number or an email address so we can reply.",
		ticket.CodeKindInvalid:     "Choose one of the listed kinds.",
		ticket.CodeConsent:         "Please agree so that we can handle your request.",
		ticket.CodeDate:            "Enter the date as YYYY-MM-DD.",
		ticket.CodeTime:            "Enter the time as HH:MM (24-hour clock).",
		ticket.CodeZone:            "Choose a time zone such as Asia/Shanghai.",
		ticket.CodeWindow:          "The end time must be after the start time.",
		ticket.CodePast:            "That time has passed. Choose a window after {localNow} and before {latest}.",
		ticket.CodeTooFar:          "Callbacks can be booked up to {maxDays} days ahead, until {latest}.",
		ticket.CodeOutsideHours:    "Callbacks are made {hours} ({zone}), {days}. Choose a window inside those hours.",
		codeUnknownField:           "This field is not part of the form.",
		codeRate:                   "Too many messages were sent from here. Please try again in {minutes} minutes.",
		codeBody:                   "The request could not be read: {detail}",
	},
	langZH: {
		"title":           "联系我们",
		"intro":           "请告诉我们发生了什么，每条留言我们都会答复。如遇燃气泄漏等危及生命安全的情况，请先撤离并拨打急救电话。",
		"name":            "您的姓名",
		"phone":           "电话",
		"phoneHint":       "{region} 以外的号码请加国家代码，例如 +852 2123 4567。",
		"email":           "电子邮箱",
		"contactHint":     "请留下电话或电子邮箱，也可以都填。",
		"kind":            "事项类别",
		"message":         "留言内容",
		"callback":        "预约回电（可选）",
		"callbackHint":    "回电时间为 {zone} 时间 {hours}，{days}，最多可预约 {maxDays} 天内。",
		"date":            "日期",
		"from":            "开始时间",
		"to":              "结束时间",
		"timeZone":        "您所在的时区",
		"consent":         "我同意使用我的信息处理本次请求。",
		"submit":          "提交",
		"switch":          "English",
		"errorsTitle":     "请修改以下内容：",
		"thanksTitle":     "谢谢，我们已收到您的留言",
		"thanksRef":       "您的受理编号是",
		"thanksKeep":      "如就同一事项再次联系我们，请提供此编号。",
		"thanksAck":       "我们将在以下时间前确认受理：",
		"another":         "再提交一条留言",
		"limitedTitle":    "请稍后再试",
		"kind.":           "请选择…",
		"kind.emergency":  "紧急情况（燃气泄漏、火灾、受伤、停水停电）",
		"kind.complaint":  "投诉",
		"kind.repair":     "报修 / 故障",
		"kind.inquiry":    "咨询",
		"kind.billing":    "账单 / 缴费",
		"kind.suggestion": "建议",
		"kind.praise":     "表扬",
		"kind.callback":   "请给我回电",
		"kind.other":      "其他",

		ticket.CodeRequired:        "此项为必填。",
		ticket.CodeTooLong:         "请不超过 {max} 个字符。",
		ticket.CodePhoneInvalid:    "请输入有效的电话号码，例如 138 0013 8000 或 +852 2123 4567。",
		ticket.CodePhoneRegion:     "无法识别该国家或地区代码，请以 + 和国家代码开头。",
		ticket.CodeEmailInvalid:    "请输入有效的电子邮箱，例如 name@example.com。",
		ticket.CodeContactRequired: "请留下电话或电子邮箱，以便我们答复您。",
		ticket.CodeKindInvalid:     "请选择列表中的类别。",
		ticket.CodeConsent:         "请勾选同意，以便我们处理您的请求。",
		ticket.CodeDate:            "请按 YYYY-MM-DD 格式填写日期。",
		ticket.CodeTime:            "请按 HH:MM（24 小时制）填写时间。",
		ticket.CodeZone:            "请选择时区，例如 Asia/Shanghai。",
		ticket.CodeWindow:          "结束时间必须晚于开始时间。",
		ticket.CodePast:            "该时间已过，请选择 {localNow} 之后、{latest} 之前的时段。",
		ticket.CodeTooFar:          "最多可预约 {maxDays} 天内的回电（{latest} 前）。",
		ticket.CodeOutsideHours:    "回电时间为 {zone} 时间 {hours}，{days}，请在此时段内选择。",
		codeUnknownField:           "表单中没有此项。",
		codeRate:                   "提交过于频繁，请 {minutes} 分钟后再试。",
		codeBody:                   "无法读取请求：{detail}",
	},
}

// Codes of the form's own errors.
const (
	codeUnknownField = "unknown_field"
	codeRate         = "rate_limited"
	codeBody         = "bad_body"
)

var weekdayNames = map[string][7]string{
	langEN: {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	langZH: {"周日", "周一", "周二", "周三", "周四", "周五", "周六"},
}

// days describes the calendar's working days: "Monday to Friday except
// holidays" for the default.
func days(cal ticket.Calendar, lang string) string {
	names := weekdayNames[lang]
	var open []int
	for d := 0; d < 7; d++ {
		if cal.Days[d] {
			open = append(open, d)
		}
	}
	run := len(open) > 1 && open[len(open)-1]-open[0] == len(open)-1
	var s string
	switch {
	case run && lang == langZH:
		s = names[open[0]] + "至" + names[open[len(open)-1]] + "（节假日除外）"
	case run:
		s = names[open[0]] + " to " + names[open[len(open)-1]] + " except holidays"
	default:
		parts := make([]string, len(open))
		for i, d := range open {
			parts[i] = names[d]
		}
		if lang == langZH {
			s = strings.Join(parts, "、") + "（节假日除外）"
		} else {
			s = strings.Join(parts, ", ") + " except holidays"
		}
	}
	return s
}

// say returns the text for key in lang with {arg}s filled in.
func say(lang, key string, args map[string]string) string {
	s, ok := text[lang][key]
	if !ok {
		s = text[langEN][key]
	}
	if s == "" {
		s = key
	}
	for k, v := range args {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// pickLang chooses the language: an explicit choice first, then the
// Accept-Language header; English when neither says Chinese.
func pickLang(explicit, accept string) string {
	switch strings.ToLower(explicit) {
	case langZH, "zh-cn", "zh-hans", "zh-tw", "zh-hant":
		return langZH
	case langEN:
		return langEN
	}
	// The language the browser rates highest that the form speaks wins;
	// among equals, the first named; q=0 means "not this one".
	best, bestQ := langEN, 0.0
	for _, part := range strings.Split(accept, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
					q = f
				} else {
					q = 0
				}
			}
		}
		var lang string
		switch {
		case tag == langZH || strings.HasPrefix(tag, "zh-"):
			lang = langZH
		case tag == langEN || strings.HasPrefix(tag, "en-"):
			lang = langEN
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

func formatLocal(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format("2006-01-02 15:04")
}
