package mailparse

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"encoding/base64"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "mail", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestParseGolden parses every fixture and compares the normalized result
// with its golden file.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "mail", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			m, err := Parse(bytes.NewReader(readFixture(t, name+".eml")), Limits{MaxAttachment: 1 << 20})
			if err != nil {
				t.Fatalf("Parse(%s): %v", name, err)
			}
			got, err := json.MarshalIndent(m, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Parse(%s) differs from %s:\n%s", name, golden, got)
			}
		})
	}
}

// TestParseFixtures states what matters about each fixture, so a golden
// file rewritten with a regression in it still fails here.
func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file      string
		from      string
		subject   string
		body      string // Body must contain it
		notInBody string // and must not contain it (the stripped quote)
		charset   string
		automatic string // AutoReason, "" for mail a person wrote
		atts      int
	}{
		{"gmail.eml", "Wang.Fang@GMail.com", "Re: 账单问题", "燃气表读数不对", "请提供您的户号", "utf-8", "", 0},
		{"outlook_gbk.eml", "zhang.zhe@CORP.example.cn", "回复: 停电通知", "我是张喆", "计划停电", "gb18030", "", 0},
		{"qq.eml", "10001@qq.com", "回复：您的报修已受理", "自来水发黄", "您的报修已受理。", "gb18030", "", 0},
		{"apple.eml", "chen.jing@icloud.com", "Re: 抄表", "抄表员今天没来", "明天上门", "utf-8", "", 0},
		{"big5.eml", "lin@example.com.tw", "瓦斯管線異味", "瓦斯管線有異味", "", "big5", "", 0},
		{"iso2022jp.eml", "tanaka@example.jp", "請求書について", "請求書の金額が間違っている", "", "iso-2022-jp", "", 0},
		{"shift_jis.eml", "suzuki@example.jp", "停電", "至急対応してください", "", "shift_jis", "", 0},
		{"euc_kr.eml", "kim@example.kr", "요금 문의", "요금이 너무", "", "euc-kr", "", 0},
		{"html_only.eml", "sam.green@example.org", "Street light out", "12 Elm Road", "", "utf-8", "", 0},
		{"nested.eml", "li.lei@example.com", "Meter photo and bill", "shows 0412", "", "utf-8", "", 3},
		{"out_of_office.eml", "li.lei@example.com", "自动回复: [FD-ABCDEF] 我们已收到您的来信", "我正在休假", "", "utf-8", "auto-submitted", 0},
		{"dsn_bounce.eml", "MAILER-DAEMON@amazonses.com", "Delivery Status Notification (Failure)", "An error occurred", "", "utf-8", "empty-return-path", 0},
		{"mailing_list.eml", "news@lists.example.org", "[utility-weekly] Gas safety week: five tips", "gas detector", "", "utf-8", "precedence", 0},
		{"forged_token.eml", "mallory@example.net", "Re: [FD-ABCDEF] We have received your message", "account holder", "", "utf-8", "", 0},
		{"lying_label.eml", "zhou.min@example.com", "Café bill", "重复扣款", "", "utf-8", "", 0},
		{"nolabel_gbk.eml", "zhao@example.cn", "投诉", "维修师傅态度很差", "", "gb18030", "", 0},
		{"base64_unpadded_gbk.eml", "liu.yang@example.cn", "楼道灯坏了", "幸福路12号3单元。\n喆", "", "gb18030", "", 0},
		{"utf7_outlook.eml", "zhou.min@corp.example.com", "燃气账单多扣费", "我的燃气账单上个月多扣了 120 元，请核实。\nAccount 8842-113 + meter 07.", "", "utf-7", "", 0},
		{"vacation_apple.eml", "huang.li@icloud.com", "Re: [FD-ABCDEF] 我们已收到您的来信 / We have received your message", "我正在休假", "", "utf-8", "x-apple-action", 0},
		{"vacation_xmailer.eml", "ops@utility.example.org", "Away: Re: meter reading schedule", "closed for the holiday", "", "utf-8", "x-mailer", 0},
		{"autoreply_subject.eml", "sun.wei@corp.example.cn", "自动回复： [FD-ABCDEF] 我们已收到您的来信", "我这周出差", "", "utf-8", "", 0},
		{"arf_feedback.eml", "fbl@feedback.example.net", "FW: [FD-ABCDEF] We have received your message", "abuse report", "", "utf-8", "feedback-report", 2},
		{"binary_body.eml", "13800138000@phone.example.cn", "水流很小", "kept as the attachment \"body.png\"", "", "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := Parse(bytes.NewReader(readFixture(t, tt.file)), Limits{})
			if err != nil {
				t.Fatalf("Parse(%s): %v", tt.file, err)
			}
			if m.From.Address != tt.from {
				t.Errorf("Parse(%s).From = %q, want %q", tt.file, m.From.Address, tt.from)
			}
			if m.Subject != tt.subject {
				t.Errorf("Parse(%s).Subject = %q, want %q", tt.file, m.Subject, tt.subject)
			}
			if !strings.Contains(m.Body, tt.body) {
				t.Errorf("Parse(%s).Body = %q, want it to contain %q", tt.file, m.Body, tt.body)
			}
			if tt.notInBody != "" {
				if strings.Contains(m.Body, tt.notInBody) {
					t.Errorf("Parse(%s).Body = %q, want the quote %q stripped", tt.file, m.Body, tt.notInBody)
				}
				if !strings.Contains(m.Text, tt.notInBody) {
					t.Errorf("Parse(%s).Text = %q, want the full text with %q", tt.file, m.Text, tt.notInBody)
				}
			}
			if m.Charset != tt.charset {
				t.Errorf("Parse(%s).Charset = %q, want %q", tt.file, m.Charset, tt.charset)
			}
			if m.AutoReason != tt.automatic || m.Automatic != (tt.automatic != "") {
				t.Errorf("Parse(%s) automatic = %v %q, want %q", tt.file, m.Automatic, m.AutoReason, tt.automatic)
			}
			if len(m.Attachments) != tt.atts {
				t.Errorf("Parse(%s) has %d attachments, want %d", tt.file, len(m.Attachments), tt.atts)
			}
			if strings.Contains(m.Text, "color:red") || strings.Contains(m.Text, "<p>") {
				t.Errorf("Parse(%s).Text = %q, want no markup or styles", tt.file, m.Text)
			}
			if strings.ContainsRune(m.Body+m.Subject, '\uFFFD') {
				t.Errorf("Parse(%s) has replacement characters: %q %q", tt.file, m.Subject, m.Body)
			}
		})
	}
}

