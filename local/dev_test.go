package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/emulator"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestDevStack runs what `make dev` runs, on free ports, drives it over
// HTTP as a person would, then stops it as Ctrl-C does and checks that
// everything it started is gone.
func TestDevStack(t *testing.T) {
	if testing.Short() {
		t.Skip("dev stack test skipped under -short: it starts its own emulators")
	}
	dev := startDev(t)
	base, ports := dev.base, dev.ports

	body := `{"name":"Li","phone":"13800138000","kind":"complaint","message":"No one came to fix the leak.","consent":true}`
	req, _ := http.NewRequest(http.MethodPost, base+"/contacts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "dev-stack-0001")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Ref ticket.Ref }
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || created.Ref == "" {
		t.Fatalf("POST /contacts = %d, ref %q; want 201 with a reference", resp.StatusCode, created.Ref)
	}

	var list []ticket.Ticket
	getJSON(t, base+"/_local/tickets", &list)
	if len(list) != 1 || list[0].Ref != created.Ref {
		t.Fatalf("/_local/tickets = %d tickets, want the one just made", len(list))
	}
	var one ticket.Ticket
	getJSON(t, base+"/_local/tickets/"+string(created.Ref), &one)
	// The customer's message, and the acknowledgement the form sent them.
	if len(one.Messages) != 2 || one.Messages[0].Direction != ticket.Inbound || one.Messages[1].Direction != ticket.Outbound ||
		len(one.History) == 0 || one.History[0].Type != ticket.EventCreated {
		t.Fatalf("/_local/tickets/%s = %d messages, history %v; want the message, its acknowledgement and the created event", created.Ref, len(one.Messages), one.History)
	}

	// A text, as End User Messaging publishes it, and a mail, as SES stores
	// and announces it: each becomes a ticket through its queue and the
	// real handler, and is acknowledged.
	post(t, base+"/_local/sms", "application/json", `{"originationNumber":"+8613900139000","destinationNumber":"+8610690000",
		"messageKeyword":"","messageBody":"我家停水了","inboundMessageId":"dev-stack-sms-1","previousPublishedMessageId":""}`)
	post(t, base+"/_local/email", "message/rfc822", "From: Wang Wei <wang.wei@example.cn>\r\nTo: support@example.com\r\n"+
		"Subject: =?UTF-8?B?6LSm5Y2V6Zeu6aKY?=\r\nMessage-ID: <dev-stack-1@example.cn>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n上个月的账单多扣了两百元。\r\n")
	// A text through Twilio's webhook, signed for the URL API Gateway
	// passes on, with the token local/overrides.yaml serves from
	// Parameter Store: the Twilio function's own binary answers in TwiML.
	form := url.Values{"Body": {"楼道灯坏了"}, "From": {"+8613700137000"}, "To": {"+8610690000"}, "MessageSid": {"SMdevstack1"}}
	signed := fmt.Sprintf("https://127.0.0.1:%d/sms/twilio", ports["FRONTDESK_HTTP_PORT"])
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		signed += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte("local-twilio-auth-token-0123456789"))
	mac.Write([]byte(signed))
	req, _ = http.NewRequest(http.MethodPost, base+"/sms/twilio", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	twiml, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(twiml), "<Response>") {
		t.Fatalf("POST /sms/twilio = %d %s, want 200 with TwiML", resp.StatusCode, twiml)
	}

	channels := map[ticket.Channel]bool{}
	eventually(t, "an SMS and an email ticket", func() bool {
		getJSON(t, base+"/_local/tickets", &list)
		for _, tk := range list {
			channels[tk.Channel] = true
		}
		return channels[ticket.SMS] && channels[ticket.Email]
	})
	var outbox []struct{ Channel ticket.Channel }
	eventually(t, "an SMS and an email acknowledgement in the outbox", func() bool {
		getJSON(t, base+"/_local/outbox", &outbox)
		sent := map[ticket.Channel]bool{}
		for _, o := range outbox {
			sent[o.Channel] = true
		}
		return sent[ticket.SMS] && sent[ticket.Email]
	})
	// Every ticket's creation reaches staff as a notice, through the
	// table's stream, the notifier and SNS.
	var notices []struct {
		Attributes map[string]string `json:"attributes"`
	}
	eventually(t, "four created notices", func() bool {
		getJSON(t, base+"/_local/notices", &notices)
		created := 0
		for _, n := range notices {
			if n.Attributes["event"] == "created" {
				created++
			}
		}
		return created == 4
	})

	// A callback booked through the form for the next weekday, then one
	// tick at 02:00 of that day: the planner publishes the day's worklist
	// and the previous business day's digest to the notices topic.
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Now().In(shanghai)
	var booked ticket.Ref
	for i := 0; i < 10 && booked == ""; i++ {
		day = day.AddDate(0, 0, 1)
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		body := `{"name":"Zhao","phone":"13800138111","kind":"complaint","message":"Please call me about the bill.","consent":true,` +
			`"callback":{"date":"` + day.Format(time.DateOnly) + `","from":"10:00","to":"10:30","timeZone":"Asia/Shanghai"}}`
		req, _ := http.NewRequest(http.MethodPost, base+"/contacts", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "dev-stack-callback-"+strconv.Itoa(i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var c struct{ Ref ticket.Ref }
		json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		if resp.StatusCode == http.StatusCreated {
			booked = c.Ref
		}
	}
	if booked == "" {
		t.Fatal("no weekday in the next ten days took a callback")
	}
	planned := time.Date(day.Year(), day.Month(), day.Day(), 2, 0, 0, 0, shanghai)
	var tick struct {
		Planner *struct{ Read, Worklists int } `json:"planner"`
	}
	resp, err = http.Post(base+"/_local/tick?at="+url.QueryEscape(planned.Format(time.RFC3339)), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&tick)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tick.Planner == nil || tick.Planner.Read != 1 || tick.Planner.Worklists != 1 {
		t.Fatalf("tick at %s = %d, planner %+v; want the day's one callback on one worklist", planned, resp.StatusCode, tick.Planner)
	}
	var published []struct {
		Notice struct {
			Event     string `json:"event"`
			Date      string `json:"date"`
			Owner     string `json:"owner"`
			Callbacks []struct {
				Ref ticket.Ref `json:"ref"`
			} `json:"callbacks"`
		} `json:"notice"`
	}
	eventually(t, "a worklist and a digest notice", func() bool {
		getJSON(t, base+"/_local/notices", &published)
		worklist, digest := false, false
		for _, n := range published {
			switch n.Notice.Event {
			case "callback_worklist":
				worklist = n.Notice.Date == day.Format(time.DateOnly) && len(n.Notice.Callbacks) == 1 && n.Notice.Callbacks[0].Ref == booked
			case "daily_digest":
				digest = n.Notice.Date < day.Format(time.DateOnly)
			}
		}
		return worklist && digest
	})

	if err := dev.stop(); err != nil {
		t.Fatalf("dev stack stopped with %v", err)
	}
	for env, p := range ports {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), time.Second); err == nil {
			c.Close()
			t.Errorf("%s %d still answers after the stack stopped", env, p)
		}
	}
}

