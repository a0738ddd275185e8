package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/emulator"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestLocalEmail: POST /_local/email goes through the bucket, the topic,
// the queue and the poller into a ticket, and its acknowledgement lands in
// the outbox.
func TestLocalEmail(t *testing.T) {
	store, db := testenv.Table(t)
	st := &stack{
		mux: http.NewServeMux(), store: store, db: db, table: store.Table(), outbox: &outbox{},
		emus: &emulators{
			fauxqs: &emulator.Process{URL: testenv.Endpoint(t, testenv.EnvFauxqs)},
			ses:    &emulator.Process{URL: testenv.Endpoint(t, testenv.EnvSES)},
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); st.wg.Wait() }()
	if err := st.inspection(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.email(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st.mux)
	defer srv.Close()

	raw, err := os.Open("../shared/mailparse/testdata/mail/qq.eml")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	resp, err := http.Post(srv.URL+"/_local/email", "message/rfc822", raw)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /_local/email = %v, %v, want 202", resp, err)
	}
	resp.Body.Close()

	var got []outboxEntry
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got = st.outbox.list(); len(got) > 0 {
			break
		}
	}
	if len(got) != 1 || got[0].Channel != ticket.Email || got[0].To != "10001@qq.com" || !strings.Contains(got[0].Subject, string(got[0].TicketRef)) {
		t.Fatalf("outbox = %+v, want one acknowledgement to the sender", got)
	}
	r, err := http.Get(srv.URL + "/_local/tickets/" + string(got[0].TicketRef))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var tk ticket.Ticket
	if err := json.NewDecoder(r.Body).Decode(&tk); err != nil {
		t.Fatal(err)
	}
	if tk.Channel != ticket.Email || len(tk.Messages) != 2 || !strings.Contains(tk.Messages[0].Body, "自来水发黄") {
		t.Errorf("ticket = %s with %d messages, want the mail and its acknowledgement", tk.Channel, len(tk.Messages))
	}
}
