package webform_test

import (
	"context"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

func TestFormInBrowser(t *testing.T) {
	r := newRig(t, webform.Config{})
	srv := httptest.NewServer(r.handler)
	defer srv.Close()
	ctx := testenv.Browser(t, 90*time.Second)

	// A good contact: fill in, submit, read the reference off the page.
	var ref string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/?lang=en"),
		chromedp.WaitVisible(`#f-message`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-name`, "Wang Fang", chromedp.ByQuery),
		chromedp.SendKeys(`#f-phone`, "139 1234 5678", chromedp.ByQuery),
		chromedp.SetValue(`#f-kind`, "billing", chromedp.ByQuery),
		chromedp.SendKeys(`#f-message`, "My bill for October is twice the usual amount.", chromedp.ByQuery),
		chromedp.Click(`#f-consent`, chromedp.ByQuery),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ref`, chromedp.ByQuery),
		chromedp.Text(`#ref`, &ref, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("submit a good contact: %v", err)
	}
	if !regexp.MustCompile(`^FD-[0-9A-Z]{6}$`).MatchString(ref) {
		t.Fatalf("reference on the page = %q", ref)
	}
	id, err := r.store.ByRef(context.Background(), ticket.Ref(ref))
	if err != nil {
		t.Fatalf("the page shows %s but the table has no such ticket: %v", ref, err)
	}
	tk, err := r.store.View(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Kind != ticket.Billing || tk.Contact.Phone != "+8613912345678" {
		t.Errorf("ticket = %s %q, want billing from +8613912345678", tk.Kind, tk.Contact.Phone)
	}
	if tk.Callback != nil {
		t.Errorf("callback = %+v, want none: no date or time was given", tk.Callback)
	}

	// A bad phone: the message stands next to the field, in the page's
	// language, and the field is marked invalid.
	var phoneErr, invalid, summary string
	err = chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/?lang=zh"),
		chromedp.WaitVisible(`#f-message`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-phone`, "12345", chromedp.ByQuery),
		chromedp.SendKeys(`#f-message`, "停电了", chromedp.ByQuery),
		chromedp.Click(`#f-consent`, chromedp.ByQuery),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#e-phone`, chromedp.ByQuery),
		chromedp.Text(`#e-phone`, &phoneErr, chromedp.ByQuery),
		chromedp.AttributeValue(`#f-phone`, "aria-invalid", &invalid, nil, chromedp.ByQuery),
		chromedp.Text(`#summary`, &summary, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("submit a bad phone: %v", err)
	}
	if !strings.Contains(phoneErr, "有效的电话号码") {
		t.Errorf("message by the phone field = %q, want the Chinese invalid-phone message", phoneErr)
	}
	if invalid != "true" {
		t.Errorf("phone field aria-invalid = %q, want true", invalid)
	}
	if !strings.Contains(summary, "有效的电话号码") {
		t.Errorf("error summary = %q, want it to list the phone problem", summary)
	}
	if os.Getenv("FRONTDESK_SCREENSHOT") != "" {
		var png []byte
		if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err == nil {
			_ = os.WriteFile(os.Getenv("FRONTDESK_SCREENSHOT"), png, 0o644)
		}
	}
}

// switchReceiver hands contacts to whichever receiver is current.
type switchReceiver struct {
	mu  sync.Mutex
	cur webform.Receiver
}

func (s *switchReceiver) set(r webform.Receiver) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = r
}

func (s *switchReceiver) Receive(ctx context.Context, in intake.Inbound) (intake.Receipt, error) {
	s.mu.Lock()
	r := s.cur
	s.mu.Unlock()
	return r.Receive(ctx, in)
}

// TestStalledStorageInBrowser: while DynamoDB stalls, a customer who sends
// the form gets it back with everything typed and a message to send it
// again; once storage answers, sending it again makes one contact.
func TestStalledStorageInBrowser(t *testing.T) {
	r := newRig(t, webform.Config{})
	rules := ticket.MustDefaultRules(shanghai)
	stalledStore := dynamo.New(awslocal.DynamoDB(testenv.Stalled(t)), "frontdesk-test-tickets")
	good := &intake.Service{Store: r.store, Rules: rules, Region: "CN", Now: func() time.Time { return now }}
	bad := &intake.Service{Store: stalledStore, Rules: rules, Region: "CN", Now: func() time.Time { return now }}
	recv := &switchReceiver{cur: bad}
	h := webform.New(recv, webform.Config{Calendar: rules.Calendar, Region: "CN", PerIP: 10, Global: 10,
		Now: func() time.Time { return now }, EmergencyLine: "95598"})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := testenv.Browser(t, 90*time.Second)

	var notice, name, message string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/?lang=en"),
		chromedp.WaitVisible(`#f-message`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-name`, "Wang Fang", chromedp.ByQuery),
		chromedp.SendKeys(`#f-phone`, "139 1234 5678", chromedp.ByQuery),
		chromedp.SendKeys(`#f-message`, "The street light outside number 12 has been out for a week.", chromedp.ByQuery),
		chromedp.Click(`#f-consent`, chromedp.ByQuery),
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#notice`, chromedp.ByQuery),
		chromedp.Text(`#notice`, &notice, chromedp.ByQuery),
		chromedp.Value(`#f-name`, &name, chromedp.ByQuery),
		chromedp.Value(`#f-message`, &message, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("submit while storage stalls: %v", err)
	}
	if !strings.Contains(notice, "could not be saved just now") {
		t.Errorf("notice = %q, want the message to send it again", notice)
	}
	if name != "Wang Fang" || message != "The street light outside number 12 has been out for a week." {
		t.Errorf("form came back with name %q, message %q; want what was typed", name, message)
	}
	if os.Getenv("FRONTDESK_SCREENSHOT") != "" {
		var png []byte
		if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err == nil {
			_ = os.WriteFile(os.Getenv("FRONTDESK_SCREENSHOT"), png, 0o644)
		}
	}

	// Storage is back: sending the same form again is the one contact.
	recv.set(good)
	var ref string
	err = chromedp.Run(ctx,
		chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ref`, chromedp.ByQuery),
		chromedp.Text(`#ref`, &ref, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("send again once storage answers: %v", err)
	}
	if list, _ := r.store.Recent(context.Background(), 10, 2); len(list) != 1 || list[0].Ref != ticket.Ref(ref) {
		t.Fatalf("table holds %d tickets, want the one the page shows (%s)", len(list), ref)
	}
}
