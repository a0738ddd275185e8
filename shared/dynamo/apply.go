package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// marshalTicket encodes the ticket without its messages and history.
func marshalTicket(t *ticket.Ticket) (item, error) {
	head := *t
	head.Messages, head.History = nil, nil
	av, err := attributevalue.MarshalMapWithOptions(head, jsonTags)
	if err != nil {
		return nil, fmt.Errorf("encode ticket %s: %w", t.ID, err)
	}
	return av, nil
}

// Apply writes c atomically in one TransactWriteItems call: the ticket,
// its new messages and events (each carrying a snapshot of the ticket for
// the notifier), its contact links and due entries, the source claim and
// the rate counters.
func (st *Store) Apply(ctx context.Context, c ticket.Change) error {
	return st.ApplyAll(ctx, c)
}

// role says what a transaction item is for, to explain its failure.
type role struct {
	kind   string
	change int
	limit  ticket.RateLimit
}

// ApplyAll writes several changes (to different tickets: a merge) in one
// TransactWriteItems call: all of them or none.
func (st *Store) ApplyAll(ctx context.Context, cs ...ticket.Change) error {
	now := st.now()
	var ops []types.TransactWriteItem
	var roles []role
	for i, c := range cs {
		add := func(r role, op types.TransactWriteItem) {
			r.change = i
			ops = append(ops, op)
			roles = append(roles, r)
		}
		if err := st.build(c, now, add); err != nil {
			return err
		}
	}
	for _, op := range st.tallies(cs) {
		ops = append(ops, op)
		roles = append(roles, role{kind: "tally"})
	}
	if len(ops) > maxTransactItems {
		return fmt.Errorf("write ticket %s: %d items: %w", cs[0].Ticket.Ref, len(ops), ErrTooBig)
	}
	return st.send(ctx, cs, ops, roles, now)
}

