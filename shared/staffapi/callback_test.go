package staffapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestCallbackActionsOverHTTP: staff schedule, reschedule, record an
// outcome and cancel callbacks; a window outside business hours, or one
// the clocks skip, answers 422 saying what is allowed.
func TestCallbackActionsOverHTTP(t *testing.T) {
	f := newFixture(t)
	tk := f.open(t, "cb1", "账单多扣了50元，请回电")
	path := "/staff/tickets/" + string(tk.Ref) + "/actions"
	steps := []struct {
		name, body string
		code       int
		want       string // in the answer
	}{
		{"outside hours", `{"action":"callback","version":1,"op":"schedule","window":{"date":"2026-11-24","from":"19:00","to":"20:00","timeZone":"Asia/Shanghai"}}`, 422, "outside business hours (hours 08:30–17:30"},
		{"skipped hour", `{"action":"callback","version":1,"op":"schedule","window":{"date":"2027-03-14","from":"02:30","to":"03:00","timeZone":"America/New_York"}}`, 422, "skip"},
		{"no window", `{"action":"callback","version":1,"op":"schedule"}`, 422, "window is required"},
		{"outcome without a callback", `{"action":"callback","version":1,"op":"outcome","result":"done"}`, 422, "no callback is scheduled"},
		{"schedule", `{"action":"callback","version":1,"op":"schedule","window":{"date":"2026-11-24","from":"14:00","to":"15:00","timeZone":"Asia/Shanghai"}}`, 200, "callback_requested"},
		{"reschedule", `{"action":"callback","version":2,"op":"reschedule","window":{"date":"2026-11-25","from":"10:00","to":"10:30","timeZone":"Asia/Shanghai"}}`, 200, "callback_requested"},
		{"bad result", `{"action":"callback","version":3,"op":"outcome","result":"maybe"}`, 422, "result must be"},
		{"no answer", `{"action":"callback","version":3,"op":"outcome","result":"no_answer"}`, 200, "next attempt"},
		{"cancel", `{"action":"callback","version":4,"op":"cancel","reason":"paid at the counter"}`, 200, "callback_cancelled"},
	}
	for _, s := range steps {
		code, body, _ := f.call(t, &agent, "POST", path, s.body)
		got := ""
		if e, ok := body["error"].(string); ok {
			got = e
		} else if evs, ok := body["events"].([]any); ok {
			for _, e := range evs {
				m := e.(map[string]any)
				got += m["type"].(string) + " " + m["detail"].(string) + "; "
			}
		}
		if code != s.code || !strings.Contains(got, s.want) {
			t.Errorf("%s = %d %q, want %d with %q", s.name, code, got, s.code, s.want)
		}
	}
	cur, err := f.store.Ticket(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cb := cur.Callback; cb == nil || cb.Status != ticket.CallbackCancelled || cb.Attempts != 2 {
		t.Errorf("callback = %+v, want the second attempt, cancelled", cur.Callback)
	}
}
