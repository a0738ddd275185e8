package email_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestAutoresponderLoop: an autoresponder that answers every mail, and
// does not mark its answers as automatic, replies to our acknowledgement
// ten times; the loop ends after one round.
func TestAutoresponderLoop(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "bot")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "账单疑问", "这个月账单怎么这么多？"), first))
	tk := e.view(first)
	ack := sentMessage(t, tk)
	for i := 0; i < 10; i++ {
		reply := mailFrom(addr, "Re: "+ack.Subject, "Thank you for your mail. I will read it soon.", "In-Reply-To: <"+ack.Meta["messageId"]+">")
		if i%2 == 1 {
			// Half of them are at least honest about it.
			reply = mailFrom(addr, "Auto: "+ack.Subject, "Out of office.", "In-Reply-To: <"+ack.Meta["messageId"]+">", "Auto-Submitted: auto-replied")
		}
		e.ok(e.deliver(e.h, reply, sesID(t)))
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("SES sent %d acknowledgements to the autoresponder, want 1", n)
	}
	got, err := e.store.View(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 12 {
		t.Errorf("ticket has %d messages, want 12 (mail, ack, ten replies)", len(got.Messages))
	}
	auto := 0
	for _, m := range got.Messages {
		if m.Direction == ticket.Inbound && m.Automatic {
			auto++
		}
	}
	if auto != 5 {
		t.Errorf("%d replies kept as automatic, want 5", auto)
	}
}

// TestAcknowledgementsPerSender: a sender writing many new mails gets at
// most five acknowledgements an hour.
func TestAcknowledgementsPerSender(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "busy")
	for i := 0; i < 7; i++ {
		e.ok(e.deliver(e.h, mailFrom(addr, fmt.Sprintf("问题 %d", i), "又一个问题"), sesID(t)))
	}
	if n := e.acks(addr); n != 5 {
		t.Errorf("sender got %d acknowledgements, want 5", n)
	}
}

func TestAutomaticMailNotAcknowledged(t *testing.T) {
	for _, f := range []string{"out_of_office.eml", "mailing_list.eml", "vacation_apple.eml", "vacation_xmailer.eml", "arf_feedback.eml"} {
		t.Run(f, func(t *testing.T) {
			e := newEnv(t)
			addr := unique(t, "auto")
			id := sesID(t)
			// Alarming words in automatic mail must not raise a P1. They
			// go at the start of the first text part.
			raw := withFrom(mustRead(t, f), addr)
			at := bytes.Index(raw, []byte("Content-Type: text/plain"))
			at += bytes.Index(raw[at:], []byte("\r\n\r\n")) + 4
			raw = append(raw[:at:at], append([]byte("燃气泄漏 gas leak fire! "), raw[at:]...)...)
			e.ok(e.deliver(e.h, raw, id))
			tk := e.view(id)
			if !tk.Messages[0].Automatic || tk.Kind != ticket.Other || tk.Priority == ticket.P1 {
				t.Errorf("ticket %s message automatic=%v kind=%s %s, want automatic other, not P1", tk.Ref, tk.Messages[0].Automatic, tk.Kind, tk.Priority)
			}
			if !strings.Contains(tk.Messages[0].Body, "燃气泄漏") {
				t.Errorf("body = %q, want the words kept", tk.Messages[0].Body)
			}
			if n := e.acks(addr); n != 0 {
				t.Errorf("automatic mail got %d acknowledgements, want 0", n)
			}
		})
	}
}

// TestOwnAddressNotAcknowledged: mail from the address acknowledgements
// come from (its token address included) is kept as automatic and never
// acknowledged.
func TestOwnAddressNotAcknowledged(t *testing.T) {
	e := newEnv(t)
	for _, from := range []string{"Frontdesk <support@example.com>", "SUPPORT@example.com", e.h.Signer.ReplyAddress("support@example.com", ticket.NewID(time.Now()))} {
		t.Run(from, func(t *testing.T) {
			before := e.acks("support")
			id := sesID(t)
			e.ok(e.deliver(e.h, mailFrom(from, "[FD-ABCDEF] 我们已收到您的来信", "您好，我们已收到您的来信。"), id))
			msg := e.view(id).Messages[0]
			if !msg.Automatic || msg.Meta["autoReason"] != email.AutoOwnAddress {
				t.Errorf("message automatic=%v reason %q, want %s", msg.Automatic, msg.Meta["autoReason"], email.AutoOwnAddress)
			}
			if n := e.acks("support") - before; n != 0 {
				t.Errorf("Frontdesk acknowledged its own mail %d times", n)
			}
		})
	}
}

// TestAutoReplySubject: a vacation reply that says what it is only in its
// subject is automatic when it answers our mail; a person's mail with
// the same subject that answers nothing of ours is acknowledged.
func TestAutoReplySubject(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "away")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "路灯", "路灯不亮"), first))
	ack := sentMessage(t, e.view(first))
	for _, ref := range []string{"<" + ack.Meta["messageId"] + ">", "<" + ack.SourceID + "@email.amazonses.com>"} {
		raw := withFrom(mustRead(t, "autoreply_subject.eml"), addr)
		raw = bytes.ReplaceAll(raw, []byte("<fixedid.t.01kaqzq7n3m0000000000000ab.abcdefghijklmnopqrst@example.com>"), []byte(ref))
		raw = bytes.Replace(raw, []byte("<autoreply.20261124112000.77@corp.example.cn>"), []byte("<"+sesID(t)+"@corp.example.cn>"), 1)
		id := sesID(t)
		e.ok(e.deliver(e.h, raw, id))
		for _, m := range e.view(id).Messages {
			if m.SourceID == id && (!m.Automatic || m.Meta["autoReason"] != email.AutoReplySubject) {
				t.Errorf("answer to %s: automatic=%v reason %q, want %s", ref, m.Automatic, m.Meta["autoReason"], email.AutoReplySubject)
			}
		}
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("the autoresponder got %d acknowledgements, want only the first mail's", n)
	}
	person := unique(t, "person")
	id := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(person, "Automatic reply: my meter", "The automatic meter reading is wrong."), id))
	if m := e.view(id).Messages[0]; m.Automatic {
		t.Errorf("a new mail with an autoresponder's subject was taken as automatic (%q)", m.Meta["autoReason"])
	}
	if n := e.acks(person); n != 1 {
		t.Errorf("the person got %d acknowledgements, want 1", n)
	}
}
