package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/env"
	"github.com/frontdesk/frontdesk/shared/notice"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/survey"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Jobs a scheduled payload names. A payload naming none runs the
// time-limit sweep (Job), as every payload did before there were others.
const (
	// AllJobs runs the time-limit sweep, the day sweep, and the planner
	// when the instant is at or after the planner's time of day (the
	// local stack's /_local/tick). The planner's publications are
	// claimed, so running it again the same day publishes nothing twice.
	AllJobs = "all"
)

// Handler runs the job a scheduled invocation names and returns what it
// did. EventBridge Scheduler's payload is the schedule's Input, e.g.
// {"job":"day"}; a payload naming no job runs the time-limit sweep. A
// payload {"at": "<RFC 3339>"} (the local stack's /_local/tick, or an
// operator's manual invoke) runs the job as of that instant instead of
// now. It returns the job's error so the platform retries.
type Handler func(ctx context.Context, payload json.RawMessage) (Result, error)

// Result says what an invocation did: one part per job run.
type Result struct {
	Job        string     `json:"job"`
	At         time.Time  `json:"at"`
	TimeLimits *Stats     `json:"timeLimits,omitempty"`
	Day        *DayStats  `json:"day,omitempty"`
	Planner    *PlanStats `json:"planner,omitempty"`
}

// request reads a scheduled payload: the job, and the instant it runs as
// of (zero: now).
func request(payload json.RawMessage) (job string, at time.Time, err error) {
	var p struct {
		Job string    `json:"job"`
		At  time.Time `json:"at"`
	}
	if len(payload) > 0 && payload[0] == '{' {
		if err := json.Unmarshal(payload, &p); err != nil {
			return "", time.Time{}, fmt.Errorf("scheduled payload: %w", err)
		}
	}
	switch p.Job {
	case "", Job, DayJob, PlannerJob, AllJobs:
	default:
		return "", time.Time{}, fmt.Errorf("scheduled payload: job %q is not %s, %s, %s or %s", p.Job, Job, DayJob, PlannerJob, AllJobs)
	}
	if p.Job == "" {
		p.Job = Job
	}
	return p.Job, p.At, nil
}

// Jobs are the scheduler's jobs over one store and set of clients.
type Jobs struct {
	Store *dynamo.Store
	Rules *ticket.Rules
	// Out sends to customers; each run uses a copy clocked at the run's
	// instant when the payload gives one.
	Out     *outbound.Service
	Ladder  ticket.Ladder
	Overlap time.Duration
	Zone    *time.Location
	Digests Digests
	Links   notice.Builder
	// PlannerAt is the planner's local time of day, in minutes after
	// midnight: AllJobs runs the planner from then on.
	PlannerAt int
	// SurveyLinks, when set, are the links the day sweep mails to
	// customers who gave only an email address (Day.SurveyLinks).
	SurveyLinks *survey.Links
}

// Run runs job as of at (now when zero).
func (j *Jobs) Run(ctx context.Context, job string, at time.Time) (Result, error) {
	out := j.Out
	if at.IsZero() {
		at = time.Now()
	} else if out != nil {
		clocked := *out
		clocked.Now = func() time.Time { return at }
		out = &clocked
	}
	res := Result{Job: job, At: at.UTC()}
	var reminder Reminder
	var messages Messages
	if out != nil {
		reminder = &desk.Channels{Out: out, Tickets: j.Store}
		messages = &Channels{Out: out}
	}
	// Every job runs even when one before it failed (a tick runs them
	// all); the errors are returned together.
	var errs []error
	if job == Job || job == AllJobs {
		s := &Sweep{Store: j.Store, Rules: j.Rules, Ladder: j.Ladder, Reminder: reminder, Overlap: j.Overlap}
		st, err := s.Run(ctx, at)
		res.TimeLimits = &st
		errs = append(errs, err)
	}
	if job == DayJob || job == AllJobs {
		d := &Day{Store: j.Store, Rules: j.Rules, Messages: messages, Overlap: j.Overlap, SurveyLinks: j.SurveyLinks}
		st, err := d.Run(ctx, at)
		res.Day = &st
		errs = append(errs, err)
	}
	if job == PlannerJob || (job == AllJobs && j.plannerTime(at)) {
		p := &Planner{Store: j.Store, Zone: j.Zone, Calendar: j.Rules.Calendar, Digests: j.Digests, Links: j.Links}
		st, err := p.Run(ctx, at)
		res.Planner = &st
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// plannerTime reports whether at is at or after the planner's time of
// day in the business's zone.
func (j *Jobs) plannerTime(at time.Time) bool {
	l := at.In(j.Zone)
	return l.Hour()*60+l.Minute() >= j.PlannerAt
}

// DefaultPlannerTime is when the overnight planner runs, business time.
const DefaultPlannerTime = "02:00"

// clockMinutes reads "HH:MM" as minutes after midnight.
func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day like 02:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// publicURL checks the web form's public base URL: http(s), a host, no
// query or fragment (the survey links are its path plus /survey/<token>).
func publicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		return fmt.Errorf("%q is not a base URL such as https://contact.example.com", s)
	}
	return nil
}

