package mailparse

import (
	"regexp"
	"strings"
)

// Patterns that start the quoted part of a reply, one per mail client.
var (
	// Gmail and most clients: "On Mon, 23 Nov 2026 at 10:00, Li <li@example.com> wrote:",
	// which Gmail may wrap onto two lines.
	reOnWrote = regexp.MustCompile(`(?is)^on\s.{1,300}?\swrote:\s*$`)
	// Chinese Gmail, Apple Mail and Foxmail: "在 2026年11月23日 10:00，李雷 <li@example.com> 写道："
	// and the Traditional "於 … 寫道：".
	reZhWrote = regexp.MustCompile(`(?s)^(在|於|于).{1,300}?(写道|寫道)\s*[:：]?\s*$`)
	// Outlook: "-----Original Message-----", QQ Mail: "------------------ 原始邮件 ------------------",
	// Apple Mail forwarding: "Begin forwarded message:".
	reSeparator = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|原始邮件|原始郵件|forwarded message|转发邮件|轉寄郵件)\s*-{2,}\s*$|^\s*(begin forwarded message|转发的邮件)\s*[:：]\s*$`)
	// Outlook's header block: "From: …" followed within a few lines by
	// "Sent:"/"Date:" (or the Chinese "发件人：" / "发送时间：").
	reFromLine = regexp.MustCompile(`(?i)^\s*\*?(from|发件人|寄件者)\s*\*?\s*[:：]`)
	reSentLine = regexp.MustCompile(`(?i)^\s*\*?(sent|date|发送时间|发件时间|日期|寄件日期|to|收件人)\s*\*?\s*[:：]`)
	// Outlook's horizontal rule (or an HTML <hr> made text) before the
	// header block.
	reRule = regexp.MustCompile(`^\s*(_{10,}|-{10,})\s*$`)
)

// StripQuoted returns the new text of a reply: everything before the
// first quote header or quoted block. When nothing but a quote is found,
// the whole text is returned so a message never looks empty. It looks at
// each line a fixed number of times, so a long body costs linear time.
func StripQuoted(text string) string {
	lines := strings.Split(text, "\n")
	n := len(lines)
	trimmed := make([]string, n)
	for i, l := range lines {
		trimmed[i] = strings.TrimSpace(l)
	}
	// One backward pass finds, for every line, the next line that is not
	// blank, and whether only "> " lines follow to the end.
	next := make([]int, n+1)
	quoted := make([]bool, n+1)
	next[n], quoted[n] = n, true
	for i := n - 1; i >= 0; i-- {
		next[i], quoted[i] = next[i+1], quoted[i+1]
		if trimmed[i] != "" {
			next[i] = i
			quoted[i] = quoted[i+1] && strings.HasPrefix(trimmed[i], ">")
		}
	}
	cut := n
	for i := 0; i < n; i++ {
		l := trimmed[i]
		if l == "" {
			continue
		}
		if reSeparator.MatchString(l) || reRule.MatchString(l) && next[i+1] < n && reFromLine.MatchString(trimmed[next[i+1]]) {
			cut = i
			break
		}
		// A quote header may be wrapped over two lines.
		two := l
		if i+1 < n {
			two = l + " " + trimmed[i+1]
		}
		if reOnWrote.MatchString(l) || reZhWrote.MatchString(l) {
			cut = i
			break
		}
		if (strings.HasPrefix(strings.ToLower(l), "on ") || strings.HasPrefix(l, "在")) && (reOnWrote.MatchString(two) || reZhWrote.MatchString(two)) {
			cut = i
			break
		}
		if reFromLine.MatchString(l) && headerBlock(lines, i) {
			cut = i
			break
		}
		// A run of "> " lines to the end is a quote without a header.
		if strings.HasPrefix(l, ">") && quoted[i] {
			cut = i
			break
		}
	}
	out := strings.TrimSpace(strings.Join(lines[:cut], "\n"))
	if out == "" {
		return strings.TrimSpace(text)
	}
	return out
}

// headerBlock reports whether a From: line at i is followed within four
// lines by another header line (Sent:, Date:, To:): the quoted header
// block Outlook and QQ Mail write.
func headerBlock(lines []string, i int) bool {
	for j := i + 1; j < len(lines) && j <= i+4; j++ {
		if reSentLine.MatchString(lines[j]) {
			return true
		}
	}
	return false
}
