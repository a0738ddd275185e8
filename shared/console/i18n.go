package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The console's languages.
const (
	langEN = "en"
	langZH = "zh"
)

// langCookie remembers the language a member of staff chose.
const langCookie = "fd_console_lang"

// language picks the page's language: ?lang= (remembered in a cookie),
// then the cookie, then Accept-Language; English otherwise.
func language(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == langEN || l == langZH {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/console/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == langEN || c.Value == langZH) {
		return c.Value
	}
	return fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// fromAcceptLanguage returns zh when Chinese is preferred over English.
func fromAcceptLanguage(h string) string {
	best, bestQ := langEN, -1.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				continue
			}
		}
		tag = strings.ToLower(strings.TrimSpace(tag))
		var l string
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			l = langZH
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			l = langEN
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// messages are the console's words: English, then Simplified Chinese.
var messages = map[string][2]string{
	"frontdesk":       {"Frontdesk console", "Frontdesk 工作台"},
	"skip":            {"Skip to content", "跳到正文"},
	"nav":             {"Console", "工作台"},
	"queues":          {"Queues", "队列"},
	"report":          {"Daily report", "日报"},
	"signOut":         {"Sign out", "退出登录"},
	"signedInAs":      {"Signed in as", "当前用户"},
	"language":        {"Language", "语言"},
	"notFound":        {"There is no such page or ticket.", "没有这个页面或工单。"},
	"noRole":          {"Your sign-in has none of the staff roles agent, supervisor or admin.", "您的账号没有坐席、主管或管理员角色。"},
	"failed":          {"Something went wrong; try again. The error is logged.", "出错了，请重试。错误已记录。"},
	"forbidden":       {"This ticket is not in your queues.", "这个工单不在您的队列中。"},
	"reportForbidden": {"Reports are for supervisors and admins.", "日报仅供主管和管理员查看。"},
	"queueTitle":      {"Tickets", "工单"},
	"counts":          {"Queue counts", "队列统计"},
	"queue":           {"Queue", "队列"},
	"open":            {"Open", "未结"},
	"new":             {"New", "新建"},
	"breached":        {"Breached", "已超时"},
	"dueHour":         {"Due within the hour", "一小时内到期"},
	"filters":         {"Filters", "筛选"},
	"status":          {"Status", "状态"},
	"kind":            {"Kind", "类别"},
	"channel":         {"Channel", "渠道"},
	"priority":        {"Priority", "优先级"},
	"any":             {"Any", "全部"},
	"anyOpen":         {"Any open", "全部未结"},
	"finished":        {"Resolved or closed", "已解决或已关闭"},
	"onlyBreached":    {"Only breached", "仅超时"},
	"notBreached":     {"Not breached", "未超时"},
	"mine":            {"Only mine", "仅我的"},
	"apply":           {"Apply filters", "应用筛选"},
	"reset":           {"Clear filters", "清除筛选"},
	"ref":             {"Reference", "编号"},
	"summary":         {"Summary", "摘要"},
	"deadline":        {"Deadline", "时限"},
	"owner":           {"Owner", "负责人"},
	"nobody":          {"not taken yet", "尚无人受理"},
	"noTickets":       {"No tickets match.", "没有符合条件的工单。"},
	"nextPage":        {"Next page", "下一页"},
	"firstPage":       {"First page", "第一页"},
	"autoRefresh":     {"This page refreshes itself every minute.", "本页每分钟自动刷新。"},
	"paused":          {"clock paused", "计时暂停"},
	"none":            {"none", "无"},
	"ackBy":           {"Acknowledge by", "受理时限"},
	"resolveBy":       {"Resolve by", "办结时限"},
	"acked":           {"Acknowledged", "已受理"},
	"escalation":      {"Escalation level", "督办级别"},
	"conversation":    {"Conversation", "往来消息"},
	"history":         {"History", "处理记录"},
	"details":         {"Details", "详情"},
	"actions":         {"Actions", "操作"},
	"customer":        {"Customer", "客户"},
	"inbound":         {"from the customer", "客户来信"},
	"outbound":        {"sent to the customer", "已发给客户"},
	"note":            {"internal note", "内部备注"},
	"wholeMail":       {"Show the whole mail", "显示完整邮件"},
	"automatic":       {"sent automatically", "自动发送"},
	"attachments":     {"Attachments", "附件"},
	"callback":        {"Callback window", "回电时段"},
	"custZone":        {"customer's time", "客户当地时间"},
	"bizZone":         {"business time", "本单位时间"},
	"when":            {"When", "时间"},
	"who":             {"Who", "操作人"},
	"what":            {"What", "事项"},
	"noActions":       {"No actions are allowed on this ticket now.", "此工单当前没有可执行的操作。"},
	"text":            {"Text", "内容"},
	"reason":          {"Reason", "原因"},
	"agent":           {"Agent (subject)", "坐席（账号）"},
	"toMe":            {"Take it myself", "由我负责"},
	"orQueue":         {"or queue", "或队列"},
	"resolution":      {"Resolution", "处理结果"},
	"fault":           {"At fault", "责任方"},
	"waitOn":          {"Waiting on", "等待对象"},
	"optionalText":    {"Message to the customer (optional)", "发给客户的消息（可选）"},
	"into":            {"Merge into ticket", "合并到工单"},
	"major":           {"Major repair (longer limit)", "重大维修（较长时限）"},
	"unchanged":       {"unchanged", "不变"},
	"goesBy":          {"The reply goes by", "回复渠道"},
	"optedOut":        {"The customer opted out of texts: a text will not be sent.", "客户已退订短信：短信不会发出。"},
	"bounced":         {"The customer's address bounced: mail will not be delivered.", "客户邮箱退信：邮件无法送达。"},
	"noContact":       {"There is no contact detail for this channel.", "此渠道没有客户联系方式。"},
	"segments":        {"SMS segments", "短信条数"},
	"chars":           {"characters", "字符"},
	"done":            {"Done:", "已完成："},
	"replayed":        {"This form was already sent; nothing was done twice.", "此表单已提交过，未重复执行。"},
	"problems":        {"The action was not taken:", "操作未执行："},
	"unreachable":     {"The reply was not sent: the customer cannot be reached on this channel.", "回复未发出：无法通过此渠道联系客户。"},
	"inProgress":      {"The same form is still being sent; wait a moment and reload.", "同一表单仍在提交中，请稍后刷新。"},
	"merged":          {"This ticket was merged into another; act on that one.", "此工单已合并到另一个工单，请在那个工单上操作。"},
	"conflictTitle":   {"Someone else acted first", "他人已先行操作"},
	"conflictIntro":   {"Ticket %s changed after you opened it (you read version %d, it is now at version %d). What changed:", "工单 %s 在您打开后已被修改（您读取的是第 %d 版，现在是第 %d 版）。变更如下："},
	"notAllowedNow":   {"%s is no longer allowed: the ticket is now %s.", "当前不能再执行“%s”：工单现在的状态是“%s”。"},
	"yourAction":      {"Your action, as you typed it", "您要执行的操作（保留您输入的内容）"},
	"retry":           {"Retry on the current version", "在最新版本上重试"},
	"backToTicket":    {"Back to the ticket", "返回工单"},
	"reportTitle":     {"Daily report", "日报"},
	"date":            {"Date", "日期"},
	"show":            {"Show", "查看"},
	"csv":             {"Download CSV (last 14 days)", "下载 CSV（近 14 天）"},
	"contacts":        {"Contacts", "来件"},
	"byChannel":       {"Contacts by channel, last 14 days", "近 14 天各渠道来件"},
	"byKind":          {"Contacts by kind, last 14 days", "近 14 天各类别来件"},
	"limitsMet":       {"Time limits met, last 14 days (%)", "近 14 天时限达成率（%）"},
	"ackedIn":         {"Acknowledged in time", "按时受理"},
	"resolvedIn":      {"Resolved in time", "按时办结"},
	"resolved":        {"Resolved", "已办结"},
	"openAtEnd":       {"Open at end of day", "日终未结"},
	"escalations":     {"Escalations", "督办"},
	"level":           {"level", "级"},
	"noData":          {"no data", "无数据"},
	"dayFigures":      {"Figures for %s", "%s 数据"},
	"badDate":         {"The date must be a past or present day, YYYY-MM-DD.", "日期须为今天或以前，格式 YYYY-MM-DD。"},
	"vip":             {"VIP", "大客户"},
	"needsPerson":     {"needs a person", "需人工处理"},
	"mergedInto":      {"Merged into", "已合并到"},

	"st.new": {"new", "新建"}, "st.acknowledged": {"acknowledged", "已受理"}, "st.in_progress": {"in progress", "处理中"},
	"st.waiting": {"waiting", "等待中"}, "st.resolved": {"resolved", "已解决"}, "st.closed": {"closed", "已关闭"}, "st.reopened": {"reopened", "已重开"},

	"kd.emergency": {"emergency", "紧急"}, "kd.complaint": {"complaint", "投诉"}, "kd.repair": {"repair", "报修"},
	"kd.inquiry": {"inquiry", "咨询"}, "kd.billing": {"billing", "账单"}, "kd.suggestion": {"suggestion", "建议"},
	"kd.praise": {"praise", "表扬"}, "kd.callback": {"callback", "回电"}, "kd.other": {"other", "其他"},

	"ch.sms": {"SMS", "短信"}, "ch.web": {"web form", "网页表单"}, "ch.email": {"email", "邮件"},

	"act.acknowledge": {"Acknowledge", "受理"}, "act.assign": {"Assign", "指派"}, "act.transfer": {"Transfer", "转办"},
	"act.note": {"Add note", "添加备注"}, "act.reply": {"Send reply", "发送回复"}, "act.wait": {"Wait", "挂起等待"},
	"act.merge": {"Merge", "合并"}, "act.resolve": {"Resolve", "办结"}, "act.reopen": {"Reopen", "重开"},
	"act.close": {"Close", "关闭"}, "act.classify": {"Reclassify", "重新分类"},

	"ft.provider": {"provider", "本单位"}, "ft.customer": {"customer", "客户"}, "ft.uncontrollable": {"uncontrollable", "不可抗力"},
	"ft.none": {"nobody", "无责任方"},

	"on.customer": {"the customer", "客户"}, "on.third_party": {"a third party", "第三方"},

	"ev.created": {"created", "创建"}, "ev.message_added": {"message added", "新消息"}, "ev.acknowledged": {"acknowledged", "受理"},
	"ev.assigned": {"assigned", "指派"}, "ev.escalated": {"escalated", "升级督办"}, "ev.callback_requested": {"callback requested", "请求回电"},
	"ev.callback_asked": {"asked the customer for a callback time", "已询问回电时间"},
	"ev.callback_due":   {"callback due", "回电到期"}, "ev.callback_missed": {"callback missed", "错过回电"},
	"ev.time_limit_breached": {"time limit breached", "超时"}, "ev.survey_answered": {"survey answered", "回访已答"},
	"ev.resolved": {"resolved", "办结"}, "ev.reopened": {"reopened", "重开"}, "ev.closed": {"closed", "关闭"},
	"ev.reply_sent": {"reply sent", "已回复"}, "ev.note_added": {"note added", "添加备注"}, "ev.transferred": {"transferred", "转办"},
	"ev.waiting": {"waiting", "挂起等待"}, "ev.resumed": {"resumed", "恢复处理"}, "ev.merged": {"merged", "合并"},
	"ev.reclassified": {"reclassified", "重新分类"}, "ev.wait_reminded": {"customer reminded", "已提醒客户"},
	"ev.priority_raised": {"priority raised", "提升优先级"},
}

// translate returns key in lang; a key without words is shown as itself.
func translate(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == langZH {
		return m[1]
	}
	return m[0]
}

// left says how long until deadline at now, in words: "2 h 10 min left",
// "overdue by 35 min".
func left(lang string, deadline, now time.Time) (string, bool) {
	d := deadline.Sub(now)
	over := d < 0
	if over {
		d = -d
	}
	d = d.Round(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	u := durationUnits[0]
	if lang == langZH {
		u = durationUnits[1]
	}
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf(u[0], days))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf(u[1], hours))
	}
	if mins > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf(u[2], mins))
	}
	s := strings.Join(parts, " ")
	if over {
		return fmt.Sprintf(u[3], s), true
	}
	return fmt.Sprintf(u[4], s), false
}

// durationUnits are days, hours, minutes, overdue and left, in English
// and Chinese.
var durationUnits = [2][5]string{
	{"%d d", "%d h", "%d min", "overdue by %s", "%s left"},
	{"%d 天", "%d 小时", "%d 分钟", "已超时 %s", "剩余 %s"},
}
