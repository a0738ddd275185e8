package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// The simulated week: 200 customers reach Frontdesk on Sunday by text,
// the web form and mail; through the week staff acknowledge, call back
// and resolve through the desk, customers answer surveys by text through
// the SMS intake, and the time-limit sweep, the day sweep and the
// overnight planner run every 5 minutes of simulated time (the planner at
// 02:00) as the scheduler function runs them. Every promise is then
// checked by counting what the recording senders were handed and what the
// history holds, against what the test itself set up.

var (
	london, _  = time.LoadLocation("Europe/London")
	newYork, _ = time.LoadLocation("America/New_York")
	// weekStart is Sunday noon, two hours after the customers wrote.
	weekStart = time.Date(2026, 11, 22, 12, 0, 0, 0, shanghai)
	weekEnd   = weekStart.AddDate(0, 0, 7)
	staff     = identity.Staff{Subject: "ann", Roles: []identity.Role{identity.Admin}}
)

// attempt is one call of a callback as staff booked it.
type attempt struct {
	start, end time.Time
	zone       string
	bookedAt   time.Time
}

// customer is one of the week's customers and what the test makes them
// and the staff do.
type customer struct {
	i            int
	channel      ticket.Channel
	phone, email string
	zone         *time.Location
	lang         ticket.Language // the language their texts are written in
	kind         ticket.Kind
	optOut       bool
	// callback is set when a callback is booked; outcomes are what staff
	// record on each attempt in turn (none: the window passes without
	// one, a missed callback).
	callback bool
	outcomes []ticket.CallbackResult
	// resolves is set for the repairs and complaints staff resolve:
	// at resolve, or when there is a callback an hour after it is
	// settled (made, given up, or missed).
	resolves bool
	resolve  time.Time
	// score is what the customer answers the survey (0: never).
	score   int
	comment string

	id       ticket.ID
	ref      ticket.Ref
	attempts []attempt
	resolved time.Time
	answered time.Time
}

// action is something a person does at a time.
type action struct {
	at time.Time
	do func(at time.Time)
}

// world is the simulated week's table, clock and services.
type world struct {
	t       *testing.T
	st      *dynamo.Store
	now     atomic.Int64
	texts   *senders
	out     *outbound.Service
	in      *intake.Service
	sms     *sms.Service
	desk    *desk.Service
	pending []action
	byRef   map[ticket.Ref]*customer
}

func (w *world) clock() time.Time { return time.Unix(0, w.now.Load()).UTC() }
func (w *world) set(at time.Time) { w.now.Store(at.UnixNano()) }

func (w *world) later(at time.Time, do func(at time.Time)) {
	w.pending = append(w.pending, action{at: at, do: do})
}

// acts reports whether anyone does anything by at.
func (w *world) acts(at time.Time) bool {
	return slices.ContainsFunc(w.pending, func(a action) bool { return !a.at.After(at) })
}

// act runs what people do by at, in the order they do it, and reports
// whether anyone did anything.
func (w *world) act(at time.Time) bool {
	var due []action
	w.pending = slices.DeleteFunc(w.pending, func(a action) bool {
		if a.at.After(at) {
			return false
		}
		due = append(due, a)
		return true
	})
	slices.SortStableFunc(due, func(a, b action) int { return a.at.Compare(b.at) })
	for _, a := range due {
		a.do(at)
	}
	return len(due) > 0
}

// quietUntil returns the first instant after at when a job has anything
// to do, as the jobs themselves would find it: the earliest entry of any
// due kind in the ranges their next runs read (from where the earlier of
// the two last finished, less the overlap), looking up to six hours
// ahead. It is at itself when an entry there is due already. Ticks before
// it would read nothing their later runs do not read again.
func (w *world) quietUntil(ctx context.Context, at time.Time) time.Time {
	from := at
	for _, job := range []string{scheduler.Job, scheduler.DayJob} {
		last, err := w.st.SweptUntil(ctx, job)
		if err != nil {
			return at
		}
		if last = last.Add(-scheduler.DefaultOverlap); last.Before(from) {
			from = last
		}
	}
	next := at.Add(6 * time.Hour)
	for _, kind := range dynamo.DueKinds {
		ds, err := w.st.DueBetween(ctx, kind, from, next)
		if err != nil {
			return at
		}
		for _, d := range ds {
			if d.At.Before(next) {
				next = d.At
			}
		}
	}
	if next.Before(at) {
		return at
	}
	return next
}

