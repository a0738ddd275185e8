package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestStaffStory drives `make dev`'s URLs through a ticket's whole life: a
// text comes in, an agent acknowledges and replies, the customer answers,
// the agent resolves; the history tells the whole story. Then the main
// flow again in the console, in Chromium.
func TestStaffStory(t *testing.T) {
	if testing.Short() {
		t.Skip("dev stack test skipped under -short: it starts its own emulators")
	}
	base := startDev(t).base

	// The local agent's token, as make dev prints it and serves it: the
	// staff routes check it as the HTTP API's JWT authorizer does.
	var tokens map[string]string
	getJSON(t, base+"/_local/tokens", &tokens)
	call := func(method, path, body string, v any) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokens["agent"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if v != nil {
			if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
		return resp.StatusCode
	}
	if resp, err := http.Get(base + "/staff/tickets"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned GET /staff/tickets = %v, %v; want 401", resp.StatusCode, err)
	}

	phone := "+8613900139777"
	post(t, base+"/_local/sms", "application/json", `{"originationNumber":"`+phone+`","destinationNumber":"+8610690000",
		"messageKeyword":"","messageBody":"路灯坏了，小区门口","inboundMessageId":"story-1","previousPublishedMessageId":""}`)
	var list struct {
		Tickets []struct {
			Ref     ticket.Ref `json:"ref"`
			Version int        `json:"version"`
		} `json:"tickets"`
	}
	eventually(t, "the text on the agent's desk", func() bool {
		return call("GET", "/staff/tickets?queue=field-service", "", &list) == 200 && len(list.Tickets) == 1
	})
	ref, version := list.Tickets[0].Ref, list.Tickets[0].Version
	var res struct {
		Ticket struct {
			Version int           `json:"version"`
			Status  ticket.Status `json:"status"`
		} `json:"ticket"`
	}
	act := func(body string) {
		t.Helper()
		if code := call("POST", "/staff/tickets/"+string(ref)+"/actions", body, &res); code != 200 {
			t.Fatalf("action %s = %d", body, code)
		}
		version = res.Ticket.Version
	}
	act(fmt.Sprintf(`{"action":"acknowledge","version":%d}`, version))
	act(fmt.Sprintf(`{"action":"reply","version":%d,"text":"师傅今天下午到，请问具体在哪个门？"}`, version))
	var outbox []struct {
		To, Body, ProviderID string
	}
	getJSON(t, base+"/_local/outbox", &outbox)
	replyID := ""
	for _, o := range outbox {
		if o.To == phone && strings.Contains(o.Body, "哪个门") {
			replyID = o.ProviderID
		}
	}
	if replyID == "" {
		t.Fatalf("the reply is not in the outbox: %+v", outbox)
	}
	post(t, base+"/_local/sms", "application/json", `{"originationNumber":"`+phone+`","destinationNumber":"+8610690000",
		"messageKeyword":"","messageBody":"北门","inboundMessageId":"story-2","previousPublishedMessageId":"`+replyID+`"}`)
	var view struct {
		Version int `json:"version"`
		History []struct {
			Type  ticket.EventType `json:"type"`
			Actor string           `json:"actor"`
		} `json:"history"`
	}
	eventually(t, "the customer's answer on the ticket", func() bool {
		call("GET", "/staff/tickets/"+string(ref), "", &view)
		return len(view.History) > 0 && view.History[len(view.History)-1].Type == ticket.EventResumed
	})
	version = view.Version
	act(fmt.Sprintf(`{"action":"resolve","version":%d,"resolution":"路灯已修好","atFault":"provider"}`, version))
	if res.Ticket.Status != ticket.Resolved {
		t.Fatalf("status after resolve = %s", res.Ticket.Status)
	}
	call("GET", "/staff/tickets/"+string(ref), "", &view)
	var story []string
	for _, e := range view.History {
		story = append(story, string(e.Type)+" by "+e.Actor)
	}
	want := []string{
		"created by customer", "reply_sent by frontdesk", "acknowledged by staff:local-agent", "reply_sent by staff:local-agent",
		"message_added by customer", "resumed by customer", "resolved by staff:local-agent",
	}
	if strings.Join(story, "; ") != strings.Join(want, "; ") {
		t.Errorf("history =\n  %s\nwant\n  %s", strings.Join(story, "\n  "), strings.Join(want, "\n  "))
	}
	// The sweep can be ticked to any instant; nothing is due for a
	// resolved ticket.
	var tick struct {
		TimeLimits struct{ Escalated int } `json:"timeLimits"`
	}
	resp, err := http.Post(base+"/_local/tick?at="+time.Now().Add(48*time.Hour).Format(time.RFC3339), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&tick)
	resp.Body.Close()
	if resp.StatusCode != 200 || tick.TimeLimits.Escalated != 0 {
		t.Errorf("tick = %d, escalated %d", resp.StatusCode, tick.TimeLimits.Escalated)
	}

	// The same story in the console, which the staff function serves.
	consoleStory(t, base)
}
