package survey

import (
	"fmt"
	"strings"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// mailTexts are the survey mail's opening, closing and the scores' names,
// per language.
var mailTexts = map[ticket.Language]struct {
	intro, outro string
	scores       [5]string
}{
	ticket.SimplifiedChinese: {
		intro:  "您好！您的问题（受理编号{ref}）已处理完毕。请点击下面一个链接为本次服务评分，在打开的页面上确认即可，可附意见：",
		outro:  "每个链接只能使用一次，{days}天内有效。本邮件由系统自动发送，请勿直接回复评分。",
		scores: [5]string{"1 非常不满意", "2 不满意", "3 一般", "4 满意", "5 非常满意"},
	},
	ticket.TraditionalChinese: {
		intro:  "您好！您的問題（受理編號{ref}）已處理完畢。請點擊下面一個連結為本次服務評分，在打開的頁面上確認即可，可附意見：",
		outro:  "每個連結只能使用一次，{days}天內有效。本郵件由系統自動發送，請勿直接回覆評分。",
		scores: [5]string{"1 非常不滿意", "2 不滿意", "3 一般", "4 滿意", "5 非常滿意"},
	},
	ticket.English: {
		intro:  "Your case {ref} is resolved. Please rate our service: open one of the links below and confirm on the page that opens (you can add a comment):",
		outro:  "Each link works once and for {days} days. This mail was sent automatically.",
		scores: [5]string{"1 very dissatisfied", "2 dissatisfied", "3 neutral", "4 satisfied", "5 very satisfied"},
	},
}

// Mail returns the survey mail's text in lang (zh-Hans, zh-Hant or en;
// anything else reads English): the reference, the five links with what
// each score means, best first, and how long they work.
func Mail(lang ticket.Language, ref ticket.Ref, links [5]string, days int) string {
	m, ok := mailTexts[lang]
	if !ok {
		m = mailTexts[ticket.English]
	}
	r := strings.NewReplacer("{ref}", string(ref), "{days}", fmt.Sprint(days))
	var b strings.Builder
	b.WriteString(r.Replace(m.intro) + "\n\n")
	for i := 4; i >= 0; i-- {
		fmt.Fprintf(&b, "%s\n%s\n\n", m.scores[i], links[i])
	}
	b.WriteString(r.Replace(m.outro) + "\n")
	return b.String()
}
