package scheduler_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/survey"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

var linkRe = regexp.MustCompile(`https://contact\.example\.com/survey/\S+`)

// TestDayEmailSurveyLinks: a customer who gave only an email address is
// surveyed by a mail with five signed links naming the ticket, the visit
// and the score, expiring when the visit closes; a customer with a phone
// gets the text. Posting one link on the web form records that score on
// the ticket, once.
func TestDayEmailSurveyLinks(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	box := newOutbox()
	links := &survey.Links{Base: "https://contact.example.com", Signer: survey.Signer{Keys: [][]byte{[]byte("survey-key-0123456789abc")}}}
	d := &scheduler.Day{Store: st, Rules: rules, Messages: box, SurveyLinks: links}
	mailed, texted := complaint(t, st, monday9, 40), complaint(t, st, monday9, 41)
	if _, err := st.Mutate(ctx, mailed.ID, func(tk *ticket.Ticket) (ticket.Change, error) {
		next := tk.Clone()
		next.Version++
		next.Channel, next.Contact, next.Language = ticket.Email, ticket.Contact{Email: "li.lei@example.com"}, ticket.SimplifiedChinese
		return ticket.Change{Ticket: next}, nil
	}); err != nil {
		t.Fatal(err)
	}
	resolveAt := monday9.Add(time.Hour)
	for _, tk := range []*ticket.Ticket{mailed, texted} {
		act(t, st, tk.ID, ticket.Request{Action: ticket.ActResolve, Resolution: "fixed", AtFault: ticket.FaultProvider, Actor: "staff:ann", At: resolveAt})
	}
	tickEvery(t, 15*time.Minute, resolveAt, monday9.Add(2*24*time.Hour), nil, d)

	if box.count(texted.ID) != 1 || strings.Contains(box.sent[texted.ID][0], "/survey/") {
		t.Errorf("texted customer got %q, want the reply-1-5 text", box.sent[texted.ID])
	}
	if box.count(mailed.ID) != 1 {
		t.Fatalf("mailed customer got %d surveys, want 1", box.count(mailed.ID))
	}
	text := box.sent[mailed.ID][0]
	found := linkRe.FindAllString(text, -1)
	cur, err := st.Ticket(ctx, mailed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 5 || !strings.Contains(text, string(cur.Ref)) || !strings.Contains(text, "5 非常满意") || cur.Visit.Status != ticket.VisitSent {
		t.Fatalf("survey mail %q with visit %+v, want five links, the reference, in Chinese, sent", text, cur.Visit)
	}
	for i, l := range found {
		c, err := links.Signer.Parse(strings.TrimPrefix(l, links.Base+"/survey/"), cur.Visit.SentAt)
		if err != nil || c.Ticket != mailed.ID || !c.Visit.Equal(cur.Visit.Due.Truncate(time.Second)) || !c.Expires.Equal(cur.Visit.CloseAt) {
			t.Errorf("link %d names %+v, %v; want ticket %s visit %s expiring %s", i, c, err, mailed.ID, cur.Visit.Due, cur.Visit.CloseAt)
		}
		if want := 5 - i; c.Score != want {
			t.Errorf("link %d gives score %d, want %d (best first)", i, c.Score, want)
		}
	}

	// The customer opens the "2" link and confirms it.
	form := webform.New(&intake.Service{Store: st, Rules: rules}, webform.Config{
		Calendar: rules.Calendar, Now: func() time.Time { return cur.Visit.SentAt.Add(time.Hour) },
		Surveys: &webform.Surveys{Signer: links.Signer, Store: st, Rules: rules},
	})
	two := strings.TrimPrefix(found[3], links.Base)
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, two, strings.NewReader(url.Values{"comment": {"还是漏水"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		form.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("POST %s = %d %s", two, rec.Code, rec.Body)
		}
	}
	cur, _ = st.Ticket(ctx, mailed.ID)
	h := history(t, st, mailed.ID)
	if cur.Visit.Status != ticket.VisitAnswered || cur.Visit.Score != 2 || cur.Visit.Comment != "还是漏水" || cur.Status != ticket.Reopened ||
		cur.EscalationLevel < ticket.LevelSupervisor || h[ticket.EventSurveyAnswered] != 1 {
		t.Errorf("after the link: status %s level %d visit %+v, %d survey_answered; want score 2 once, reopened, escalated",
			cur.Status, cur.EscalationLevel, cur.Visit, h[ticket.EventSurveyAnswered])
	}
}
