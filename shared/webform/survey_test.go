package webform_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/survey"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

var surveyKeys = survey.Signer{Keys: [][]byte{[]byte("survey-test-key-0123456789")}}

// surveyRig is the web form with its survey pages over DynamoDB Local,
// its clock settable.
type surveyRig struct {
	*rig
	mu  sync.Mutex
	now time.Time
}

func newSurveyRig(tb testing.TB) *surveyRig {
	tb.Helper()
	store, _ := testenv.Table(tb)
	s := &surveyRig{now: now}
	clock := func() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.now }
	store.Now = clock
	rules := ticket.MustDefaultRules(shanghai)
	svc := &intake.Service{Store: store, Rules: rules, Region: "CN", Now: clock}
	h := webform.New(svc, webform.Config{
		Calendar: rules.Calendar, Region: "CN", Now: clock, Finder: store, PerIP: 100, Global: 1000, Deadline: 30 * time.Second,
		Surveys: &webform.Surveys{Signer: surveyKeys, Store: store, Rules: rules},
	})
	s.rig = &rig{store: store, handler: h, invoke: lambda.NewHandler(httpadapter.NewV2(h).ProxyWithContext)}
	return s
}

func (s *surveyRig) set(t time.Time) { s.mu.Lock(); s.now = t; s.mu.Unlock() }

// surveyed stores a resolved ticket of kind whose survey went out by mail
// a day ago, and returns it with the visit's expiry.
func (s *surveyRig) surveyed(tb testing.TB, kind ticket.Kind) (*ticket.Ticket, time.Time) {
	tb.Helper()
	created := now.Add(-72 * time.Hour)
	sent := now.Add(-24 * time.Hour)
	t := &ticket.Ticket{
		ID: ticket.NewID(created), Ref: ticket.NewRef(), Channel: ticket.Email, Kind: kind, Priority: ticket.P3,
		Status: ticket.Resolved, Contact: ticket.Contact{Email: "li.lei@example.com"}, Owner: "customer-care",
		CreatedAt: created, UpdatedAt: sent, AckBy: created.Add(4 * time.Hour), ResolvedAt: sent.Add(-24 * time.Hour), Version: 1,
		Visit: &ticket.Visit{Status: ticket.VisitSent, Due: sent.Add(-time.Minute).UTC(), SentAt: sent.UTC(), CloseAt: sent.Add(72 * time.Hour).UTC()},
	}
	if err := s.store.Apply(context.Background(), ticket.Change{Ticket: t, Create: true,
		Events: []ticket.Event{{ID: string(ticket.NewID(created)), Type: ticket.EventCreated, At: created, Actor: "customer"}}}); err != nil {
		tb.Fatalf("store ticket: %v", err)
	}
	return t, t.Visit.CloseAt
}

// token returns the signed token of the link giving score.
func token(t *ticket.Ticket, expires time.Time, score int) string {
	return surveyKeys.Token(survey.Claim{Ticket: t.ID, Visit: t.Visit.Due, Score: score, Expires: expires})
}

// page sends the survey fixture (GET or POST) for tok through the Lambda
// handler, with body in place of the fixture's comment when not nil.
func (s *surveyRig) page(tb testing.TB, name, tok string, body *string) events.APIGatewayV2HTTPResponse {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(tb, name), &ev); err != nil {
		tb.Fatal(err)
	}
	path := "/survey/" + tok
	ev["rawPath"] = path
	ev["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = path
	ev["pathParameters"] = map[string]any{"token": tok}
	if body != nil {
		ev["body"] = *body
		ev["headers"].(map[string]any)["content-length"] = strconv.Itoa(len(*body))
	}
	b, _ := json.Marshal(ev)
	return s.do(tb, b)
}