// staffDo carries out a staff request on c's ticket through the desk.
func (w *world) staffDo(c *customer, req ticket.Request) desk.Result {
	w.t.Helper()
	ctx := context.Background()
	cur, err := w.st.Ticket(ctx, c.id)
	if err != nil {
		w.t.Fatal(err)
	}
	res, err := w.desk.Do(ctx, staff, desk.Command{Ref: c.ref, Version: cur.Version, Request: req})
	if err != nil {
		w.t.Fatalf("customer %d: %s %s at %s: %v", c.i, req.Action, req.Op, w.clock(), err)
	}
	return res
}

// population makes the week's 200 customers. The mix: a third each by
// text, web form and mail (half the web form's customers and all the
// mail's give only an address); two fifths repairs, two fifths
// complaints, a fifth inquiries; a fifth of the customers in London or
// New York, each with a callback in their own zone; some opted out; and
// two tickets of one customer, both resolved, of which only one may be
// surveyed within 30 days.
func population() []*customer {
	var cs []*customer
	for i := 0; i < 200; i++ {
		c := &customer{i: i, zone: shanghai, lang: ticket.SimplifiedChinese}
		switch i % 3 {
		case 0:
			c.channel, c.phone = ticket.SMS, fmt.Sprintf("+86139%08d", i)
		case 1:
			c.channel, c.email = ticket.Web, fmt.Sprintf("c%03d@example.com", i)
			if i%2 == 0 {
				c.phone = fmt.Sprintf("+86139%08d", i)
			}
		case 2:
			c.channel, c.email = ticket.Email, fmt.Sprintf("c%03d@example.com", i)
		}
		switch i % 5 {
		case 0, 1:
			c.kind = ticket.Repair
		case 2, 3:
			c.kind = ticket.Complaint
		default:
			c.kind = ticket.Inquiry
		}
		switch i % 10 {
		case 7:
			c.zone, c.lang = london, ticket.English
		case 9:
			c.zone, c.lang = newYork, ticket.English
		}
		c.optOut = c.phone != "" && i%13 == 5
		// Everyone outside Shanghai has a callback (the zone it is booked
		// in is how Frontdesk knows theirs), and a quarter of the rest.
		c.callback = c.zone != shanghai || i%4 == 0
		if c.callback {
			plan := (i / 2) % 4
			if c.zone != shanghai {
				// Retries are booked two business hours on, which may be
				// a customer's night abroad: the plans abroad are one
				// call, made or missed.
				plan = (i / 2) % 2 * 3
			}
			switch plan {
			case 0:
				c.outcomes = []ticket.CallbackResult{ticket.CallbackDone}
			case 1:
				c.outcomes = []ticket.CallbackResult{ticket.CallbackNoAnswer, ticket.CallbackDone}
			case 2:
				c.outcomes = []ticket.CallbackResult{ticket.CallbackNoAnswer, ticket.CallbackNoAnswer, ticket.CallbackNoAnswer}
			}
		}
		c.resolves = (c.kind == ticket.Repair || c.kind == ticket.Complaint) && i%7 != 3
		if c.resolves && !c.callback {
			// Monday to Thursday, late morning.
			c.resolve = time.Date(2026, 11, 23+i%4, 11, 0, 0, 0, shanghai).Add(time.Duration(i%6) * 30 * time.Minute)
		}
		if c.phone != "" {
			switch (i / 3) % 6 {
			case 0:
				c.score = 5
			case 1:
				c.score, c.comment = 4, "师傅很准时"
			case 2:
				c.score, c.comment = 2, "还是漏水"
			case 4:
				c.score = 3
			case 5:
				c.score, c.comment = 1, "没人来过"
			}
			if c.lang == ticket.English && c.comment != "" {
				c.comment = "still not fixed"
			}
		}
		cs = append(cs, c)
	}
	// 199 is 198's customer again, by the web form: both complaints.
	a, b := cs[198], cs[199]
	b.phone, b.email, b.zone, b.lang, b.kind, b.callback, b.outcomes = a.phone, "", shanghai, ticket.SimplifiedChinese, ticket.Complaint, false, nil
	a.kind, a.resolves, b.resolves = ticket.Complaint, true, true
	b.optOut, b.score, b.comment = a.optOut, a.score, a.comment
	b.resolve = time.Date(2026, 11, 23, 15, 0, 0, 0, shanghai)
	return cs
}

