package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// Key parts of the SMS channel's items.
const (
	pOptOut   = "OPTOUT#"
	pSend     = "SEND#"
	pOutbox   = "OUTBOX#"
	skState   = "STATE"
	skAckGate = "ACKGATE"
)

func optOutPK(phone string) string {
	return pOptOut + strings.TrimPrefix(ContactKey("phone", phone), pContact+"phone#")
}

// OptedOut reports whether phone (E.164) has opted out of texts. A number
// never seen has not.
func (st *Store) OptedOut(ctx context.Context, phone string) (bool, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(optOutPK(phone), skState), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, fmt.Errorf("read opt-out: %w", err)
	}
	v, ok := out.Item["optedOut"].(*types.AttributeValueMemberBOOL)
	return ok && v.Value, nil
}

// SetOptOut records that phone opted out (or back in) at at, and reports
// whether it did. Keywords can arrive out of order: a record newer than at
// is kept, so a late STOP never undoes a later START, and the caller learns
// that it was overtaken. Setting the same state twice (a redelivery, the
// SDK resending a write whose answer was lost) applies again.
func (st *Store) SetOptOut(ctx context.Context, phone string, optedOut bool, at time.Time) (bool, error) {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &st.table,
		Key:                 keyOf(optOutPK(phone), skState),
		UpdateExpression:    aws.String("SET optedOut = :v, #at = :at"),
		ConditionExpression: aws.String("attribute_not_exists(#at) OR #at <= :at"),
		ExpressionAttributeNames: map[string]string{
			"#at": "at",
		},
		ExpressionAttributeValues: item{
			":v":  &types.AttributeValueMemberBOOL{Value: optedOut},
			":at": s(stamp(at)),
		},
	})
	var older *types.ConditionalCheckFailedException
	if errors.As(err, &older) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record opt-out: %w", err)
	}
	return true, nil
}

func sendKey(key string) item {
	// The key is the caller's, and may hold anything: its hash names the
	// item.
	return keyOf(pSend+KeyPart(key), skClaim)
}

// ClaimSend takes an idempotency key for a message to a customer (an
// inbound keyword's answer, a reminder, a survey) so that it is sent once:
// it reports false when key was claimed before. A claim is kept as long as
// a source claim.
func (st *Store) ClaimSend(ctx context.Context, key string) (bool, error) {
	now := st.now()
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &st.table,
		Key:              sendKey(key),
		UpdateExpression: aws.String("SET claimed = :now, claimId = :claim, #ttl = :ttl"),
		// A claim that names this call is its own: the SDK resent a write
		// whose answer was lost.
		ConditionExpression: aws.String("attribute_not_exists(claimed) OR claimId = :claim"),
		ExpressionAttributeNames: map[string]string{
			"#ttl": attrTTL,
		},
		ExpressionAttributeValues: item{
			":now": s(stamp(now)), ":claim": s(string(ticket.NewID(now))),
			":ttl": n(now.Add(st.SourceTTL).Unix()),
		},
	})
	var taken *types.ConditionalCheckFailedException
	if errors.As(err, &taken) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim message key: %w", err)
	}
	return true, nil
}

// ReleaseSend drops a claim whose message could not be sent, so that the
// retry sends it. It runs even when ctx is cancelled.
func (st *Store) ReleaseSend(ctx context.Context, key string) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: sendKey(key), UpdateExpression: aws.String("REMOVE claimed, claimId"),
	})
	if err != nil {
		return fmt.Errorf("release message key: %w", err)
	}
	return nil
}

// SMSState is what an inbound text needs to know before anything is
// written: the ticket its source already went to ("" when none) and
// whether the sender's number opted out. One BatchGetItem, both reads
// strongly consistent.
func (st *Store) SMSState(ctx context.Context, src ticket.Source, phone string) (ticket.ID, bool, error) {
	srcKey, optKey := keyOf(sourcePK(src), skClaim), keyOf(optOutPK(phone), skState)
	in := &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		st.table: {Keys: []item{srcKey, optKey}, ConsistentRead: aws.Bool(true)},
	}}
	var id ticket.ID
	optedOut := false
	for try := 0; ; try++ {
		out, err := st.db.BatchGetItem(ctx, in)
		if err != nil {
			return "", false, fmt.Errorf("read sms state of %s: %w", src, err)
		}
		for _, it := range out.Responses[st.table] {
			pk, _ := it[attrPK].(*types.AttributeValueMemberS)
			switch {
			case pk == nil:
			case strings.HasPrefix(pk.Value, pSource):
				if v, ok := it["ticketId"].(*types.AttributeValueMemberS); ok {
					id = ticket.ID(v.Value)
				}
			case strings.HasPrefix(pk.Value, pOptOut):
				if v, ok := it["optedOut"].(*types.AttributeValueMemberBOOL); ok {
					optedOut = v.Value
				}
			}
		}
		left, ok := out.UnprocessedKeys[st.table]
		if !ok || len(left.Keys) == 0 {
			return id, optedOut, nil
		}
		if try >= 5 {
			return "", false, fmt.Errorf("read sms state of %s: keys left unprocessed", src)
		}
		// Throttled: ask again for what is left, after a pause.
		in.RequestItems = map[string]types.KeysAndAttributes{st.table: left}
		if err := wait.Sleep(ctx, time.Duration(10<<try)*time.Millisecond); err != nil {
			return "", false, err
		}
	}
}

