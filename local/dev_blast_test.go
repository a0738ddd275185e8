package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/awslocal"
)

// walkthroughRecipients is the sample audience's size: 2,000 numbers at
// the highest pace a blast may ask for drain in about 20 s.
const walkthroughRecipients = 2000

// TestBlastWalkthrough walks README's blast walk-through through `make
// dev`: a supervisor creates a blast for 2,000 local numbers, uploads the
// sample audience through the presigned URL, plans and sends it at a high
// pace; the texts drain into the outbox, their delivery receipts come back
// through the SNS delivery status logs (the reserved range undelivered),
// a few recipients reply (two opting out), and the incident shows its
// groups and counters.
func TestBlastWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("dev stack test skipped under -short: it starts its own emulators")
	}
	base := startDev(t).base
	var tokens map[string]string
	getJSON(t, base+"/_local/tokens", &tokens)
	call := func(method, path, body string, v any) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokens["supervisor"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if v != nil && json.Unmarshal(b, v) != nil {
			t.Fatalf("%s %s = %d %s: not JSON", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode
	}

	// The sample audience, as a person would download it.
	resp, err := http.Get(fmt.Sprintf("%s/_local/blast/audience.csv?n=%d", base, walkthroughRecipients))
	if err != nil {
		t.Fatal(err)
	}
	audience, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	undeliverable := strings.Count(string(audience), "\n"+strings.TrimPrefix(awslocal.UndeliverablePrefix, "+86"))

	// No quiet hours, so the walk-through sends at any hour of the day.
	var created struct {
		ID        string `json:"id"`
		UploadURL string `json:"uploadUrl"`
	}
	if code := call("POST", "/staff/blasts", `{"kind":"outage","upload":true,"pace":100,"window":{"quiet":"00:00-00:00"},
		"text":{"zh":"明日9时至17时停水，请提前储水。回复退订不再接收。","en":"Water off tomorrow 9-17. Reply STOP to opt out."}}`, &created); code != http.StatusCreated || created.UploadURL == "" {
		t.Fatalf("POST /staff/blasts = %d %+v; want 201 with an upload URL", code, created)
	}
	req, _ := http.NewRequest(http.MethodPut, created.UploadURL, strings.NewReader(string(audience)))
	req.Header.Set("Content-Type", "text/csv")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT to the upload URL = %v, %v", resp, err)
	}
	type status struct {
		State string `json:"state"`
		Plan  struct{ Recipients int }
		// Removed are the rows that are not recipients.
		Removed struct {
			Invalid    int `json:"invalid"`
			Duplicates int `json:"duplicates"`
		} `json:"removed"`
		Counts struct {
			Sent, Delivered, Undelivered, Failed, OptedOut, Replied int
		} `json:"counts"`
	}
	var st status
	// The plan is a job on the send queue: planning until the sender has
	// read the file.
	if code := call("POST", "/staff/blasts/"+created.ID+"/audience", "", &st); code != http.StatusAccepted || st.State != "planning" {
		t.Fatalf("POST audience = %d %+v; want 202 planning", code, st)
	}
	within(t, time.Minute, "the blast planned", func() bool {
		call("GET", "/staff/blasts/"+created.ID, "", &st)
		return st.State != "planning"
	}, func() any { return st })
	if st.State != "planned" || st.Plan.Recipients != walkthroughRecipients || st.Removed.Invalid != 1 || st.Removed.Duplicates != 1 {
		t.Fatalf("plan = %+v; want planned, %d recipients, one invalid row, one duplicate", st, walkthroughRecipients)
	}
	if code := call("POST", "/staff/blasts/"+created.ID+"/send", "", &st); code != http.StatusOK || st.State != "sending" {
		t.Fatalf("send = %d %+v", code, st)
	}

	// It drains into the outbox: every recipient texted once.
	start := time.Now()
	within(t, 4*time.Minute, "the blast done", func() bool {
		call("GET", "/staff/blasts/"+created.ID, "", &st)
		return st.State == "done"
	}, func() any { return st })
	drained := time.Since(start)
	var outbox []outboxEntry
	getJSON(t, base+"/_local/outbox", &outbox)
	texted := map[string]int{}
	var blastTexts []outboxEntry
	for _, o := range outbox {
		if strings.Contains(o.Body, "停水") || strings.Contains(o.Body, "Water off") {
			texted[o.To]++
			blastTexts = append(blastTexts, o)
		}
	}
	if len(blastTexts) != walkthroughRecipients || len(texted) != walkthroughRecipients || st.Counts.Sent != walkthroughRecipients {
		t.Fatalf("outbox holds %d blast texts to %d numbers, sent counter %d; want %d each", len(blastTexts), len(texted), st.Counts.Sent, walkthroughRecipients)
	}
	t.Logf("%d texts drained in %s (%.0f/s at a pace of 100/s)", walkthroughRecipients, drained.Round(time.Millisecond), float64(walkthroughRecipients)/drained.Seconds())

	// Their receipts come back.
	within(t, time.Minute, "every receipt counted", func() bool {
		call("GET", "/staff/blasts/"+created.ID, "", &st)
		return st.Counts.Delivered+st.Counts.Undelivered == walkthroughRecipients
	}, func() any { return st.Counts })
	if undeliverable == 0 || st.Counts.Undelivered != undeliverable {
		t.Fatalf("counts %+v: want %d undelivered (the reserved range)", st.Counts, undeliverable)
	}

	// A few recipients answer the text they got.
	replies := []string{"退订", "STOP", "请问3号楼也停水吗？", "请问5号楼也停水吗？", "谢谢，收到", "又停水？我要投诉！"}
	for i, body := range replies {
		o := blastTexts[i*37]
		msg, _ := json.Marshal(map[string]string{"originationNumber": o.To, "destinationNumber": "+8610690000", "messageKeyword": "",
			"messageBody": body, "inboundMessageId": fmt.Sprintf("walk-%d", i), "previousPublishedMessageId": o.ProviderID})
		post(t, base+"/_local/sms", "application/json", string(msg))
	}
	var inc struct {
		Counts struct{ Replied, Delivered int } `json:"counts"`
		Groups []struct {
			Class string `json:"class"`
			Count int    `json:"count"`
		} `json:"groups"`
	}
	within(t, time.Minute, "every reply in the incident", func() bool {
		call("GET", "/staff/blasts/"+created.ID+"/replies", "", &inc)
		n := 0
		for _, g := range inc.Groups {
			n += g.Count
		}
		return inc.Counts.Replied == len(replies) && n == len(replies)
	}, func() any { return inc })
	classes := map[string]int{}
	for _, g := range inc.Groups {
		classes[g.Class] += g.Count
	}
	if classes["opt_out"] != 2 || classes["question"] != 2 || classes["complaint"] != 1 || inc.Counts.Delivered != walkthroughRecipients-undeliverable {
		t.Fatalf("incident groups %v, counts %+v; want 2 opt-outs, 2 questions, 1 complaint and the delivered count", classes, inc.Counts)
	}
}

// within polls cond until it holds, for at most d; seen tells what was
// seen last when it never does.
func within(tb testing.TB, d time.Duration, what string, cond func() bool, seen func() any) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("no %s within %s (last seen: %+v)", what, d, seen())
		}
		time.Sleep(500 * time.Millisecond)
	}
}
