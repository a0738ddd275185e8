package scheduler_test

import (
	"testing"

	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestTriedTextIsOneSMS(t *testing.T) {
	for _, lang := range []ticket.Language{ticket.SimplifiedChinese, ticket.TraditionalChinese, ticket.English, "fr"} {
		text := scheduler.TriedText(lang, "FD-7K3MQ9")
		if seg := sms.Count(text); seg.Parts != 1 {
			t.Errorf("TriedText(%q) = %q: %d parts, want 1", lang, text, seg.Parts)
		}
	}
}