// ClaimAck takes the ticket's acknowledgement slot at at under the name
// claim (a fresh ID when empty), unless another claim took it less than
// every ago: one conditional write, so concurrent deliveries cannot both
// send. A slot already taken under claim is the caller's own when this
// very write took it (a resend) or when it was taken AckLease ago or more:
// the delivery that took it then has ended without sending, while one
// still running keeps it.
func (st *Store) ClaimAck(ctx context.Context, id ticket.ID, at time.Time, every time.Duration, claim string) (bool, error) {
	if claim == "" {
		claim = string(ticket.NewID(at))
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &st.table,
		Key:              keyOf(ticketPK(id), skAckGate),
		UpdateExpression: aws.String("SET lastAck = :at, ackId = :claim, ackTry = :try"),
		// A slot that names this call (ackTry, a fresh ID: concurrent
		// callers may share at) is its own: the SDK resent a write whose
		// answer was lost.
		ConditionExpression: aws.String("attribute_not_exists(lastAck) OR lastAck <= :cutoff OR ackTry = :try OR " +
			"(ackId = :claim AND lastAck <= :lease)"),
		ExpressionAttributeValues: item{
			":at": s(stamp(at)), ":cutoff": s(stamp(at.Add(-every))), ":claim": s(claim),
			":lease": s(stamp(at.Add(-AckLease))), ":try": s(string(ticket.NewID(at))),
		},
	})
	var taken *types.ConditionalCheckFailedException
	if errors.As(err, &taken) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim acknowledgement of %s: %w", id, err)
	}
	return true, nil
}

// AckLease is how long a slot taken in a message's name stays with the
// delivery that took it: longer than any delivery runs (the SMS function's
// timeout is 30 seconds), shorter than the queue takes to redeliver (its
// visibility timeout, 3 minutes).
const AckLease = time.Minute

// AckClaim names the acknowledgement slot that the write opening a ticket
// for src takes (ticket.Change.AckAt): a later ClaimAck under this name,
// for a redelivery of src, finds the slot its own.
func AckClaim(src ticket.Source) string {
	return "source#" + KeyPart(string(src.Channel)+"#"+src.ID)
}

// ReleaseAck gives back the slot ClaimAck took at at (the text could not
// be sent); a slot taken since is left alone. It runs even when ctx is
// cancelled.
func (st *Store) ReleaseAck(ctx context.Context, id ticket.ID, at time.Time) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &st.table,
		Key:                       keyOf(ticketPK(id), skAckGate),
		UpdateExpression:          aws.String("REMOVE lastAck, ackId, ackTry"),
		ConditionExpression:       aws.String("lastAck = :at"),
		ExpressionAttributeValues: item{":at": s(stamp(at))},
	})
	var moved *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &moved) {
		return fmt.Errorf("release acknowledgement of %s: %w", id, err)
	}
	return nil
}

