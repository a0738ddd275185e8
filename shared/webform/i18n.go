package webform

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

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
		ticket.CodePhoneLetters:    "Write the number in digits only: a number spelled with letters (such as 1-800-FLOWERS) would be read as a different number.",
		ticket.CodePhoneExtension:  "We cannot call extensions. Give a number that reaches you directly, such as a mobile number.",
		ticket.CodePhoneCost:       "Premium-rate and shared-cost numbers cannot be used. Give a mobile or landline number.",
		ticket.CodeEmailHidden:     "This email address contains hidden characters (such as zero-width spaces). Type it again by hand.",
		ticket.CodeTimeSkipped:     "{time} does not exist on {date} in {timeZone}: the clocks go forward then. Choose another time.",
		ticket.CodeTimeRepeated:    "{time} happens twice on {date} in {timeZone}: the clocks go back then. Choose a time outside that hour.",
		codeUnknownField:           "This field is not part of the form.",
		codeRepeated:               "This field was sent more than once. Send it once.",
		codeRate:                   "Too many messages were sent from here. Please try again in {minutes} minutes.",
		codeRateGlobal:             "We are receiving more messages than we can take right now. Please try again in {minutes} minutes.",
		codeUnavailable:            "Your message could not be saved just now. Please send it again in a minute.",
		codeEmergency:              "For a gas leak or any danger to life, do not wait: call {line} now.",
		codeBody:                   "The request could not be read: {detail}",
		"keptBelow":                "What you typed is still in the form below.",
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
		ticket.CodePhoneLetters:    "请只用数字填写电话号码：含字母的号码（如 1-800-FLOWERS）会被识别成另一个号码。",
		ticket.CodePhoneExtension:  "我们无法拨打分机号，请留下可直接联系到您的号码，例如手机号码。",
		ticket.CodePhoneCost:       "不能使用声讯付费号码或分摊付费号码（如 400 号码），请留下手机或固定电话号码。",
		ticket.CodeEmailHidden:     "该电子邮箱含有看不见的字符（如零宽空格），请手动重新输入。",
		ticket.CodeTimeSkipped:     "{date} {time} 在 {timeZone} 时区不存在（当时时钟拨快），请另选时间。",
		ticket.CodeTimeRepeated:    "{date} {time} 在 {timeZone} 时区会出现两次（当时时钟拨慢），请选择该时段以外的时间。",
		codeUnknownField:           "表单中没有此项。",
		codeRepeated:               "此项提交了不止一次，请只提交一次。",
		codeRate:                   "提交过于频繁，请 {minutes} 分钟后再试。",
		codeRateGlobal:             "当前留言过多，暂时无法受理，请 {minutes} 分钟后再试。",
		codeUnavailable:            "您的留言暂时未能保存，请稍等一分钟后再次提交。",
		codeEmergency:              "如遇燃气泄漏等危及生命安全的情况，请勿等待，立即拨打 {line}。",
		codeBody:                   "无法读取请求：{detail}",
		"keptBelow":                "您填写的内容仍保留在下方表单中。",
	},
}

// Codes of the form's own errors.
const (
	codeUnknownField = "unknown_field"
	codeRepeated     = "repeated_field"
	codeRate         = "rate_limited"
	codeRateGlobal   = "busy"
	codeUnavailable  = "unavailable"
	codeEmergency    = "emergency_line"
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
	for _, tag := range acceptLanguages(accept) {
		switch base, _ := tag.Base(); base.String() {
		case langZH:
			return langZH
		case langEN:
			return langEN
		}
	}
	return langEN
}

// acceptLanguages returns the tags of an Accept-Language header, highest
// rated first (equals in the order named), without those rated q=0. One
// malformed entry makes the whole header unreadable to the parser, so
// then the entries are read one by one and only the malformed ones lost.
func acceptLanguages(accept string) []language.Tag {
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err == nil {
		return tags
	}
	type rated struct {
		tag language.Tag
		q   float32
	}
	var all []rated
	for _, part := range strings.Split(accept, ",") {
		ts, qs, err := language.ParseAcceptLanguage(part)
		if err != nil {
			continue
		}
		for i := range ts {
			all = append(all, rated{ts[i], qs[i]})
		}
	}
	slices.SortStableFunc(all, func(a, b rated) int { return cmp.Compare(b.q, a.q) })
	tags = make([]language.Tag, len(all))
	for i, r := range all {
		tags[i] = r.tag
	}
	return tags
}

func formatLocal(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format("2006-01-02 15:04")
}
