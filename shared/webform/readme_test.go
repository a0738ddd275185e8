package webform

import (
	"os"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestREADMEQuotesRefusals keeps the README's list of what the form
// refuses in the words the customer reads: each message, filled in as the
// README's examples are, appears there as written.
func TestREADMEQuotesRefusals(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		code string
		args map[string]string
	}{
		{ticket.CodePhoneLetters, nil},
		{ticket.CodePhoneExtension, nil},
		{ticket.CodePhoneCost, nil},
		{ticket.CodeEmailHidden, nil},
		{ticket.CodeRequired, nil},
		{ticket.CodeConsent, nil},
		{ticket.CodeTimeSkipped, map[string]string{"time": "02:30", "date": "2027-03-26", "timeZone": "Asia/Jerusalem"}},
		{ticket.CodeTimeRepeated, map[string]string{"time": "01:30", "date": "2026-11-01", "timeZone": "America/New_York"}},
		{codeRepeated, nil},
		{codeUnavailable, nil},
	} {
		msg := say(langEN, m.code, m.args)
		if !strings.Contains(string(readme), `"`+msg+`"`) {
			t.Errorf("README does not quote the %s message %q", m.code, msg)
		}
	}
	for _, part := range []string{"Too many messages were sent from here", "We are receiving more messages than we can take right now"} {
		if !strings.Contains(say(langEN, codeRate, nil)+say(langEN, codeRateGlobal, nil), part) || !strings.Contains(string(readme), part) {
			t.Errorf("README and the rate messages do not both say %q", part)
		}
	}
}