// build adds the items of one change to a transaction.
func (st *Store) build(c ticket.Change, now time.Time, add func(role, types.TransactWriteItem)) error {
	t := c.Ticket
	head, err := marshalTicket(t)
	if err != nil {
		return err
	}

	// The ticket itself: new, or still at the version it was read at.
	ticketItem := keyOf(ticketPK(t.ID), skTicket)
	for k, v := range head {
		ticketItem[k] = v
	}
	ticketItem[attrLPK] = s(pDay + t.CreatedAt.UTC().Format(time.DateOnly))
	ticketItem[attrLSK] = s(string(t.ID))
	deskKeys(t, ticketItem)
	put := &types.Put{TableName: &st.table, Item: ticketItem}
	if c.Create {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		put.ConditionExpression = aws.String("version = :prev")
		put.ExpressionAttributeValues = item{":prev": n(int64(c.PrevVersion))}
	}
	add(role{kind: "ticket"}, types.TransactWriteItem{Put: put})

	if c.Create {
		add(role{kind: "ref"}, types.TransactWriteItem{Put: &types.Put{
			TableName: &st.table,
			Item: merge(keyOf(refPK(t.Ref), skClaim), item{
				"ticketId": s(string(t.ID)),
			}),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}})
	}

	firstMsg := ""
	for _, m := range c.Messages {
		av, err := attributevalue.MarshalMapWithOptions(m, jsonTags)
		if err != nil {
			return fmt.Errorf("encode message %s: %w", m.ID, err)
		}
		if firstMsg == "" {
			firstMsg = m.ID
		}
		add(role{kind: "message"}, types.TransactWriteItem{Put: &types.Put{
			TableName: &st.table,
			Item:      merge(keyOf(ticketPK(t.ID), skMsg+stamp(m.At)+"#"+m.ID), av, item{"ticketId": s(string(t.ID))}),
		}})
		if m.Direction == ticket.Outbound && m.SourceID != "" {
			// Replies quote the provider's ID of what we sent; this finds
			// the ticket from it.
			add(role{kind: "sent"}, types.TransactWriteItem{Put: &types.Put{
				TableName: &st.table,
				Item: merge(keyOf(sentPK(m.Channel, m.SourceID), skClaim), item{
					"ticketId": s(string(t.ID)), "messageId": s(m.ID), "at": s(stamp(m.At)),
				}),
			}})
		}
	}
	for _, e := range c.Events {
		av, err := attributevalue.MarshalMapWithOptions(e, jsonTags)
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.ID, err)
		}
		add(role{kind: "event"}, types.TransactWriteItem{Put: &types.Put{
			TableName:           &st.table,
			Item:                merge(keyOf(ticketPK(t.ID), skEvent+stamp(e.At)+"#"+e.ID), av, item{"ticket": &types.AttributeValueMemberM{Value: head}}),
			ConditionExpression: aws.String("attribute_not_exists(PK)"), // history is never rewritten
		}})
	}
	for _, op := range st.links(t, head) {
		add(role{kind: "link"}, op)
	}
	for _, op := range st.dues(c) {
		add(role{kind: "due"}, op)
	}
	if c.Create && !c.AckAt.IsZero() {
		// Nobody can hold the slot of a ticket that does not exist yet:
		// the write takes it without a condition, in the name of the
		// inbound message, so that a redelivery of it (this write timed
		// out for the caller but was made) finds the slot its own.
		claim := string(ticket.NewID(c.AckAt))
		if c.Source != nil {
			claim = AckClaim(*c.Source)
		}
		add(role{kind: "ackgate"}, types.TransactWriteItem{Put: &types.Put{
			TableName: &st.table,
			Item: merge(keyOf(ticketPK(t.ID), skAckGate), item{
				"lastAck": s(stamp(c.AckAt)), "ackId": s(claim),
			}),
		}})
	}
	if c.Request != nil {
		add(role{kind: "request"}, st.answerPut(*c.Request))
	}
	if c.Source != nil {
		add(role{kind: "source"}, types.TransactWriteItem{Put: &types.Put{
			TableName: &st.table,
			Item: merge(keyOf(sourcePK(*c.Source), skClaim), item{
				"ticketId":  s(string(t.ID)),
				"messageId": s(firstMsg),
				attrTTL:     n(now.Add(st.SourceTTL).Unix()),
			}),
			ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	for _, l := range c.Limits {
		window := l.Start(now)
		cond := "attribute_not_exists(hits) OR hits < :max"
		values := item{
			":one": n(1), ":max": n(int64(l.Max)),
			":ttl": n(window.Add(2 * l.Window).Unix()),
			":id":  s(string(t.ID)),
		}
		if l.Takeover != "" {
			cond += " OR ticketId = :holder"
			values[":holder"] = s(string(l.Takeover))
		}
		// The counter remembers the last ticket it counted, so whoever is
		// turned away learns which ticket took the place.
		add(role{kind: "limit", limit: l}, types.TransactWriteItem{Update: &types.Update{
			TableName:           &st.table,
			Key:                 keyOf(ratePK(l.Key, window), skClaim),
			UpdateExpression:    aws.String("ADD hits :one SET #ttl = :ttl, ticketId = :id"),
			ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: map[string]string{
				"#ttl": attrTTL,
			},
			ExpressionAttributeValues:           values,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}

	return nil
}

// send runs the transaction, retrying it while other transactions hold
// its items, and explains a failed condition.
func (st *Store) send(ctx context.Context, cs []ticket.Change, ops []types.TransactWriteItem, roles []role, now time.Time) error {
	t := cs[0].Ticket
	in := &dynamodb.TransactWriteItemsInput{
		TransactItems: ops,
		// The SDK retries a call whose answer was lost with the same input;
		// the token, fresh for every Apply, makes such a retry a no-op
		// instead of a false duplicate.
		ClientRequestToken: aws.String(string(ticket.NewID(now))),
	}
	for attempt := 0; ; attempt++ {
		_, err := st.db.TransactWriteItems(ctx, in)
		if err == nil {
			return nil
		}
		var canceled *types.TransactionCanceledException
		if !errors.As(err, &canceled) {
			return fmt.Errorf("write ticket %s: %w", t.Ref, err)
		}
		conflict := false
		for i, r := range canceled.CancellationReasons {
			code := aws.ToString(r.Code)
			if i >= len(roles) || code == "None" || code == "" {
				continue
			}
			if code == "TransactionConflict" {
				conflict = true
				continue
			}
			if code != "ConditionalCheckFailed" {
				continue
			}
			c := cs[roles[i].change]
			switch roles[i].kind {
			case "source":
				return st.duplicate(ctx, *c.Source, r.Item)
			case "limit":
				l := roles[i].limit
				holder, _ := r.Item["ticketId"].(*types.AttributeValueMemberS)
				e := &ticket.LimitError{Key: l.Key, RetryAfter: l.Start(now).Add(l.Window).Sub(now)}
				if holder != nil {
					e.Holder = ticket.ID(holder.Value)
				}
				return e
			case "ref":
				return ticket.ErrRefTaken
			case "request":
				return ticket.ErrAnswered
			case "ticket":
				if c.Create {
					return fmt.Errorf("write ticket %s: id %s already used", c.Ticket.Ref, c.Ticket.ID)
				}
				return ticket.ErrConflict
			default:
				return fmt.Errorf("write ticket %s: %s item already exists", t.Ref, roles[i].kind)
			}
		}
		if !conflict || attempt >= 10 {
			return fmt.Errorf("write ticket %s: %w", t.Ref, err)
		}
		// Another transaction holds one of our items (a concurrent duplicate
		// delivery, say): wait a little and try again; the winner's claim
		// then shows up as a condition failure.
		if err := wait.Sleep(ctx, time.Duration(5+rand.IntN(20*(attempt+1)))*time.Millisecond); err != nil {
			return err
		}
		in.ClientRequestToken = aws.String(string(ticket.NewID(now)))
	}
}

// releaseContext returns a context for a release: ctx's values without its
// cancellation, bounded by releaseTimeout.
func releaseContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
}

func merge(items ...item) item {
	out := item{}
	for _, it := range items {
		for k, v := range it {
			out[k] = v
		}
	}
	return out
}

// duplicate turns a failed source claim into a *DuplicateError naming the
// ticket the source made first.
func (st *Store) duplicate(ctx context.Context, src ticket.Source, old item) error {
	if old == nil {
		out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: &st.table, ConsistentRead: aws.Bool(true),
			Key: keyOf(sourcePK(src), skClaim),
		})
		if err != nil {
			return fmt.Errorf("read source claim %s: %w", src, err)
		}
		old = out.Item
	}
	var claim struct {
		TicketID  string `dynamodbav:"ticketId"`
		MessageID string `dynamodbav:"messageId"`
	}
	if err := attributevalue.UnmarshalMap(old, &claim); err != nil || claim.TicketID == "" {
		return fmt.Errorf("read source claim %s: no ticket in it", src)
	}
	return &ticket.DuplicateError{Source: src, TicketID: ticket.ID(claim.TicketID), MessageID: claim.MessageID}
}

// links keeps one item per contact detail of the ticket. While the ticket
// is open the item sits in ContactIndex under the hashed contact, sorted
// by last update, so OpenForContact is one query.
func (st *Store) links(t *ticket.Ticket, head item) []types.TransactWriteItem {
	var ops []types.TransactWriteItem
	for _, l := range []struct{ kind, value string }{{"phone", t.Contact.Phone}, {"email", t.Contact.Email}} {
		if l.value == "" {
			continue
		}
		it := merge(keyOf(ticketPK(t.ID), skLink+l.kind), item{"ticket": &types.AttributeValueMemberM{Value: head}})
		if t.Status.Open() {
			it[attrCPK] = s(ContactKey(l.kind, l.value))
			it[attrCSK] = s(stamp(t.UpdatedAt) + "#" + string(t.ID))
		}
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{TableName: &st.table, Item: it}})
	}
	return ops
}

// dueAt returns when the ticket's due entry of kind falls due, or false
// when the ticket has none of that kind in its current state.
func dueAt(t *ticket.Ticket, kind string) (time.Time, bool) {
	switch kind {
	case DueAck:
		// Met (acknowledged or answered) or moot: the entry leaves.
		return t.AckDue()
	case DueResolve:
		// Suspended while the ticket waits; back, moved by the time
		// waited, when it resumes.
		return t.ResolveDue()
	case DueEscalate:
		return t.EscalateAt, t.Status.Open() && !t.EscalateAt.IsZero()
	case DueWait:
		return t.WaitDue()
	case DueCallback:
		return t.CallbackDue()
	case DueCallbackAgent:
		return t.AgentDue()
	case DueCallbackMissed:
		return t.MissedDue()
	case DueCallbackCustomer:
		return t.CustomerDue()
	case DueVisit:
		return t.VisitDue()
	}
	return time.Time{}, false
}

// dues writes the ticket's due entries as its state now implies and
// removes the ones that no longer apply. With the previous state known,
// only the entries that changed are written.
func (st *Store) dues(c ticket.Change) []types.TransactWriteItem {
	t := c.Ticket
	var ops []types.TransactWriteItem
	for _, kind := range DueKinds {
		at, on := dueAt(t, kind)
		if c.Prev != nil {
			wasAt, was := dueAt(c.Prev, kind)
			if was == on && wasAt.Equal(at) && c.Prev.Ref == t.Ref && c.Prev.Owner == t.Owner &&
				c.Prev.Priority == t.Priority && c.Prev.Kind == t.Kind {
				continue
			}
		}
		key := keyOf(ticketPK(t.ID), skDue+kind)
		if !on {
			if !c.Create {
				ops = append(ops, types.TransactWriteItem{Delete: &types.Delete{TableName: &st.table, Key: key}})
			}
			continue
		}
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{TableName: &st.table, Item: merge(key, item{
			attrDPK:    s(dueBucket(kind, at)),
			attrDSK:    s(stamp(at) + "#" + string(t.ID)),
			"due":      s(kind),
			"at":       s(stamp(at)),
			"ticketId": s(string(t.ID)),
			"ref":      s(string(t.Ref)),
			"kind":     s(string(t.Kind)),
			"priority": n(int64(t.Priority)),
			"owner":    s(t.Owner),
		})}})
	}
	return ops
}

// maxTransactItems is DynamoDB's limit on items in one transaction.
const maxTransactItems = 100

// ErrTooBig: a change needs more items than one transaction holds.
var ErrTooBig = errors.New("change too big for one transaction")

// releaseTimeout bounds giving a claim back. A release runs even when the
// request that took the claim was cancelled or timed out: a claim left
// behind would keep the reply from ever going out.
const releaseTimeout = 3 * time.Second
