package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// consoleStory runs the console's main flow in Chromium against make
// dev's URL, where the staff function's own bootstrap serves it under the
// local gateway as in AWS: sign in with the local page, find a new text
// on the queue, acknowledge, reply (the reply reaches the local outbox),
// resolve, sign out. Every request stays on the stack's origin.
func consoleStory(t *testing.T, base string) {
	t.Helper()
	phone := "+8613900139888"
	post(t, base+"/_local/sms", "application/json", `{"originationNumber":"`+phone+`","destinationNumber":"+8610690000",
		"messageKeyword":"","messageBody":"电梯停在三楼 <b>急</b>","inboundMessageId":"console-story-1","previousPublishedMessageId":""}`)
	var ref ticket.Ref
	eventually(t, "the text as a ticket", func() bool {
		var list []ticket.Ticket
		getJSON(t, base+"/_local/tickets", &list)
		for _, tk := range list {
			if tk.Contact.Phone == phone {
				ref = tk.Ref
			}
		}
		return ref != ""
	})

	ctx := testenv.Browser(t, 2*time.Minute, chromedp.WindowSize(1200, 900))
	var elsewhere []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok {
			if u, err := url.Parse(ev.Request.URL); err == nil && u.Scheme != "data" && u.Scheme+"://"+u.Host != base {
				elsewhere = append(elsewhere, ev.Request.URL)
			}
		}
	})
	row := `#tickets tbody tr[data-ref="` + string(ref) + `"]`
	reply := "师傅十分钟后到，请在一楼等候。"
	var msgs, landed, signedOut string
	err := chromedp.Run(ctx,
		// The console's printed URL, /console, has its own route.
		chromedp.Navigate(base+"/console?lang=en"),
		chromedp.WaitVisible(`form:has(input[name=as][value="local-agent"]) button`, chromedp.ByQuery),
		chromedp.Click(`form:has(input[name=as][value="local-agent"]) button`, chromedp.ByQuery),
		chromedp.WaitVisible(row, chromedp.ByQuery),
		chromedp.Location(&landed),
		chromedp.Click(row+` a`, chromedp.ByQuery),
		chromedp.WaitVisible(`#act-acknowledge`, chromedp.ByQuery),
		chromedp.Text(`#messages`, &msgs, chromedp.ByQuery),
		chromedp.Click(`#act-acknowledge button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#done[data-action=acknowledge]`, chromedp.ByQuery),
		chromedp.SendKeys(`#reply-text`, reply, chromedp.ByQuery),
		chromedp.Click(`#act-reply button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#done[data-action=reply]`, chromedp.ByQuery),
		chromedp.SendKeys(`#resolve-resolution`, "电梯已恢复", chromedp.ByQuery),
		chromedp.SetValue(`#resolve-fault`, "provider", chromedp.ByQuery),
		chromedp.Click(`#act-resolve button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#done[data-action=resolve]`, chromedp.ByQuery),
		chromedp.Navigate(base+"/console/logout"),
		chromedp.WaitVisible(`form[action="/console/logout"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action="/console/logout"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`a[href="/console/login"]`, chromedp.ByQuery),
		chromedp.Navigate(base+"/console"),
		chromedp.WaitVisible(`form:has(input[name=as][value="local-agent"]) button`, chromedp.ByQuery),
		chromedp.Location(&signedOut),
	)
	if err != nil {
		t.Fatalf("console flow on %s: %v", base, err)
	}
	if !strings.Contains(msgs, "电梯停在三楼 <b>急</b>") {
		t.Errorf("the conversation reads %q, want the customer's words as text", msgs)
	}
	if landed != base+"/console/queue?lang=en" {
		t.Errorf("signing in from /console?lang=en landed on %s, want the queue page with the query kept", landed)
	}
	if !strings.HasPrefix(signedOut, base+"/console/login") {
		t.Errorf("after signing out the console is at %s, want the sign-in page", signedOut)
	}
	var outbox []struct{ To, Body string }
	getJSON(t, base+"/_local/outbox", &outbox)
	sent := false
	for _, o := range outbox {
		sent = sent || (o.To == phone && strings.Contains(o.Body, reply))
	}
	if !sent {
		t.Errorf("the console's reply is not in the local outbox: %+v", outbox)
	}
	var tk ticket.Ticket
	getJSON(t, base+"/_local/tickets/"+string(ref), &tk)
	if tk.Status != ticket.Resolved {
		t.Errorf("after the console flow the ticket is %s, want resolved", tk.Status)
	}
	if len(elsewhere) > 0 {
		t.Errorf("the console asked other origins: %v", elsewhere)
	}
}