// window books a callback on day d of the week (0 Monday) at the half
// hour n after 09:00 in Shanghai (or the next, when the customer's
// midnight falls inside it), written in the customer's own zone.
func window(c *customer, d, n int) ticket.CallbackRequest {
	start := time.Date(2026, 11, 23+d, 9, 0, 0, 0, shanghai).Add(time.Duration(n) * 30 * time.Minute)
	end := start.Add(30 * time.Minute)
	ls, le := start.In(c.zone), end.In(c.zone)
	if ls.Day() != le.Day() {
		ls, le = le, le.Add(30*time.Minute)
	}
	return ticket.CallbackRequest{Date: ls.Format(time.DateOnly), From: ls.Format("15:04"), To: le.Format("15:04"), TimeZone: c.zone.String()}
}

// open makes c's ticket the way its channel does, on Sunday morning.
func (w *world) open(c *customer, at time.Time) {
	t := w.t
	t.Helper()
	ctx := context.Background()
	w.set(at)
	body := "你好，想反映一个问题，请尽快处理。"
	if c.lang == ticket.English {
		body = "Hello, I would like to raise a problem, please handle it soon."
	}
	var req *ticket.CallbackRequest
	if c.callback {
		r := window(c, (c.i/3)%4, c.i%16)
		req = &r
	}
	switch c.channel {
	case ticket.SMS:
		out, err := w.sms.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("in-%d", c.i), From: c.phone, Body: body, At: at}, false)
		if err != nil || out.Ticket == nil || !out.Created {
			t.Fatalf("customer %d: text = %+v, %v", c.i, out, err)
		}
		c.id, c.ref = out.Ticket.ID, out.Ticket.Ref
	default:
		in := intake.Inbound{
			Source:   ticket.Source{Channel: c.channel, ID: fmt.Sprintf("in-%d", c.i)},
			Contact:  ticket.Contact{Phone: c.phone, Email: c.email},
			Kind:     c.kind,
			Subject:  "problem",
			Body:     body,
			At:       at,
			Language: c.lang,
		}
		if c.channel == ticket.Web && req != nil {
			// The web form checks the window against the calendar and
			// books it with the ticket.
			cb, verr := rules.Calendar.Callback(*req, at, ticket.MaxCallbackAhead)
			if len(verr) > 0 {
				t.Fatalf("customer %d: web form window %+v: %v", c.i, *req, verr)
			}
			in.Callback = cb
		}
		r, err := w.in.Receive(ctx, in)
		if err != nil || !r.Created {
			t.Fatalf("customer %d: receive = %+v, %v", c.i, r, err)
		}
		c.id, c.ref = r.Ticket.ID, r.Ticket.Ref
	}
	w.byRef[c.ref] = c
	cur, err := w.st.Ticket(ctx, c.id)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Kind != c.kind {
		w.staffDo(c, ticket.Request{Action: ticket.ActClassify, Kind: c.kind})
	}
	switch {
	case cur.Callback != nil:
		w.booked(c, cur.Callback, at)
	case req != nil:
		// Asked for by text or mail: staff book it.
		res := w.staffDo(c, ticket.Request{Action: ticket.ActCallback, Op: ticket.CallbackSchedule, Window: req})
		w.booked(c, res.Ticket.Callback, at)
	}
	if c.optOut {
		out, err := w.sms.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("stop-%d", c.i), From: c.phone, Body: "STOP", At: at}, false)
		if err != nil || out.Action != sms.OptOut {
			t.Fatalf("customer %d: STOP = %+v, %v", c.i, out, err)
		}
	}
}