// TestParseWholeText: a base64 body whose last group lacks its padding
// keeps its last characters, and a charset declared on the multipart
// alone reads the parts, text and HTML, that declare none.
func TestParseWholeText(t *testing.T) {
	m, err := Parse(bytes.NewReader(readFixture(t, "base64_unpadded_gbk.eml")), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "您好：\n我家楼道的灯坏了一个星期，晚上很危险，请尽快派人修理。地址是幸福路12号3单元。\n喆"; m.Text != want {
		t.Errorf("Parse(base64_unpadded_gbk.eml).Text = %q, want %q", m.Text, want)
	}
	// The same mail with the text part gone: the HTML part is read by the
	// charset the multipart declares too.
	raw := readFixture(t, "base64_unpadded_gbk.eml")
	i := bytes.Index(raw, []byte("------=_Part_4411_1207\r\nContent-Type: text/plain"))
	j := bytes.Index(raw, []byte("------=_Part_4411_1207\r\nContent-Type: text/html"))
	m, err = Parse(bytes.NewReader(append(raw[:i:i], raw[j:]...)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.FromHTML || !strings.HasSuffix(m.Text, "3单元。\n喆") || m.Charset != "gb18030" {
		t.Errorf("Parse(HTML part only) = %q (charset %s, fromHtml %v), want the GBK text", m.Text, m.Charset, m.FromHTML)
	}
}

// TestParseBinaryBody: a text part that decodes to binary data is kept as
// an attachment, with a note that says so, not stored as text.
func TestParseBinaryBody(t *testing.T) {
	m, err := Parse(bytes.NewReader(readFixture(t, "binary_body.eml")), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("Parse(binary_body.eml) attachments = %+v, want the body as one", m.Attachments)
	}
	a := m.Attachments[0]
	if a.Name != "body.png" || a.Type != "image/png" || a.Size != 416 || !bytes.HasPrefix(a.Data, []byte("\x89PNG\r\n")) {
		t.Errorf("attachment = %q %q %d bytes, want body.png image/png of 416 bytes", a.Name, a.Type, a.Size)
	}
	if len(m.Notes) != 1 || !strings.Contains(m.Notes[0], "binary data (image/png)") {
		t.Errorf("Notes = %q, want one saying the text part was binary", m.Notes)
	}
	if strings.Contains(m.Text, "PNG") || strings.ContainsRune(m.Text, '\uFFFD') {
		t.Errorf("Text = %q, want no binary data in it", m.Text)
	}
	// A text part that is text, in UTF-16 with its NUL bytes, stays text.
	raw := "From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-16le\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("h\x00i\x00")) + "\r\n"
	if m, err := Parse(strings.NewReader(raw), Limits{}); err != nil || m.Text != "hi" || len(m.Attachments) != 0 {
		t.Errorf("Parse(UTF-16 text) = %+v, %v; want the text hi", m, err)
	}
}

func TestParseNestedAttachments(t *testing.T) {
	m, err := Parse(bytes.NewReader(readFixture(t, "nested.eml")), Limits{MaxAttachment: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, typ string
		inline    bool
		oversize  bool
	}{
		{"meter.png", "image/png", true, false},
		{"十一月账单.pdf", "application/pdf", false, true},
		{"读数.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", false, false},
	}
	if len(m.Attachments) != len(want) {
		t.Fatalf("attachments = %+v, want %d", m.Attachments, len(want))
	}
	for i, w := range want {
		a := m.Attachments[i]
		if a.Name != w.name || a.Type != w.typ || a.Inline != w.inline || a.Oversize != w.oversize {
			t.Errorf("attachment %d = %q %q inline=%v oversize=%v, want %+v", i, a.Name, a.Type, a.Inline, a.Oversize, w)
		}
		if a.Oversize && a.Data != nil {
			t.Errorf("attachment %d is oversize but was loaded (%d bytes)", i, len(a.Data))
		}
		if !a.Oversize && int64(len(a.Data)) != a.Size {
			t.Errorf("attachment %d: %d bytes loaded, size says %d", i, len(a.Data), a.Size)
		}
	}
	if pdf := m.Attachments[1]; pdf.Size != 1020 {
		t.Errorf("oversize pdf size = %d, want 1020 (measured without decoding)", pdf.Size)
	}
}

func TestParseBounce(t *testing.T) {
	m, err := Parse(bytes.NewReader(readFixture(t, "dsn_bounce.eml")), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Bounce == nil {
		t.Fatal("Parse(dsn_bounce.eml).Bounce = nil, want the report")
	}
	if m.Bounce.OriginalMessageID != "ack-0002@example.com" {
		t.Errorf("OriginalMessageID = %q, want ack-0002@example.com", m.Bounce.OriginalMessageID)
	}
	if len(m.Bounce.Recipients) != 1 {
		t.Fatalf("Recipients = %+v, want one", m.Bounce.Recipients)
	}
	r := m.Bounce.Recipients[0]
	if r.Address != "nobody@example.net" || r.Status != "5.1.1" || !r.Permanent() {
		t.Errorf("recipient = %+v, want nobody@example.net failed 5.1.1 permanent", r)
	}
}

// TestParseBounceBounds: one report yields at most ten recipients, each
// with bounded fields, and a status that is not a status code is none.
func TestParseBounceBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@mx.example.net\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n" +
		"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n")
	for i := 0; i < 15; i++ {
		fmt.Fprintf(&b, "\r\nFinal-Recipient: rfc822; r%d@example.org\r\nAction: failed\r\nStatus: 5.1.%d\r\nDiagnostic-Code: smtp; %s\r\n", i, i, strings.Repeat("很长", 500))
	}
	b.WriteString("\r\n--r--\r\n")
	m, err := Parse(strings.NewReader(b.String()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Bounce == nil || len(m.Bounce.Recipients) != maxBounceRecipients {
		t.Fatalf("Parse(report of 15) = %+v, want %d recipients", m.Bounce, maxBounceRecipients)
	}
	for _, r := range m.Bounce.Recipients {
		if n := utf8.RuneCountInString(r.Diagnostic); n > maxDiagnostic || !r.Permanent() {
			t.Errorf("recipient %s: %d characters of diagnostic, permanent %v; want at most %d, permanent", r.Address, n, r.Permanent(), maxDiagnostic)
		}
	}
	bad := strings.Replace(b.String(), "Status: 5.1.0", "Status: 5.1.0.1.2", 1)
	if m, err := Parse(strings.NewReader(bad), Limits{}); err != nil || m.Bounce.Recipients[0].Status != "" || m.Bounce.Recipients[0].Permanent() {
		t.Errorf("Parse(status 5.1.0.1.2) = %+v, %v; want no status, not permanent", m.Bounce.Recipients[0], err)
	}
}

func TestParseLimits(t *testing.T) {
	raw := readFixture(t, "gmail.eml")
	if _, err := Parse(bytes.NewReader(raw), Limits{MaxMessage: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse(%d bytes, max 100) error = %v, want ErrTooLarge", len(raw), err)
	}
	if _, err := Parse(bytes.NewReader(raw), Limits{MaxMessage: int64(len(raw))}); err != nil {
		t.Errorf("Parse(%d bytes, max %d) error = %v, want none", len(raw), len(raw), err)
	}
	for _, bad := range []string{"", "\r\n\r\nno header at all", "Subject: no sender\r\n\r\nhello"} {
		if _, err := Parse(strings.NewReader(bad), Limits{}); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) error = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestStripQuoted(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"gmail", "Thanks!\n\nOn Mon, 23 Nov 2026 at 10:00, Frontdesk <a@b.c> wrote:\n> old", "Thanks!"},
		{"gmail wrapped", "Yes.\n\nOn Mon, 23 Nov 2026 at 10:00, Frontdesk\n<a@b.c> wrote:\n> old", "Yes."},
		{"outlook", "OK\n\n-----Original Message-----\nFrom: x\nSent: y\n\nold", "OK"},
		{"outlook rule", "OK\n________________________________\nFrom: x\nSent: y\nold", "OK"},
		{"outlook zh header", "好的\n\n发件人: Frontdesk\n发送时间: 2026年11月22日\n收件人: 我\n\n旧", "好的"},
		{"qq", "收到\n------------------ 原始邮件 ------------------\n发件人: x", "收到"},
		{"apple zh", "好\n\n在 2026年11月22日，下午3:04，Frontdesk <a@b.c> 写道：\n\n> 旧", "好"},
		{"traditional", "好\n於 2026年11月22日 寫道：\n> 舊", "好"},
		{"bare quote", "new\n> old\n> older", "new"},
		{"outlook html as text", "收到，谢谢\n\n--------------------------------\n*From:* Frontdesk\n*Sent:* Friday\n旧", "收到，谢谢"},
		{"inline quote kept", "> question\nanswer", "> question\nanswer"},
		{"only a quote", "> old", "> old"},
		{"from in text kept", "From: me, about the bill\nit is wrong", "From: me, about the bill\nit is wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripQuoted(tt.in); got != tt.want {
				t.Errorf("StripQuoted(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// longQuote is a reply of many quoted lines with one line of text at the
// end: no quote to strip, and the worst case for a reader that looks
// ahead from every quoted line.
func longQuote(lines int) string {
	return strings.Repeat("> an old line\n\n", lines) + "my answer, written below the quote"
}

func TestStripQuotedLong(t *testing.T) {
	in := longQuote(50000)
	if got := StripQuoted(in); got != in {
		t.Errorf("StripQuoted(%d lines ending in text) cut %d bytes, want the whole text", 100001, len(in)-len(got))
	}
	in = strings.Repeat("new text\n", 50000) + strings.Repeat("> old\n", 50000)
	if got, want := StripQuoted(in), strings.TrimSpace(strings.Repeat("new text\n", 50000)); got != want {
		t.Errorf("StripQuoted(text then a long quote) kept %d bytes, want %d", len(got), len(want))
	}
}

// BenchmarkStripQuoted measures the quote stripping of a long reply.
func BenchmarkStripQuoted(b *testing.B) {
	in := longQuote(50000)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		StripQuoted(in)
	}
}

func TestDecodeText(t *testing.T) {
	gbk := []byte{0xc4, 0xe3, 0xba, 0xc3, 0x86, 0xb4} // 你好喆 in GBK; 喆 is not in GB2312
	tests := []struct {
		name, label string
		in          []byte
		want, cs    string
	}{
		{"gb2312 label holding GBK", "gb2312", gbk, "你好喆", "gb18030"},
		{"GB18030 four-byte", "GBK", []byte{0x95, 0x32, 0x82, 0x36}, "\U00020000", "gb18030"},
		{"no label utf-8", "", []byte("你好"), "你好", "utf-8"},
		{"unknown label", "x-unknown", []byte("héllo"), "héllo", "utf-8"},
		{"lying latin-1", "iso-8859-1", []byte("你好"), "你好", "utf-8"},
		{"real latin-1", "iso-8859-1", []byte{'c', 'a', 'f', 0xe9}, "café", "windows-1252"},
		{"windows-1251", "windows-1251", []byte{0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2}, "Привет", "windows-1251"},
		{"utf-7", "utf-7", []byte("Hi Mom -+Jjo--! +ZeVnLIqe- 1 +- 1 +AD0- 2"), "Hi Mom -☺-! 日本語 1 + 1 = 2", "utf-7"},
		{"utf-7 label, ASCII only", "UTF-7", []byte("a+-b"), "a+b", "utf-7"},
		{"utf-7 surrogate pair", "utf-7", []byte("+2D3eAA-"), "😀", "utf-7"},
		{"no label, GBK that a single-byte charset also reads", "", []byte{0xc2, 0xa5, 0xb5, 0xc0, 0xb5, 0xc6, 0xbb, 0xb5, 0xc1, 0xcb}, "楼道灯坏了", "gb18030"},
		{"lying utf-8", "utf-8", []byte{0xc4, 0xe3, 0xba, 0xc3, 0xc4, 0xe3, 0xba, 0xc3, 0xd6, 0xd0, 0xb9, 0xfa, 0xc8, 0xcb, 0xc3, 0xf1}, "你好你好中国人民", "gb18030"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cs := decodeText(tt.label, tt.in)
			if got != tt.want || cs != tt.cs {
				t.Errorf("decodeText(%q, % x) = %q, %q; want %q, %q", tt.label, tt.in, got, cs, tt.want, tt.cs)
			}
		})
	}
}

// brokenReader fails part-way, like a dropped connection.
type brokenReader struct{ r io.Reader }

func (b *brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestParseReadErrorIsNotMalformed(t *testing.T) {
	_, err := Parse(&brokenReader{bytes.NewReader(readFixture(t, "nested.eml"))}, Limits{})
	if err == nil || errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse(broken stream) error = %v, want a read error that is retried, not quarantined", err)
	}
}

func TestParseEmptyTextPartUsesHTML(t *testing.T) {
	raw := "From: a@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n \r\n" +
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>水压太低</p>\r\n--b--\r\n"
	m, err := Parse(strings.NewReader(raw), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Body != "水压太低" || !m.FromHTML {
		t.Errorf("Parse = %q fromHtml=%v, want the HTML part's text", m.Body, m.FromHTML)
	}
}

// deepMail nests depth multiparts around one text part.
func deepMail(depth int) string {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"b0\"\r\n\r\n")
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\nhello\r\n", depth-1)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

// TestParseDepth: nesting within the limit parses; deeper nesting, which
// would make parsing quadratic, is refused early as malformed.
func TestParseDepth(t *testing.T) {
	tests := []struct {
		depth int
		ok    bool
	}{{1, true}, {12, true}, {13, false}, {50000, false}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.depth), func(t *testing.T) {
			m, err := Parse(strings.NewReader(deepMail(tt.depth)), Limits{})
			if tt.ok && (err != nil || m.Body != "hello") {
				t.Errorf("Parse(depth %d) = %v, want the body", tt.depth, err)
			}
			if !tt.ok && !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse(depth %d) error = %v, want ErrMalformed", tt.depth, err)
			}
		})
	}
	// Siblings are not nesting: many multiparts side by side are fine.
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: wide\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=top\r\n\r\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "--top\r\nContent-Type: multipart/alternative; boundary=s%d\r\n\r\n--s%d\r\nContent-Type: text/plain\r\n\r\npart %d\r\n--s%d--\r\n", i, i, i, i)
	}
	b.WriteString("--top--\r\n")
	if _, err := Parse(strings.NewReader(b.String()), Limits{}); err != nil {
		t.Errorf("Parse(40 sibling multiparts) = %v, want it parsed", err)
	}
	if _, err := Parse(strings.NewReader(b.String()), Limits{MaxParts: 60}); !errors.Is(err, ErrMalformed) {
		t.Errorf("Parse(80 parts, at most 60) error = %v, want ErrMalformed", err)
	}
	many := "From: a@example.com\r\n" + strings.Repeat("X-A: b\r\n", 6000) + "\r\nhi\r\n"
	if _, err := Parse(strings.NewReader(many), Limits{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("Parse(6000 header fields) error = %v, want ErrMalformed", err)
	}
}