// devStack is what `make dev` runs, started by a test on free ports.
type devStack struct {
	base  string
	ports map[string]int
	// stop ends it as Ctrl-C does and returns how it ended; the test's
	// cleanup calls it too.
	stop func() error
}

// startDev starts the dev stack and waits until it serves the form:
// building every function for this machine comes first, so the wait is
// bounded at 4 minutes.
func startDev(t *testing.T) *devStack {
	t.Helper()
	root, err := rootDir()
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]int{}
	for _, env := range []string{"FRONTDESK_HTTP_PORT", "FRONTDESK_DYNAMODB_PORT", "FRONTDESK_FAUXQS_PORT", "FRONTDESK_SES_PORT"} {
		p, err := emulator.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports[env] = p
		t.Setenv(env, strconv.Itoa(p))
	}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	var result error
	go func() {
		result = runDev(ctx, root)
		close(exited)
	}()
	dev := &devStack{base: fmt.Sprintf("http://127.0.0.1:%d", ports["FRONTDESK_HTTP_PORT"]), ports: ports,
		stop: func() error {
			cancel()
			<-exited
			return result
		}}
	t.Cleanup(func() { _ = dev.stop() })
	deadline := time.Now().Add(4 * time.Minute)
	for {
		if resp, err := http.Get(dev.base + "/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return dev
			}
		}
		select {
		case <-exited:
			t.Fatalf("dev stack stopped before serving: %v", result)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("dev stack did not serve the form within 4 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func post(tb testing.TB, url, contentType, body string) {
	tb.Helper()
	resp, err := http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		tb.Fatalf("POST %s = %d", url, resp.StatusCode)
	}
}

// eventually polls cond for up to 30 seconds: queues and streams deliver
// on their own time.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("no %s within 30s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func getJSON(tb testing.TB, url string, v any) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
}
