package ticket_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestCustomerTextsGolden renders the callback reminder and the survey in
// every language, with their SMS segments, against
// testdata/customertexts.golden, and checks each fits one SMS.
func TestCustomerTextsGolden(t *testing.T) {
	const ref = ticket.Ref("FD-7KQ2MX")
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	callbacks := []struct {
		name string
		cb   ticket.Callback
	}{
		{"Shanghai", ticket.Callback{Start: utc("2026-11-24 02:00"), End: utc("2026-11-24 03:00"), Zone: "Asia/Shanghai"}},
		// The same instants for a customer in London: their own clock.
		{"London", ticket.Callback{Start: utc("2026-11-24 02:00"), End: utc("2026-11-24 03:00"), Zone: "Europe/London"}},
		// Monday after clocks went back in New York, and a longest window.
		{"New York", ticket.Callback{Start: utc("2026-11-02 14:00"), End: utc("2026-11-02 22:30"), Zone: "America/New_York"}},
		// The longest date: two-digit month and day.
		{"December", ticket.Callback{Start: utc("2026-12-24 06:30"), End: utc("2026-12-24 07:30"), Zone: "Asia/Hong_Kong"}},
	}
	var b strings.Builder
	for _, lang := range []ticket.Language{ticket.SimplifiedChinese, ticket.TraditionalChinese, ticket.English, "fr"} {
		for _, c := range callbacks {
			text, err := ticket.CallbackReminder(lang, ref, c.cb)
			if err != nil {
				t.Fatalf("CallbackReminder(%s, %s): %v", lang, c.name, err)
			}
			writeText(t, &b, string(lang)+" reminder "+c.name, text, ref)
			booked, err := ticket.CallbackBooked(lang, ref, c.cb)
			if err != nil {
				t.Fatalf("CallbackBooked(%s, %s): %v", lang, c.name, err)
			}
			writeText(t, &b, string(lang)+" booked "+c.name, booked, ref)
		}
		writeText(t, &b, string(lang)+" survey", ticket.SurveyText(lang, ref), ref)
		writeText(t, &b, string(lang)+" callback question", ticket.CallbackQuestion(lang, ref), ref)
	}
	for _, lang := range []ticket.Language{ticket.SimplifiedChinese, ticket.TraditionalChinese, ticket.English} {
		for _, r := range refusals(t) {
			msg := r.err.Message(lang)
			if strings.ContainsAny(msg, "{}") {
				t.Errorf("%s refusal %s leaves a placeholder: %s", lang, r.name, msg)
			}
			writeText(t, &b, string(lang)+" refusal "+r.name, msg, "")
		}
	}
	got := b.String()
	const golden = "testdata/customertexts.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCustomerTextsGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("customer texts differ from %s (run with -update to accept):\n%s", golden, got)
	}
}

func writeText(t *testing.T, b *strings.Builder, name, text string, ref ticket.Ref) {
	t.Helper()
	seg := sms.Count(text)
	if seg.Parts != 1 {
		t.Errorf("%s is %d SMS (%s, %d units), want 1: %s", name, seg.Parts, seg.Encoding, seg.Units, text)
	}
	if !strings.Contains(text, string(ref)) {
		t.Errorf("%s does not give the reference: %s", name, text)
	}
	fmt.Fprintf(b, "%s [%s %d units, %d part]\n%s\n\n", name, seg.Encoding, seg.Units, seg.Parts, text)
}

func TestCallbackReminderBadZone(t *testing.T) {
	for _, zone := range []string{"", "Local", "Mars/Olympus"} {
		_, err := ticket.CallbackReminder(ticket.English, "FD-7KQ2MX", ticket.Callback{Start: time.Unix(0, 0), End: time.Unix(3600, 0), Zone: zone})
		if !errors.Is(err, ticket.ErrZone) {
			t.Errorf("CallbackReminder in zone %q = %v, want ErrZone", zone, err)
		}
	}
}

// refusals reads one text for each way a callback time is refused.
func refusals(t *testing.T) []struct {
	name string
	err  *ticket.CallbackTextError
} {
	t.Helper()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	newYork, _ := time.LoadLocation("America/New_York")
	office := ticket.CallbackReading{Calendar: ticket.DefaultCalendar(shanghai), Now: time.Date(2026, 11, 23, 10, 0, 0, 0, shanghai)}
	night := ticket.Calendar{Zone: newYork, Open: 0, Close: 24 * 60, Days: [7]bool{true, true, true, true, true, true, true}}
	spring := ticket.CallbackReading{Calendar: night, Now: time.Date(2026, 3, 7, 12, 0, 0, 0, newYork)}
	autumn := ticket.CallbackReading{Calendar: night, Now: time.Date(2026, 10, 31, 12, 0, 0, 0, newYork)}
	var out []struct {
		name string
		err  *ticket.CallbackTextError
	}
	for _, c := range []struct {
		name, text string
		r          ticket.CallbackReading
	}{
		{"no time", "please call me back", office},
		{"ambiguous date", "12/3 14:00", office},
		{"ambiguous part of day", "明天上午或下午", office},
		{"skipped time", "tomorrow 2:30am", spring},
		{"repeated time", "tomorrow 1:30am", autumn},
		{"past", "today 9am", office},
		{"too far", "Dec 20 10am", office},
		{"outside hours", "明天晚上8点", office},
		{"no such date", "2月30日", office},
	} {
		_, err := ticket.ReadCallback(c.text, c.r)
		var e *ticket.CallbackTextError
		if !errors.As(err, &e) {
			t.Fatalf("ReadCallback(%q) = %v, want a refusal", c.text, err)
		}
		out = append(out, struct {
			name string
			err  *ticket.CallbackTextError
		}{c.name, e})
	}
	return out
}