// SentMessage returns the message Frontdesk sent with provider ID
// providerID, and its ticket: two reads by key, no query. A message sent
// outside any ticket (AddSentTo) comes back with an empty ticket ID.
func (st *Store) SentMessage(ctx context.Context, ch ticket.Channel, providerID string) (ticket.ID, *ticket.Message, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(sentPK(ch, providerID), skClaim),
	})
	if err != nil {
		return "", nil, fmt.Errorf("look up sent message: %w", err)
	}
	var sent struct {
		TicketID  string `dynamodbav:"ticketId"`
		MessageID string `dynamodbav:"messageId"`
		At        string `dynamodbav:"at"`
		Outbox    string `dynamodbav:"outbox"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &sent); err != nil {
		return "", nil, fmt.Errorf("decode sent message: %w", err)
	}
	if sent.TicketID == "" && sent.Outbox == "" {
		return "", nil, fmt.Errorf("look up sent message: %w", ticket.ErrNotFound)
	}
	id := ticket.ID(sent.TicketID)
	pk := ticketPK(id)
	if id == "" {
		// Sent outside any ticket (a keyword's answer).
		pk = sent.Outbox
	}
	msg, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(pk, skMsg+sent.At+"#"+sent.MessageID),
	})
	if err != nil {
		return "", nil, fmt.Errorf("read sent message of %s: %w", id, err)
	}
	if msg.Item == nil {
		return id, nil, fmt.Errorf("read sent message of %s: %w", id, ticket.ErrNotFound)
	}
	var m ticket.Message
	if err := attributevalue.UnmarshalMapWithOptions(msg.Item, &m, jsonTagsDecode); err != nil {
		return "", nil, fmt.Errorf("decode sent message of %s: %w", id, err)
	}
	return id, &m, nil
}

// AddSent records a message Frontdesk sent on ticket t, with its history
// event, in one transaction: the message, the sent-message index entry that
// lets a reply find the ticket, and the event carrying the ticket as it
// stands. The ticket item itself is not rewritten (nothing in it changed),
// so this never conflicts with a concurrent change to the ticket.
func (st *Store) AddSent(ctx context.Context, t *ticket.Ticket, m ticket.Message, e ticket.Event) error {
	if m.Direction != ticket.Outbound {
		return fmt.Errorf("record sent message %s: direction is %q", m.ID, m.Direction)
	}
	head, err := marshalTicket(t)
	if err != nil {
		return err
	}
	msg, err := attributevalue.MarshalMapWithOptions(m, jsonTags)
	if err != nil {
		return fmt.Errorf("encode message %s: %w", m.ID, err)
	}
	ev, err := attributevalue.MarshalMapWithOptions(e, jsonTags)
	if err != nil {
		return fmt.Errorf("encode event %s: %w", e.ID, err)
	}
	ops := []types.TransactWriteItem{
		{Put: &types.Put{
			TableName:           &st.table,
			Item:                merge(keyOf(ticketPK(t.ID), skMsg+stamp(m.At)+"#"+m.ID), msg, item{"ticketId": s(string(t.ID))}),
			ConditionExpression: aws.String("attribute_not_exists(PK)"),
		}},
		{Put: &types.Put{
			TableName:           &st.table,
			Item:                merge(keyOf(ticketPK(t.ID), skEvent+stamp(e.At)+"#"+e.ID), ev, item{"ticket": &types.AttributeValueMemberM{Value: head}}),
			ConditionExpression: aws.String("attribute_not_exists(PK)"), // history is never rewritten
		}},
	}
	if m.SourceID != "" {
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{
			TableName: &st.table,
			Item: merge(keyOf(sentPK(m.Channel, m.SourceID), skClaim), item{
				"ticketId": s(string(t.ID)), "messageId": s(m.ID), "at": s(stamp(m.At)),
			}),
		}})
	}
	if _, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems:      ops,
		ClientRequestToken: aws.String(m.ID),
	}); err != nil {
		return fmt.Errorf("record sent message on %s: %w", t.Ref, err)
	}
	return nil
}

func outboxPK(c ticket.Contact) string {
	if c.Phone != "" {
		return pOutbox + strings.TrimPrefix(ContactKey("phone", c.Phone), pContact)
	}
	return pOutbox + strings.TrimPrefix(ContactKey("email", c.Email), pContact)
}

// AddSentTo records a message Frontdesk sent to a contact outside any
// ticket (the answer to STOP or HELP): the message under the contact's
// hashed key, and the index entry that tells a reply to it apart from a
// reply to someone else's blast. One transaction.
func (st *Store) AddSentTo(ctx context.Context, c ticket.Contact, m ticket.Message) error {
	if m.Direction != ticket.Outbound {
		return fmt.Errorf("record sent message %s: direction is %q", m.ID, m.Direction)
	}
	if c.Phone == "" && c.Email == "" {
		return fmt.Errorf("record sent message %s: no contact", m.ID)
	}
	msg, err := attributevalue.MarshalMapWithOptions(m, jsonTags)
	if err != nil {
		return fmt.Errorf("encode message %s: %w", m.ID, err)
	}
	pk := outboxPK(c)
	ops := []types.TransactWriteItem{{Put: &types.Put{
		TableName:           &st.table,
		Item:                merge(keyOf(pk, skMsg+stamp(m.At)+"#"+m.ID), msg, item{attrTTL: n(st.now().Add(st.SourceTTL).Unix())}),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}}
	if m.SourceID != "" {
		ops = append(ops, types.TransactWriteItem{Put: &types.Put{
			TableName: &st.table,
			Item: merge(keyOf(sentPK(m.Channel, m.SourceID), skClaim), item{
				"outbox": s(pk), "messageId": s(m.ID), "at": s(stamp(m.At)),
				attrTTL: n(st.now().Add(st.SourceTTL).Unix()),
			}),
		}})
	}
	if _, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: ops, ClientRequestToken: aws.String(m.ID),
	}); err != nil {
		return fmt.Errorf("record sent message %s: %w", m.ID, err)
	}
	return nil
}
