package email_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/shared/bucket"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestNewMailOpensTicketAndAcknowledges(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "wang")
	raw := mustRead(t, "gmail.eml")
	id := sesID(t)
	e.ok(e.deliver(e.h, withFrom(raw, addr), id))

	tk := e.view(id)
	if tk.Channel != ticket.Email || tk.Contact.Email != addr || tk.Kind != ticket.Billing {
		t.Errorf("ticket = %s %q %s, want an email billing ticket from %s", tk.Channel, tk.Contact.Email, tk.Kind, addr)
	}
	in := tk.Messages[0]
	if !strings.Contains(in.Body, "燃气表读数不对") || strings.Contains(in.Body, "请提供您的户号") {
		t.Errorf("body = %q, want the new text without the quote", in.Body)
	}
	if !strings.Contains(in.FullBody, "请提供您的户号") {
		t.Errorf("fullBody = %q, want the quote kept", in.FullBody)
	}
	if in.Meta["messageId"] != "CAF=k8Qz9x_gmail-0001@mail.gmail.com" || in.Meta["s3Key"] != "s3://"+e.bucket+"/inbound/"+id {
		t.Errorf("meta = %v, want the Message-ID and the raw mail's key", in.Meta)
	}
	ack := sentMessage(t, tk)
	if !ack.Automatic || !strings.Contains(ack.Subject, string(tk.Ref)) || !strings.Contains(ack.Body, "We have received your message") || !strings.Contains(ack.Body, "我们已收到您的来信") {
		t.Errorf("acknowledgement = %+v, want a bilingual automatic message with the reference", ack)
	}
	if got, err := e.store.BySent(context.Background(), ticket.Email, ack.SourceID); err != nil || got != tk.ID {
		t.Errorf("BySent(ack provider ID) = %v, %v, want %s", got, err, tk.ID)
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("SES holds %d acknowledgements for the sender, want 1", n)
	}
}

func TestNestedAttachmentsStored(t *testing.T) {
	e := newEnv(t)
	e.h.Limits.MaxAttachment = 1000
	raw := mustRead(t, "nested.eml")
	id := sesID(t)
	e.ok(e.deliver(e.h, withFrom(raw, unique(t, "li")), id))
	atts := e.view(id).Messages[0].Attachments
	if len(atts) != 3 {
		t.Fatalf("attachments = %+v, want 3", atts)
	}
	for _, a := range atts {
		if a.Skipped {
			if a.Key != "" {
				t.Errorf("oversize attachment %q has key %q, want none", a.Name, a.Key)
			}
			continue
		}
		b, err := e.object(a.Key)
		if err != nil {
			t.Errorf("attachment %q not in S3 at %q: %v", a.Name, a.Key, err)
			continue
		}
		if int64(len(b)) != a.Size {
			t.Errorf("attachment %q: %d bytes stored, size says %d", a.Name, len(b), a.Size)
		}
	}
	if !atts[1].Skipped || atts[1].Name != "十一月账单.pdf" {
		t.Errorf("attachment 2 = %+v, want the oversize pdf listed, not stored", atts[1])
	}
}

func TestReplyThreading(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "chen")
	first := sesID(t)
	e.ok(e.deliver(e.h, mailFrom(addr, "水表漏水", "厨房水表一直在漏水"), first))
	tk := e.view(first)
	ack := sentMessage(t, tk)
	token := e.h.Signer.ReplyAddress("support@example.com", tk.ID)

	other := unique(t, "stranger")
	tests := []struct {
		name     string
		raw      []byte
		want     bool // threads onto the ticket
		threaded string
	}{
		{"reply to our Message-ID", mailFrom(addr, "Re: ack", "谢谢", "In-Reply-To: <"+ack.Meta["messageId"]+">"), true, email.ByToken},
		{"reply to the token address", bytes.Replace(mailFrom(addr, "Re: ack", "补充一张照片"), []byte("To: support@example.com"), []byte("To: "+token), 1), true, email.ByToken},
		{"reply quoting the SES Message-ID", mailFrom(addr, "Re: ack", "还在漏", "References: <"+ack.SourceID+"@email.amazonses.com>"), true, email.ByReference},
		{"reference in subject from the contact", mailFrom(addr, "关于 "+string(tk.Ref), "有进展吗"), true, email.BySubject},
		{"reference in subject from a stranger", mailFrom(other, "关于 "+string(tk.Ref), "我也要看这个工单"), false, ""},
		{"stranger replying to our Message-ID", mailFrom(other, "Re: ack", "hi", "In-Reply-To: <"+strings.Replace(ack.Meta["messageId"], ".t.", ".x.", 1)+">"), false, ""},
		{"forged token", withFrom(mustRead(t, "forged_token.eml"), other), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := sesID(t)
			e.ok(e.deliver(e.h, tt.raw, id))
			got := e.view(id)
			if (got.ID == tk.ID) != tt.want {
				t.Fatalf("mail went to ticket %s, want threaded onto %s: %v", got.Ref, tk.Ref, tt.want)
			}
			if tt.want {
				last := got.Messages[len(got.Messages)-1]
				for _, m := range got.Messages {
					if m.SourceID == id {
						last = m
					}
				}
				if last.Meta["threadedBy"] != tt.threaded {
					t.Errorf("threadedBy = %q, want %q", last.Meta["threadedBy"], tt.threaded)
				}
			}
		})
	}
	if n := e.acks(addr); n != 1 {
		t.Errorf("the customer got %d acknowledgements, want 1", n)
	}
}

