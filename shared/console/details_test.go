package console_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestTicketPageDetails(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	admin := r.client(t, "local-admin")

	// A customer who opted out after writing: the reply form warns.
	phone := "+8613800138555"
	texted := r.text(t, "d1", phone, "电表坏了")
	if _, err := r.sms.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "d2", From: phone, Body: "TD"}, false); err != nil {
		t.Fatal(err)
	}
	body, _ := get(t, admin, r.srv.URL+"/console/tickets/"+string(texted.Ref))
	if !strings.Contains(body, `id="reply-warning"`) || !strings.Contains(body, "opted out of texts") {
		t.Error("the reply form does not warn that the customer opted out")
	}

	// A callback asked for in London, shown in the customer's zone and the business's.
	london, _ := time.LoadLocation("Europe/London")
	start := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	rc, err := r.in.Receive(ctx, intake.Inbound{
		Source: ticket.Source{Channel: ticket.Web, ID: "d3"}, Contact: ticket.Contact{Email: "amy@example.co.uk"}, Kind: ticket.CallbackRq,
		Body: "please call me", Callback: &ticket.Callback{Start: start, End: start.Add(time.Hour), Zone: london.String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = get(t, admin, r.srv.URL+"/console/tickets/"+string(rc.Ticket.Ref))
	for _, want := range []string{"2026-12-03 02:00–03:00 GMT", "2026-12-03 10:00–11:00 CST", "Europe/London", `id="reply-channel"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the callback ticket's page lacks %q", want)
		}
	}
	if !strings.Contains(body, `✉</span> email</strong>`) {
		t.Error("a web ticket with an address is not answered by mail")
	}

	// Long mail is collapsed; its whole text is kept.
	long := strings.Repeat("这是一封很长的邮件。", 200)
	mailed := r.receive(t, ticket.Email, "d4", ticket.Contact{Email: "wu@example.cn"}, "长邮件", long)
	body, _ = get(t, admin, r.srv.URL+"/console/tickets/"+string(mailed.Ref))
	if !strings.Contains(body, "<details><summary>Show the whole mail</summary><pre class=\"body\">"+long) {
		t.Error("a long mail is not collapsed with its whole text")
	}

	// A month on, the texted ticket's acknowledgement is overdue: in red,
	// counted as breached, found by the breached filter.
	r.console.Now = func() time.Time { return time.Now().Add(30 * 24 * time.Hour) }
	body, _ = get(t, admin, r.srv.URL+"/console/queue?breached=yes&channel=sms")
	row := body[strings.Index(body, `data-ref="`+string(texted.Ref)+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, `class="overdue">overdue by `) {
		t.Errorf("the overdue ticket's row = %s, want its deadline in red", row)
	}
	if strings.Contains(body, `data-ref="`+string(rc.Ticket.Ref)+`"`) {
		t.Error("the SMS filter lists a web ticket")
	}
}

func TestQueuePaging(t *testing.T) {
	r := newRig(t)
	for i := range 26 {
		r.receive(t, ticket.Web, fmt.Sprintf("p%02d", i), ticket.Contact{Phone: fmt.Sprintf("+86138001390%02d", i)}, "", "营业厅几点开门？")
	}
	agent := r.client(t, "local-agent")
	body, _ := get(t, agent, r.srv.URL+"/console/queue?kind=inquiry")
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(body)
	if n := strings.Count(body, "data-ref="); n != 25 || next == nil {
		t.Fatalf("first page: %d rows, next link %v; want 25 and a link", n, next)
	}
	u := strings.ReplaceAll(next[1], "&amp;", "&")
	if !strings.Contains(u, "kind=inquiry") {
		t.Errorf("the next page's link %q drops the filter", u)
	}
	body, _ = get(t, agent, r.srv.URL+u)
	if n := strings.Count(body, "data-ref="); n != 1 || strings.Contains(body, `rel="next"`) || !strings.Contains(body, ">First page</a>") {
		t.Errorf("second page: %d rows; want the last one, no next link, a link to the first page", n)
	}
}