// booked records an attempt staff booked and plans its outcome (or none)
// a few minutes into the window.
func (w *world) booked(c *customer, cb *ticket.Callback, at time.Time) {
	c.attempts = append(c.attempts, attempt{start: cb.Start, end: cb.End, zone: cb.Zone, bookedAt: at})
	k := len(c.attempts) - 1
	if k >= len(c.outcomes) {
		// No outcome is ever recorded: missed once the window ends. The
		// case is resolved an hour after that.
		if c.resolves {
			w.later(cb.End.Add(time.Hour), w.resolveFunc(c))
		}
		return
	}
	when := cb.Start.Add(5 * time.Minute)
	if when.After(cb.End) {
		when = cb.End
	}
	w.later(when, func(at time.Time) {
		res := w.staffDo(c, ticket.Request{Action: ticket.ActCallback, Op: ticket.CallbackOutcome, Result: c.outcomes[k]})
		next := res.Ticket.Callback
		if next.Status == ticket.CallbackScheduled {
			w.booked(c, next, at)
			return
		}
		if c.resolves {
			w.later(at.Add(time.Hour), w.resolveFunc(c))
		}
	})
}

func (w *world) resolveFunc(c *customer) func(at time.Time) {
	return func(at time.Time) {
		w.staffDo(c, ticket.Request{Action: ticket.ActResolve, Resolution: "fixed on site", AtFault: ticket.FaultProvider})
		c.resolved = at
	}
}

// kind of a message sent, as the test reads it from its words.
type sentKind int

const (
	sentOther sentKind = iota
	sentReminder
	sentTried
	sentSurvey
)

// classify tells what a sent message was by comparing it with the texts
// the customer is due, in their language: a reminder of attempt k, the
// message saying we tried, a survey, or something else (an
// acknowledgement).
func classify(c *customer, body string) (sentKind, int) {
	if body == ticket.SurveyText(c.lang, c.ref) {
		return sentSurvey, 0
	}
	if body == scheduler.TriedText(c.lang, c.ref) {
		return sentTried, 0
	}
	for k, a := range c.attempts {
		want, err := ticket.CallbackReminder(c.lang, c.ref, ticket.Callback{Start: a.start, End: a.end, Zone: a.zone})
		if err == nil && body == want {
			return sentReminder, k
		}
	}
	return sentOther, 0
}

// quiet reports whether at is in c's quiet hours, read from their wall
// clock: 21:00 to 08:00.
func quiet(c *customer, at time.Time) bool {
	h := at.In(c.zone).Hour()
	return h >= 21 || h < 8
}