func TestPoisonQuarantinedAndReplayed(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "big")
	strict := e.handler(mailparse.Limits{MaxMessage: 2000})
	raw := mailFrom(addr, "大附件", strings.Repeat("很长的邮件。", 300))
	id := sesID(t)
	e.ok(e.deliver(strict, raw, id))
	// A spam verdict FAIL is quarantined too.
	spam := sesID(t)
	e.put(spam, mailFrom(addr, "spam", "buy now"))
	payload := e.eventWith(spam, func(n map[string]any) {
		n["receipt"].(map[string]any)["spamVerdict"] = map[string]any{"status": "FAIL"}
	})
	e.ok(e.invoke(strict, payload))

	q, err := e.store.Quarantined(context.Background(), ticket.Email, false)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, item := range q {
		reasons[item.ID] = item.Reason
	}
	if !strings.Contains(reasons[id], "too large") || !strings.Contains(reasons[spam], "spam verdict FAIL") {
		t.Fatalf("quarantine = %v, want %s too large and %s spam", reasons, id, spam)
	}
	if _, err := e.store.BySource(context.Background(), ticket.Source{Channel: ticket.Email, ID: id}); err == nil {
		t.Fatalf("quarantined mail made a ticket")
	}

	// Fixed: the limit is raised. Replaying twice makes one ticket.
	for i := 0; i < 2; i++ {
		res, err := e.h.Replay(context.Background(), e.store)
		if err != nil {
			t.Fatal(err)
		}
		if want := 2 - 2*i; res.Replayed != want || res.Failed != 0 {
			t.Errorf("replay %d = %+v, want %d replayed", i+1, res, want)
		}
	}
	tk := e.view(id)
	if len(tk.Messages) != 2 || e.view(spam).ID == tk.ID {
		t.Errorf("after replay: %d messages on %s, want the mail and its acknowledgement", len(tk.Messages), tk.Ref)
	}
	if left, _ := e.store.Quarantined(context.Background(), ticket.Email, false); len(left) != 0 {
		t.Errorf("quarantine still lists %d items after replay", len(left))
	}
}

// TestPartialBatchFailure: a record that fails for a passing reason is
// retried alone; its neighbours go through.
func TestPartialBatchFailure(t *testing.T) {
	e := newEnv(t)
	good := sesID(t)
	e.put(good, mailFrom(unique(t, "ok"), "停电", "又停电了"))
	var ev events.SQSEvent
	json.Unmarshal(e.event(good), &ev)
	var bad events.SQSEvent
	json.Unmarshal(e.event(sesID(t)), &bad)
	// The bucket is gone (a passing outage, as far as the handler knows).
	bad.Records[0].Body = strings.ReplaceAll(bad.Records[0].Body, e.bucket, e.bucket+"-missing")
	ev.Records = append(ev.Records, bad.Records[0])
	payload, _ := json.Marshal(ev)
	resp := e.invoke(e.h, payload)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != bad.Records[0].MessageId {
		t.Fatalf("failures = %+v, want only %s", resp.BatchItemFailures, bad.Records[0].MessageId)
	}
	e.view(good)

	// On its fourth receive (the DLQ takes the fifth) it is quarantined
	// with its S3 key instead of retried.
	bad.Records[0].Attributes["ApproximateReceiveCount"] = "4"
	payload, _ = json.Marshal(events.SQSEvent{Records: bad.Records})
	e.ok(e.invoke(e.h, payload))
	q, err := e.store.Quarantined(context.Background(), ticket.Email, false)
	if err != nil || len(q) != 1 || !strings.HasPrefix(q[0].ObjectKey, "s3://"+e.bucket+"-missing/inbound/") || !strings.Contains(q[0].Reason, "NoSuchBucket") {
		t.Errorf("quarantine = %+v, %v, want the failing mail with its key and reason", q, err)
	}
}

