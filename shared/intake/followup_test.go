package intake_test

import (
	"context"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func smsInbound(id, body string) intake.Inbound {
	return intake.Inbound{
		Source:       ticket.Source{Channel: ticket.SMS, ID: id},
		Contact:      ticket.Contact{Phone: "+8613800138077"},
		Body:         body,
		ThreadWindow: 24 * time.Hour,
	}
}

func TestFollowUpEmergencyRaisesTicket(t *testing.T) {
	svc, store := service(t, monday10)
	ctx := context.Background()
	first, err := svc.Receive(ctx, smsInbound("s1", "我的账单有问题"))
	if err != nil || first.Ticket.Kind != ticket.Billing || first.Ticket.Priority != ticket.P3 {
		t.Fatalf("first text = %+v, %v, want a P3 billing ticket", first.Ticket, err)
	}
	svc.Now = func() time.Time { return monday10.Add(time.Hour) }
	second, err := svc.Receive(ctx, smsInbound("s2", "现在家里燃气泄漏了"))
	if err != nil || second.Created {
		t.Fatalf("follow-up = %+v, %v, want it on the ticket", second, err)
	}
	got, err := store.View(ctx, first.Ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Priority != ticket.P1 || got.Owner != "emergency-desk" {
		t.Fatalf("after 燃气泄漏 priority %s owner %s, want P1 emergency-desk", got.Priority, got.Owner)
	}
	if want := monday10.Add(time.Hour + 15*time.Minute).UTC(); !got.AckBy.Equal(want) {
		t.Errorf("ack by %v, want the emergency limit %v", got.AckBy, want)
	}
	var raised []ticket.Event
	for _, e := range got.History {
		if e.Type == ticket.EventRaised {
			raised = append(raised, e)
		}
	}
	if len(raised) != 1 || !ticket.Pages(raised[0], *got) {
		t.Errorf("raise events %+v, want one that pages", raised)
	}
	// Another ordinary follow-up keeps P1.
	if _, err := svc.Receive(ctx, smsInbound("s3", "thanks, please hurry")); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.View(ctx, first.Ticket.ID); got.Priority != ticket.P1 {
		t.Errorf("a later follow-up lowered the priority to %s", got.Priority)
	}
}