func (s *surveyRig) ticket(tb testing.TB, id ticket.ID) *ticket.Ticket {
	tb.Helper()
	t, err := s.store.View(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func count(t *ticket.Ticket, typ ticket.EventType) int {
	n := 0
	for _, e := range t.History {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// TestSurveyLinkRecordsOnce: GET only shows the confirm page (a scanner
// fetching every link records nothing); POST records the score and the
// comment; any later use of any of the visit's links says it is recorded
// already and changes nothing.
func TestSurveyLinkRecordsOnce(t *testing.T) {
	s := newSurveyRig(t)
	tk, expires := s.surveyed(t, ticket.Repair)
	for score := 1; score <= 5; score++ {
		resp := s.page(t, "get-survey.json", token(tk, expires, score), nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, strconv.Itoa(score)+" / 5") || !strings.Contains(resp.Body, `method="post"`) {
			t.Fatalf("GET score %d = %d %s, want the confirm page", score, resp.StatusCode, resp.Body)
		}
		if resp.Headers["Cache-Control"] != "no-store" || resp.Headers["Referrer-Policy"] != "no-referrer" {
			t.Errorf("GET headers = %v, want no-store and no-referrer", resp.Headers)
		}
	}
	if got := s.ticket(t, tk.ID); got.Version != tk.Version || got.Visit.Status != ticket.VisitSent {
		t.Fatalf("after GETs ticket version %d visit %+v, want unchanged", got.Version, got.Visit)
	}
	resp := s.page(t, "post-survey.json", token(tk, expires, 4), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "Your score of 4 of 5") {
		t.Fatalf("POST = %d %s, want recorded", resp.StatusCode, resp.Body)
	}
	got := s.ticket(t, tk.ID)
	v := got.Visit
	if v.Status != ticket.VisitAnswered || v.Score != 4 || v.Comment != "处理得很快，谢谢" || got.Status != ticket.Resolved {
		t.Fatalf("visit = %+v status %s, want answered 4 with the comment, still resolved", v, got.Status)
	}
	if count(got, ticket.EventSurveyAnswered) != 1 || count(got, ticket.EventReopened) != 0 {
		t.Errorf("history = %+v, want one survey_answered and no reopening", got.History)
	}
	var comments []ticket.Message
	for _, m := range got.Messages {
		if m.Meta["surveyScore"] == "4" {
			comments = append(comments, m)
		}
	}
	if len(comments) != 1 || comments[0].Body != "处理得很快，谢谢" || comments[0].Direction != ticket.Inbound {
		t.Errorf("messages = %+v, want the comment as the customer's message", got.Messages)
	}
	// The same link again, another score's link, and a GET: all say it
	// is recorded; nothing changes.
	empty := ""
	for _, again := range []events.APIGatewayV2HTTPResponse{
		s.page(t, "post-survey.json", token(tk, expires, 4), nil),
		s.page(t, "post-survey.json", token(tk, expires, 1), &empty),
		s.page(t, "get-survey.json", token(tk, expires, 2), nil),
	} {
		if again.StatusCode != http.StatusOK || !strings.Contains(again.Body, "already recorded (4 of 5)") {
			t.Errorf("second use = %d %s, want already recorded", again.StatusCode, again.Body)
		}
	}
	if after := s.ticket(t, tk.ID); after.Version != got.Version || after.Visit.Score != 4 || len(after.History) != len(got.History) {
		t.Errorf("after second uses version %d score %d, want %d and 4 unchanged", after.Version, after.Visit.Score, got.Version)
	}
}

// TestSurveyLinkLowScore: a score of 2 by link does what the same score
// by text does: reopens the ticket and escalates it to the supervisor.
func TestSurveyLinkLowScore(t *testing.T) {
	s := newSurveyRig(t)
	tk, expires := s.surveyed(t, ticket.Complaint)
	body := url.Values{"comment": {"Still leaking.\x00"}}.Encode()
	resp := s.page(t, "post-survey.json", token(tk, expires, 2), &body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST = %d %s, want 200", resp.StatusCode, resp.Body)
	}
	got := s.ticket(t, tk.ID)
	if got.Status == ticket.Resolved || !got.Status.Open() || got.EscalationLevel < ticket.LevelSupervisor || got.Visit.Score != 2 || got.Visit.Comment != "Still leaking." {
		t.Errorf("ticket status %s level %d visit %+v, want reopened, escalated, score 2 with the comment", got.Status, got.EscalationLevel, got.Visit)
	}
	if count(got, ticket.EventReopened) != 1 || count(got, ticket.EventEscalated) != 1 {
		t.Errorf("history = %+v, want one reopened and one escalated", got.History)
	}
}

// TestSurveyLinkRace: two different scores posted at once: exactly one
// is recorded, and the other is told so.
func TestSurveyLinkRace(t *testing.T) {
	s := newSurveyRig(t)
	tk, expires := s.surveyed(t, ticket.Repair)
	var wg sync.WaitGroup
	resps := make([]events.APIGatewayV2HTTPResponse, 2)
	for i, score := range []int{5, 1} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resps[i] = s.page(t, "post-survey.json", token(tk, expires, score), nil)
		}()
	}
	wg.Wait()
	recorded, already := 0, 0
	for _, r := range resps {
		switch {
		case strings.Contains(r.Body, "is recorded"):
			recorded++
		case strings.Contains(r.Body, "already recorded"):
			already++
		}
	}
	got := s.ticket(t, tk.ID)
	if recorded != 1 || already != 1 || count(got, ticket.EventSurveyAnswered) != 1 {
		t.Errorf("recorded %d, already %d, %d survey_answered events; want 1, 1, 1", recorded, already, count(got, ticket.EventSurveyAnswered))
	}
}

// TestSurveyLinkRefused: forged, altered, foreign-keyed and malformed
// tokens get a clear 400 page, an expired one 410, a closed visit 410;
// none changes anything or shows a stack trace.
func TestSurveyLinkRefused(t *testing.T) {
	s := newSurveyRig(t)
	tk, expires := s.surveyed(t, ticket.Repair)
	good := token(tk, expires, 5)
	other := survey.Signer{Keys: [][]byte{[]byte("another-key-0123456789abcdef")}}
	flip := []byte(good)
	if flip[len(flip)-1] == 'a' {
		flip[len(flip)-1] = 'b'
	} else {
		flip[len(flip)-1] = 'a'
	}
	raised := surveyKeys.Token(survey.Claim{Ticket: tk.ID, Visit: tk.Visit.Due, Score: 5, Expires: expires.Add(30 * 24 * time.Hour)})
	tests := []struct {
		name   string
		tok    string
		status int
		says   string
	}{
		{"altered signature", string(flip), http.StatusBadRequest, "This link is not valid"},
		{"another key", other.Token(survey.Claim{Ticket: tk.ID, Visit: tk.Visit.Due, Score: 5, Expires: expires}), http.StatusBadRequest, "This link is not valid"},
		{"expiry pushed back", raised[:strings.LastIndex(raised, ".")] + good[strings.LastIndex(good, "."):], http.StatusBadRequest, "This link is not valid"},
		{"score changed", strings.Replace(good, ".5.", ".1.", 1), http.StatusBadRequest, "This link is not valid"},
		{"not a token", "hello", http.StatusBadRequest, "This link is not valid"},
		{"script", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", http.StatusBadRequest, "This link is not valid"},
		{"unknown ticket", surveyKeys.Token(survey.Claim{Ticket: ticket.NewID(now), Visit: tk.Visit.Due, Score: 5, Expires: expires}), http.StatusBadRequest, "This link is not valid"},
		{"another visit", surveyKeys.Token(survey.Claim{Ticket: tk.ID, Visit: tk.Visit.Due.Add(time.Hour), Score: 5, Expires: expires}), http.StatusBadRequest, "This link is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"get-survey.json", "post-survey.json"} {
				resp := s.page(t, name, tt.tok, nil)
				if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.says) || strings.Contains(resp.Body, "goroutine") || strings.Contains(resp.Body, "<script>") {
					t.Errorf("%s = %d %s, want %d saying %q", name, resp.StatusCode, resp.Body, tt.status, tt.says)
				}
			}
		})
	}
	// At the expiry, the genuine link has expired.
	s.set(expires)
	for _, name := range []string{"get-survey.json", "post-survey.json"} {
		if resp := s.page(t, name, good, nil); resp.StatusCode != http.StatusGone || !strings.Contains(resp.Body, "This link has expired") {
			t.Errorf("expired %s = %d %s, want 410", name, resp.StatusCode, resp.Body)
		}
	}
	if got := s.ticket(t, tk.ID); got.Version != tk.Version {
		t.Errorf("ticket version %d after refused links, want %d", got.Version, tk.Version)
	}
	// A visit closed otherwise (not visitable) takes no score.
	s.set(now)
	closed, exp := s.surveyed(t, ticket.Repair)
	if _, err := s.store.Mutate(context.Background(), closed.ID, func(t *ticket.Ticket) (ticket.Change, error) {
		n := t.Clone()
		n.Visit.Status = ticket.VisitNotVisitable
		n.Version++
		return ticket.Change{Ticket: n}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if resp := s.page(t, "post-survey.json", token(closed, exp, 3), nil); resp.StatusCode != http.StatusGone || !strings.Contains(resp.Body, "This survey is closed") {
		t.Errorf("closed visit POST = %d %s, want 410", resp.StatusCode, resp.Body)
	}
}

var _ webform.SurveyStore = (*dynamo.Store)(nil)