// FromEnv builds the scheduler the environment describes, reading every
// variable through the env reader and reporting every problem at once:
// TABLE_NAME, BUSINESS_TIME_ZONE, RULES_FILE with the callback and
// return-visit policy (env.Reader.FollowUps: QUIET_HOURS,
// CALLBACK_AGENT_LEAD, CALLBACK_RETRY_AFTER, CALLBACK_ATTEMPTS,
// SURVEY_DELAY, SURVEY_ANSWER_WITHIN, SURVEY_EVERY),
// ESCALATE_MANAGER_AFTER (the further delay before a breach reaches the
// senior manager, 4h by default), SWEEP_OVERLAP (15m), WAIT_ON_CUSTOMER
// ("3bd"), PLANNER_TIME (the planner's business time of day, 02:00),
// TOPIC_ARN (the notices topic worklists and digests go to), TICKET_LINK
// (the console link template, optional), PUBLIC_URL (the web form's
// public base URL, under which the survey links mailed to customers are
// served), and what messages to customers need (MAIL_FROM,
// REPLY_TOKEN_SECRET or REPLY_TOKEN_KEYS, which also sign the survey
// links, SMS_ORIGINATION_NUMBER, SMS_SENDER_ID).
func FromEnv(ctx context.Context, getenv func(string) string) (Handler, error) {
	e := env.New(getenv)
	zone := e.Zone("BUSINESS_TIME_ZONE")
	rules := e.Rules("RULES_FILE", zone)
	ladder := ticket.Ladder{ManagerAfter: e.Duration("ESCALATE_MANAGER_AFTER", ticket.DefaultManagerAfter)}
	overlap := e.Duration("SWEEP_OVERLAP", DefaultOverlap)
	wait := e.Span("WAIT_ON_CUSTOMER")
	plannerAt, err := clockMinutes(e.Optional("PLANNER_TIME", DefaultPlannerTime))
	if err != nil {
		e.Fail("PLANNER_TIME", "%v", err)
	}
	topic := e.String("TOPIC_ARN")
	links, err := notice.NewBuilder(e.Optional("TICKET_LINK", ""))
	if err != nil {
		e.Fail("TICKET_LINK", "%v", err)
	}
	public := e.String("PUBLIC_URL")
	if err := publicURL(public); public != "" && err != nil {
		e.Fail("PUBLIC_URL", "%v", err)
	}
	ch := desk.ReadChannels(e)
	awsCfg := e.AWS()
	if err := e.Err(); err != nil {
		return nil, err
	}
	rules.Wait = wait
	ch.Quiet = rules.CallbackPolicy().Quiet
	store, channels, err := ch.Build(ctx, awsCfg, zone)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	out, ok := channels.Out.(*outbound.Service)
	if !ok {
		return nil, fmt.Errorf("scheduler: messages to customers go through %T, not the outbound service", channels.Out)
	}
	pub := notice.NewPublisher(sns.NewFromConfig(awsCfg, func(o *sns.Options) { o.BaseEndpoint = ch.SNS }), topic)
	// The survey links are signed with the reply tokens' keys as fetched
	// (the web form checks them with the same keys).
	j := &Jobs{Store: store, Rules: rules, Out: out, Ladder: ladder, Overlap: overlap, Zone: zone,
		Digests: pub, Links: links, PlannerAt: plannerAt,
		SurveyLinks: &survey.Links{Base: public, Signer: survey.Signer{Keys: ch.Mail.Keys}}}
	return func(ctx context.Context, payload json.RawMessage) (Result, error) {
		job, at, err := request(payload)
		if err != nil {
			return Result{}, err
		}
		return j.Run(ctx, job, at)
	}, nil
}