// The adapters functions/email wires satisfy the handler's interfaces.
var (
	_ email.Objects      = (*bucket.Store)(nil)
	_ email.Messenger    = (*outbound.Service)(nil)
	_ outbound.Store     = (*dynamo.Store)(nil)
	_ outbound.RawSender = (*ses.Mailer)(nil)
	_ email.Tickets      = (*dynamo.Store)(nil)
	_ email.Recorder     = (*dynamo.Store)(nil)
	_ email.Bounces      = (*dynamo.Store)(nil)
	_ email.Aliases      = (*dynamo.Store)(nil)
	_ email.Quarantine   = (*dynamo.Store)(nil)
	_ email.Quarantined  = (*dynamo.Store)(nil)
	_ email.Receiver     = (*intake.Service)(nil)
)

// TestThirtyMegabyteMail: a 30 MB mail goes from S3 through the handler
// into a ticket, its oversize attachment listed, not stored.
func TestThirtyMegabyteMail(t *testing.T) {
	e := newEnv(t)
	raw := bigMail(30 << 20)
	id := sesID(t)
	e.ok(e.deliver(e.h, raw, id))
	msg := e.view(id).Messages[0]
	if msg.Body != "现场照片见附件。" || len(msg.Attachments) != 1 {
		t.Fatalf("message = %q with %d attachments, want the text and one attachment", msg.Body, len(msg.Attachments))
	}
	if a := msg.Attachments[0]; !a.Skipped || a.Key != "" || a.Size < 20<<20 {
		t.Errorf("attachment = %+v, want a skipped attachment of over 20 MB", a)
	}
}

// TestAcknowledgementAfterCrash: the first delivery made the ticket but
// stopped before acknowledging (modelled by a handler without an
// acknowledger); the redelivery sends the one acknowledgement.
func TestAcknowledgementAfterCrash(t *testing.T) {
	e := newEnv(t)
	addr := unique(t, "crash")
	id := sesID(t)
	e.put(id, mailFrom(addr, "燃气表", "燃气表不走字"))
	payload := e.event(id)
	crashed := e.handler(mailparse.Limits{})
	crashed.Outbound = nil
	e.ok(e.invoke(crashed, payload))
	if n := e.acks(addr); n != 0 {
		t.Fatalf("acknowledgements before the redelivery = %d, want 0", n)
	}
	e.ok(e.invoke(e.h, payload))
	e.ok(e.invoke(e.h, payload))
	if n := e.acks(addr); n != 1 {
		t.Errorf("acknowledgements after two redeliveries = %d, want 1", n)
	}
}

// TestBinaryBodyKeptAsAttachment: a body that is binary data is stored as
// an attachment, and the message says so.
func TestBinaryBodyKeptAsAttachment(t *testing.T) {
	e := newEnv(t)
	id := sesID(t)
	e.ok(e.deliver(e.h, withFrom(mustRead(t, "binary_body.eml"), unique(t, "mms")), id))
	msg := e.view(id).Messages[0]
	if len(msg.Attachments) != 1 || msg.Attachments[0].Name != "body.png" || msg.Attachments[0].Key == "" {
		t.Fatalf("attachments = %+v, want the body stored as body.png", msg.Attachments)
	}
	if !strings.Contains(msg.Meta["notes"], "binary data (image/png)") || !strings.Contains(msg.Body, "body.png") {
		t.Errorf("message = %q notes %q, want it to say the body was kept as an attachment", msg.Body, msg.Meta["notes"])
	}
	b, err := e.object(msg.Attachments[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("stored attachment starts % x, want a PNG", b[:min(8, len(b))])
	}
}
