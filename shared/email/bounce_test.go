package email_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

func TestBounceMarksAddressUndeliverable(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "gone")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "报修", "路灯坏了"), first))
	tk := e.view(first)
	ack := sentMessage(t, tk)

	dsn := mustRead(t, "dsn_bounce.eml")
	dsn = bytes.ReplaceAll(dsn, []byte("nobody@example.net"), []byte(addr))
	dsn = bytes.ReplaceAll(dsn, []byte("<ack-0002@example.com>"), []byte("<"+ack.Meta["messageId"]+">"))
	bounceID := sesID(t)
	e.ok(e.deliver(e.h, dsn, bounceID))

	got := e.view(bounceID)
	if got.ID != tk.ID {
		t.Fatalf("bounce went to ticket %s, want %s", got.Ref, tk.Ref)
	}
	last := got.Messages[len(got.Messages)-1]
	if !last.Automatic || last.Meta["bounce"] != "failed 5.1.1" {
		t.Errorf("bounce message = automatic %v meta %v, want automatic with the status", last.Automatic, last.Meta)
	}
	if got.Status != tk.Status {
		t.Errorf("status = %s, want %s unchanged", got.Status, tk.Status)
	}
	bad, err := e.store.Undeliverable(context.Background(), addr)
	if err != nil || !bad {
		t.Fatalf("Undeliverable(%s) = %v, %v, want true", addr, bad, err)
	}
	// Nothing more is sent to it.
	e.ok(e.deliver(e.h, mailFrom(addr, "新问题", "另一件事"), sesID(t)))
	if n := e.acks(addr); n != 1 {
		t.Errorf("address got %d acknowledgements, want only the one before the bounce", n)
	}
}

// TestForgedBounces: mail that only looks like a delivery report, or a
// report that is not about mail Frontdesk sent to that address, marks no
// address undeliverable; a real report about our mail does.
func TestForgedBounces(t *testing.T) {
	e := newEnv(t)
	addr, victim := unique(t, "customer"), unique(t, "victim")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "报修", "路灯坏了"), first))
	ack := sentMessage(t, e.view(first)).Meta["messageId"]

	fields := "Final-Recipient: rfc822; " + addr + "\r\nAction: failed\r\nStatus: 5.1.1\r\n"
	daemon := "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example.net\r\nTo: support@example.com\r\nSubject: Delivery failure\r\nIn-Reply-To: <" + ack + ">\r\nMIME-Version: 1.0\r\n"
	others := make([]string, 10)
	for i := range others {
		others[i] = fmt.Sprintf("other%d@example.org failed 5.1.1", i)
	}
	tests := []struct {
		name string
		raw  []byte
		addr string
	}{
		{"plain-text bounce", []byte(daemon + "Content-Type: text/plain\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" + fields), addr},
		{"delivery status as the whole message", []byte(daemon + "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" + fields), addr},
		{"delivery status outside a report", []byte(daemon + "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
			"--m\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n" + fields + "\r\n--m--\r\n"), addr},
		{"report of another kind", bytes.Replace(report(ack, addr+" failed 5.1.1"), []byte("report-type=delivery-status"), []byte("report-type=disposition-notification"), 1), addr},
		{"report naming another address", report(ack, victim+" failed 5.1.1"), victim},
		{"report about mail Frontdesk did not send", report("someone-else@example.org", addr+" failed 5.1.1"), addr},
		{"too many recipients", report(ack, append(others, addr+" failed 5.1.1")...), addr},
		{"transient failure", report(ack, addr+" delayed 4.4.1", addr+" failed 4.4.7"), addr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.ok(e.deliver(e.h, tt.raw, sesID(t)))
			if bad, err := e.store.Undeliverable(context.Background(), tt.addr); bad || err != nil {
				t.Errorf("Undeliverable(%s) = %v, %v; want false", tt.addr, bad, err)
			}
		})
	}

	// A real report about the acknowledgement still marks the address.
	id := sesID(t)
	e.ok(e.deliver(e.h, report(ack, addr+" failed 5.1.1"), id))
	if bad, err := e.store.Undeliverable(context.Background(), addr); !bad || err != nil {
		t.Fatalf("Undeliverable(%s) after a real report = %v, %v; want true", addr, bad, err)
	}
	for _, m := range e.view(id).Messages {
		if m.SourceID == id && (m.Meta["bounce"] != "failed 5.1.1" || m.Meta["bounceDiagnostic"] != "smtp; 550 no such user") {
			t.Errorf("bounce meta = %v, want the status and the diagnostic", m.Meta)
		}
	}
}
