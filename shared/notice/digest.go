package notice

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// Events of notices that are about a day rather than one ticket. They
// carry the same version, id, event and at fields as a ticket notice and
// the event attribute, so subscriptions filter them alike.
const (
	// EventWorklist is a queue's callback worklist for a business day,
	// published by the overnight planner before the morning shift.
	EventWorklist ticket.EventType = "callback_worklist"
	// EventDailyDigest is the previous business day's numbers against
	// the targets.
	EventDailyDigest ticket.EventType = "daily_digest"
)

// Worklist is one owner queue's callbacks for one business day. Like
// every notice it carries only what Frontdesk wrote: references, kinds,
// priorities and windows, never a phone number or a word the customer
// wrote.
type Worklist struct {
	Version int `json:"version"`
	// ID is the same for the same queue and day: "callback_worklist#<queue>#<date>".
	ID    string           `json:"id"`
	Event ticket.EventType `json:"event"`
	At    time.Time        `json:"at"`
	Owner string           `json:"owner"`
	// Date is the business day (YYYY-MM-DD, business time zone).
	Date      string     `json:"date"`
	Callbacks []WorkItem `json:"callbacks"`
	Targets   []string   `json:"targets"`
}

// WorkItem is one callback on a worklist.
type WorkItem struct {
	Ref      ticket.Ref  `json:"ref"`
	TicketID ticket.ID   `json:"ticketId"`
	Kind     ticket.Kind `json:"kind"`
	Priority string      `json:"priority"`
	// Start is when the callback window opens.
	Start time.Time `json:"start"`
	Link  string    `json:"link,omitempty"`
}

// WorklistID names the worklist of queue on date.
func WorklistID(queue, date string) string {
	return string(EventWorklist) + "#" + queue + "#" + date
}

// Worklist makes queue's worklist for date from its callbacks (the due
// index's entries), linking each to the console.
func (b Builder) Worklist(queue, date string, at time.Time, due []dynamo.Due) Worklist {
	w := Worklist{
		Version: Version, ID: WorklistID(queue, date), Event: EventWorklist, At: at.UTC(),
		Owner: queue, Date: date, Callbacks: make([]WorkItem, 0, len(due)), Targets: []string{"owner:" + queue},
	}
	for _, d := range due {
		w.Callbacks = append(w.Callbacks, WorkItem{Ref: d.Ref, TicketID: d.TicketID, Kind: d.Type,
			Priority: d.Priority.String(), Start: d.At.UTC(), Link: b.link(d.Ref, d.TicketID)})
	}
	return w
}

func (b Builder) link(ref ticket.Ref, id ticket.ID) string {
	if b.Link == "" {
		return ""
	}
	return strings.NewReplacer("{ref}", url.PathEscape(string(ref)), "{id}", url.PathEscape(string(id))).Replace(b.Link)
}

// Targets of the daily digest.
const (
	// TargetVisited is the share of return visits made, in percent.
	TargetVisited = 100.0
	// TargetSatisfied is the share of answers scoring 4–5, in percent.
	TargetSatisfied = 98.0
)

// Digest is the daily digest to managers: the staff API's daily report of
// the day, its follow-ups, and the return-visit shares against the
// targets. Counts only: no ticket is named.
type Digest struct {
	Version   int              `json:"version"`
	ID        string           `json:"id"`
	Event     ticket.EventType `json:"event"`
	At        time.Time        `json:"at"`
	Date      string           `json:"date"`
	Report    dynamo.Daily     `json:"report"`
	FollowUps dynamo.FollowUps `json:"followUps"`
	// Visited is the share of the day's due return visits that were
	// made: surveys sent / (sent + not visitable + recently surveyed), in
	// percent; nil when none came due. Satisfied is answers scoring 4–5
	// / answers, in percent; nil when none came in.
	Visited         *float64 `json:"visitedPct"`
	VisitedTarget   float64  `json:"visitedTargetPct"`
	VisitedMet      bool     `json:"visitedTargetMet"`
	Satisfied       *float64 `json:"satisfiedPct"`
	SatisfiedTarget float64  `json:"satisfiedTargetPct"`
	SatisfiedMet    bool     `json:"satisfiedTargetMet"`
	Targets         []string `json:"targets"`
}

// DigestID names the digest of date.
func DigestID(date string) string { return string(EventDailyDigest) + "#" + date }

// NewDigest makes the digest of a day from its report and follow-ups. A
// target with nothing to measure counts as met.
func NewDigest(r dynamo.Daily, f dynamo.FollowUps, at time.Time) Digest {
	d := Digest{
		Version: Version, ID: DigestID(r.Date), Event: EventDailyDigest, At: at.UTC(), Date: r.Date,
		Report: r, FollowUps: f, VisitedTarget: TargetVisited, SatisfiedTarget: TargetSatisfied,
		Targets: []string{"managers"},
	}
	d.Visited = Percent(f.VisitsSent, f.VisitsSent+f.VisitsNotVisitable+f.VisitsRecent)
	d.Satisfied = Percent(f.VisitsSatisfied, f.VisitsAnswered)
	d.VisitedMet = d.Visited == nil || *d.Visited >= TargetVisited
	d.SatisfiedMet = d.Satisfied == nil || *d.Satisfied >= TargetSatisfied
	return d
}

// Percent is a of b in percent to one decimal, nil when b is 0.
func Percent(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	v := float64(int(1000*float64(a)/float64(b)+0.5)) / 10
	return &v
}

// Attributes of a worklist: its event and owner queue.
func (w Worklist) Attributes() map[string]Attribute {
	return map[string]Attribute{AttrEvent: {DataType: "String", Value: string(w.Event)}, AttrOwner: {DataType: "String", Value: w.Owner}}
}

// Attributes of a digest: its event.
func (d Digest) Attributes() map[string]Attribute {
	return map[string]Attribute{AttrEvent: {DataType: "String", Value: string(d.Event)}}
}

// Worklist publishes a worklist to the topic.
func (p *Publisher) Worklist(ctx context.Context, w Worklist) error {
	return p.one(ctx, w.ID, w, w.Attributes())
}

// Digest publishes a daily digest to the topic.
func (p *Publisher) Digest(ctx context.Context, d Digest) error {
	return p.one(ctx, d.ID, d, d.Attributes())
}

// one publishes one message with its own Publish call, retrying as
// Publish does.
func (p *Publisher) one(ctx context.Context, id string, body any, attrs map[string]Attribute) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode notice %s: %w", id, err)
	}
	in := &sns.PublishInput{TopicArn: aws.String(p.topic), Message: aws.String(string(b)),
		MessageAttributes: map[string]types.MessageAttributeValue{}}
	for k, a := range attrs {
		in.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String(a.DataType), StringValue: aws.String(a.Value)}
	}
	attempts, backoff := p.Attempts, p.Backoff
	if attempts <= 0 {
		attempts = 3
	}
	if backoff <= 0 {
		backoff = 100 * time.Millisecond
	}
	for attempt := 1; ; attempt++ {
		_, err = p.sns.Publish(ctx, in)
		if err == nil {
			return nil
		}
		if attempt >= attempts || ctx.Err() != nil {
			return fmt.Errorf("publish notice %s: %w", id, err)
		}
		if werr := wait.Sleep(ctx, backoff<<(attempt-1)); werr != nil {
			return fmt.Errorf("publish notice %s: %w", id, err)
		}
	}
}