func TestSimulatedWeek(t *testing.T) {
	if testing.Short() {
		t.Skip("the simulated week runs against DynamoDB Local")
	}
	st, _ := testenv.Table(t)
	ctx := context.Background()
	// Thousands of job runs: their log lines would drown the failures.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	t.Cleanup(func() { slog.SetDefault(prev) })
	w := &world{t: t, st: st, byRef: map[ticket.Ref]*customer{}}
	w.texts = &senders{clock: w.clock}
	st.Now = w.clock
	w.out = &outbound.Service{Store: st, Texts: w.texts, Mail: w.texts, From: "Frontdesk <support@example.com>", Zone: shanghai, Now: w.clock}
	w.in = &intake.Service{Store: st, Rules: rules, Region: "CN", Now: w.clock}
	w.sms = sms.New(st, w.in, sms.MustDefaultKeywords(), w.texts, "CN")
	w.sms.Outbound, w.sms.Now = w.out, w.clock
	w.desk = &desk.Service{Store: st, Rules: rules, Now: w.clock, Messenger: &desk.Channels{Out: w.out, Tickets: st}}

	began := time.Now()
	cs := population()
	opened := weekStart.Add(-2 * time.Hour)
	for _, c := range cs {
		w.open(c, opened.Add(time.Duration(c.i)*time.Second))
	}
	for _, c := range cs {
		// Acknowledged on Monday morning, a dozen every 5 minutes.
		w.later(time.Date(2026, 11, 23, 8, 30, 0, 0, shanghai).Add(time.Duration(c.i/12)*5*time.Minute), func(time.Time) {
			// Unless a call already took it up.
			if cur, err := st.Ticket(ctx, c.id); err == nil && cur.Status == ticket.New {
				w.staffDo(c, ticket.Request{Action: ticket.ActAcknowledge})
			}
		})
		if !c.resolve.IsZero() {
			w.later(c.resolve, w.resolveFunc(c))
		}
	}

	day := &scheduler.Day{Store: st, Rules: rules, Messages: &scheduler.Channels{Out: w.out}}
	second := &scheduler.Day{Store: st, Rules: rules, Messages: &scheduler.Channels{Out: w.out}}
	sweep := &scheduler.Sweep{Store: st, Rules: rules, Reminder: &desk.Channels{Out: w.out, Tickets: st}}
	var lists digests
	planner := &scheduler.Planner{Store: st, Zone: shanghai, Digests: &lists}
	plans := map[string]scheduler.PlanStats{}
	plannedRefs := map[string][]ticket.Ref{}
	wantRefs := map[string][]ticket.Ref{}

	// A day sweep dies half-way twice: on Monday its provider goes away
	// after one message (the sends fail), on Wednesday it is killed
	// right after a message went out, before that is recorded. Each is
	// tried at every tick from its hour until a run really did die with
	// work left.
	kills := []struct {
		from   time.Time
		cancel bool
		done   bool
	}{
		{from: time.Date(2026, 11, 23, 7, 0, 0, 0, shanghai)},
		{from: time.Date(2026, 11, 25, 7, 0, 0, 0, shanghai), cancel: true},
	}
	// Two day sweeps overlap on every tick on Tuesday and Thursday.
	overlapping := func(at time.Time) bool {
		d := at.In(shanghai).Weekday()
		return d == time.Tuesday || d == time.Thursday
	}
	setUp := time.Since(began)
	scanned := 0
	var runErrs []error
	// Every 5 minutes; a stretch of ticks where no one acts and nothing
	// falls due in what the jobs read is skipped (see quietUntil).
	var quietTill time.Time
	ran, skipped := 0, 0
	for at := weekStart; at.Before(weekEnd); at = at.Add(5 * time.Minute) {
		l := at.In(shanghai)
		plan := l.Hour() == 2 && l.Minute() == 0
		if at.Before(quietTill) && !plan && !w.acts(at) {
			skipped++
			continue
		}
		ran++
		w.set(at)
		busy := w.act(at)
		if plan {
			lists.worklists = nil
			s, err := planner.Run(ctx, at)
			if err != nil {
				t.Fatalf("planner at %s: %v", l, err)
			}
			plans[s.Date] = s
			for _, wl := range lists.worklists {
				for _, it := range wl.Callbacks {
					plannedRefs[s.Date] = append(plannedRefs[s.Date], it.Ref)
				}
			}
			// What the test booked for that day, before 02:00.
			from := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, shanghai)
			for _, c := range cs {
				for _, a := range c.attempts {
					if a.bookedAt.Before(at) && !a.start.Before(from) && a.start.Before(from.AddDate(0, 0, 1)) {
						wantRefs[s.Date] = append(wantRefs[s.Date], c.ref)
					}
				}
			}
		}
		for i := range kills {
			k := &kills[i]
			if k.done || at.Before(k.from) {
				continue
			}
			kctx, cancel := context.WithCancel(ctx)
			d := &flaky{texts: w.texts}
			d.ok.Store(1)
			if k.cancel {
				d.cancel = cancel
			}
			out := *w.out
			out.Texts, out.Mail = d, d
			killed := &scheduler.Day{Store: st, Rules: rules, Messages: &scheduler.Channels{Out: &out}}
			_, err := killed.Run(kctx, at)
			cancel()
			busy = true
			// Died with messages left to send, or right after one went.
			k.done = err != nil && (d.ok.Load() < 0 || k.cancel && d.ok.Load() == 0)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		run := func(name string, f func() error) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := f(); err != nil {
					mu.Lock()
					runErrs = append(runErrs, fmt.Errorf("%s at %s: %w", name, at.In(shanghai).Format("Mon 15:04"), err))
					mu.Unlock()
				}
			}()
		}
		var worked atomic.Bool
		run("time-limit sweep", func() error {
			s, err := sweep.Run(ctx, at)
			worked.CompareAndSwap(false, err != nil || s.Escalated+s.Reminded+s.Resolved > 0)
			return err
		})
		days := []*scheduler.Day{day}
		if overlapping(at) {
			days = append(days, second)
		}
		for _, d := range days {
			run("day sweep", func() error {
				s, err := d.Run(ctx, at)
				worked.CompareAndSwap(false, err != nil || s.AgentsReminded+s.Missed+s.CustomersReminded+s.Tried+
					s.Surveyed+s.Unreachable+s.NotSurveyed+s.Unanswered > 0)
				return err
			})
		}
		wg.Wait()
		if !busy && !worked.Load() {
			quietTill = w.quietUntil(ctx, at)
		}
		// Customers answer their survey an hour or so after it came.
		for _, s := range w.texts.since(scanned) {
			scanned++
			c := w.byRef[ticket.Ref(refRE.FindString(s.body))]
			if c == nil || s.mail || c.score == 0 {
				continue
			}
			if k, _ := classify(c, s.body); k != sentSurvey {
				continue
			}
			w.later(s.at.Add(time.Hour+time.Duration(c.i%7)*10*time.Minute), func(at time.Time) {
				text := fmt.Sprint(c.score)
				if c.comment != "" {
					text += " " + c.comment
				}
				out, err := w.sms.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("answer-%d", c.i), From: s.to, Body: text, ReplyTo: s.providerID, At: at}, false)
				if err != nil {
					t.Fatalf("customer %d answers: %v", c.i, err)
				}
				if out.Created || out.Ticket == nil || out.Ticket.ID != c.id || out.Survey != c.score {
					t.Errorf("customer %d answered %d: went to %+v, want their ticket %s", c.i, c.score, out, c.ref)
				}
				c.answered = at
			})
		}
	}
	ticked := time.Since(began) - setUp
	for _, err := range runErrs {
		t.Error(err)
	}
	for i, k := range kills {
		if !k.done {
			t.Errorf("kill %d: no day sweep died with work left", i)
		}
	}

	// What each customer was sent, counted from the senders.
	type got struct {
		reminders []int // per attempt
		tried     int
		surveys   []sentText
	}
	sent := map[*customer]*got{}
	for _, c := range cs {
		sent[c] = &got{reminders: make([]int, len(c.attempts))}
	}
	for _, s := range w.texts.since(0) {
		c := w.byRef[ticket.Ref(refRE.FindString(s.body))]
		if c == nil {
			continue
		}
		k, n := classify(c, s.body)
		g := sent[c]
		switch k {
		case sentReminder:
			g.reminders[n]++
		case sentTried:
			g.tried++
		case sentSurvey:
			g.surveys = append(g.surveys, s)
		default:
			continue
		}
		if c.optOut && !s.mail {
			t.Errorf("customer %d opted out and was sent %q", c.i, s.body)
		}
		if quiet(c, s.at) {
			t.Errorf("customer %d was sent %q at %s their time, inside quiet hours", c.i, s.body, s.at.In(c.zone).Format("Mon 15:04"))
		}
		if want := c.phone == "" || c.channel == ticket.Email; s.mail != want {
			t.Errorf("customer %d was sent %q by mail %v, want %v", c.i, s.body, s.mail, want)
		}
	}

	var tally struct{ attempts, reminded, missed, gaveUp, visits, surveyed, answered, reopened, notVisitable, recent int }
	surveyedPair := 0
	for _, c := range cs {
		g := sent[c]
		cur, err := st.View(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		ev := map[ticket.EventType]int{}
		escalatedFor := map[string]int{}
		for _, e := range cur.History {
			ev[e.Type]++
			if e.Type == ticket.EventEscalated {
				switch {
				case strings.Contains(e.Detail, "callback missed"):
					escalatedFor["callback"]++
				case strings.Contains(e.Detail, "survey score"):
					escalatedFor["survey"]++
				}
			}
		}
		// Callbacks: each attempt reminded once to the agent and once to
		// the customer (recorded, and sent unless they opted out).
		tally.attempts += len(c.attempts)
		gaveUp := len(c.outcomes) == 3
		missed := c.callback && len(c.outcomes) == 0
		wantReminded := len(c.attempts)
		if gaveUp {
			wantReminded++
			tally.gaveUp++
		}
		if ev[ticket.EventCallbackDue] != len(c.attempts) || ev[ticket.EventCallbackReminded] != wantReminded {
			t.Errorf("customer %d: %d attempts: agent reminded %d times, customer %d; want %d and %d",
				c.i, len(c.attempts), ev[ticket.EventCallbackDue], ev[ticket.EventCallbackReminded], len(c.attempts), wantReminded)
		}
		for k, n := range g.reminders {
			want := 1
			if c.optOut {
				want = 0
			}
			tally.reminded += n
			if n != want {
				t.Errorf("customer %d: attempt %d (%s) reminded %d times, want %d", c.i, k+1, c.attempts[k].start.In(c.zone).Format("Mon 15:04"), n, want)
			}
		}
		wantTried := 0
		if gaveUp && !c.optOut {
			wantTried = 1
		}
		if g.tried != wantTried {
			t.Errorf("customer %d: told %d times we tried (gave up: %v)", c.i, g.tried, gaveUp)
		}
		wantMissed := 0
		if missed {
			wantMissed = 1
			tally.missed++
		}
		if ev[ticket.EventCallbackMissed] != wantMissed || escalatedFor["callback"] != wantMissed {
			t.Errorf("customer %d: missed %d, escalated for it %d; want %d", c.i, ev[ticket.EventCallbackMissed], escalatedFor["callback"], wantMissed)
		}
		if wantAttempts := max(len(c.outcomes), 1); c.callback && len(c.attempts) != wantAttempts {
			t.Errorf("customer %d: %d attempts booked, want %d", c.i, len(c.attempts), wantAttempts)
		}

		// Return visits: every resolved repair and complaint has one.
		if !c.resolves {
			if cur.Visit != nil || len(g.surveys) > 0 {
				t.Errorf("customer %d: a %s never resolved has visit %+v and %d surveys", c.i, c.kind, cur.Visit, len(g.surveys))
			}
			continue
		}
		if c.resolved.IsZero() {
			t.Errorf("customer %d: never resolved", c.i)
			continue
		}
		tally.visits++
		v := cur.Visit
		if v == nil {
			t.Errorf("customer %d: resolved %s with no return visit", c.i, c.resolved)
			continue
		}
		if len(g.surveys) > 1 || ev[ticket.EventSurveySent] > 1 {
			t.Errorf("customer %d: surveyed %d times (%d events), want at most once", c.i, len(g.surveys), ev[ticket.EventSurveySent])
		}
		if len(g.surveys) != ev[ticket.EventSurveySent] {
			t.Errorf("customer %d: %d surveys sent, %d recorded", c.i, len(g.surveys), ev[ticket.EventSurveySent])
		}
		switch {
		case c.optOut && c.channel != ticket.Email:
			tally.notVisitable++
			if v.Status != ticket.VisitNotVisitable || len(g.surveys) != 0 {
				t.Errorf("customer %d opted out: visit %s, %d surveys; want counted not visitable", c.i, v.Status, len(g.surveys))
			}
			continue
		case c.i >= 198:
			if v.Status == ticket.VisitRecent {
				tally.recent++
				if len(g.surveys) != 0 {
					t.Errorf("customer %d: recently surveyed yet sent %d surveys", c.i, len(g.surveys))
				}
				continue
			}
			surveyedPair++
		}
		if v.Status == ticket.VisitDue {
			// Due after the week: nothing lost so far.
			if v.Due.Before(weekEnd.Add(-5*time.Minute)) || len(g.surveys) != 0 {
				t.Errorf("customer %d: visit still due at %s (resolved %s), %d surveys", c.i, v.Due, c.resolved, len(g.surveys))
			}
			continue
		}
		if len(g.surveys) != 1 {
			t.Errorf("customer %d: visit %s with %d surveys sent, want 1", c.i, v.Status, len(g.surveys))
			continue
		}
		tally.surveyed++
		s := g.surveys[0]
		if d := s.at.Sub(c.resolved); d < 16*time.Hour {
			t.Errorf("customer %d: surveyed %s after resolution, want a business day", c.i, d)
		}
		switch {
		case !c.answered.IsZero():
			tally.answered++
			if v.Status != ticket.VisitAnswered || v.Score != c.score || v.Comment != c.comment {
				t.Errorf("customer %d answered %d %q: visit %s score %d comment %q", c.i, c.score, c.comment, v.Status, v.Score, v.Comment)
			}
			low := c.score <= 2
			if low {
				tally.reopened++
			}
			if low != (cur.Status == ticket.Reopened) || low != (escalatedFor["survey"] == 1) || escalatedFor["survey"] > 1 {
				t.Errorf("customer %d scored %d: status %s, escalated for it %d times", c.i, c.score, cur.Status, escalatedFor["survey"])
			}
		case s.at.Add(72 * time.Hour).Before(weekEnd.Add(-5 * time.Minute)):
			if v.Status != ticket.VisitUnanswered || ev[ticket.EventVisitClosed] != 1 {
				t.Errorf("customer %d never answered: visit %s, closed %d times; want unanswered once", c.i, v.Status, ev[ticket.EventVisitClosed])
			}
		default:
			if v.Status != ticket.VisitSent {
				t.Errorf("customer %d: survey sent %s, visit %s; want waiting for the answer", c.i, s.at, v.Status)
			}
		}
		if v.Score != 0 && c.answered.IsZero() {
			t.Errorf("customer %d never answered, yet the visit has score %d", c.i, v.Score)
		}
	}
	if surveyedPair != 1 || tally.recent != 1 {
		t.Errorf("one customer's two tickets: %d surveyed, %d recently surveyed; want 1 and 1", surveyedPair, tally.recent)
	}

	// The planner listed each morning exactly the callbacks booked for
	// that day by then, and read no more.
	for date, want := range wantRefs {
		gotRefs := plannedRefs[date]
		slices.Sort(want)
		slices.Sort(gotRefs)
		if !slices.Equal(gotRefs, want) || plans[date].Read != len(want) {
			t.Errorf("worklists for %s: %d callbacks (read %d), want %d", date, len(gotRefs), plans[date].Read, len(want))
		}
	}
	if len(plans) != 7 {
		t.Errorf("planner ran on %d days, want 7", len(plans))
	}
	t.Logf("set up in %s, ticked through the week in %s: %d ticks run, %d quiet ones skipped", setUp.Round(time.Second), ticked.Round(time.Second), ran, skipped)
	t.Logf("week: %d customers, %d callback attempts (%d reminders sent, %d missed, %d gave up), %d visits (%d surveyed, %d answered, %d reopened, %d not visitable, %d recently surveyed), %d messages sent",
		len(cs), tally.attempts, tally.reminded, tally.missed, tally.gaveUp, tally.visits, tally.surveyed, tally.answered, tally.reopened, tally.notVisitable, tally.recent, len(w.texts.since(0)))
	// The counts that make the week worth running.
	if tally.attempts < 60 || tally.missed < 5 || tally.gaveUp < 3 || tally.surveyed < 60 || tally.answered < 20 || tally.reopened < 5 || tally.notVisitable < 3 {
		t.Errorf("the week exercised too little: %+v", tally)
	}
}
