package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Ticket returns the ticket without messages and history.
func (st *Store) Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(ticketPK(id), skTicket), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get ticket %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("get ticket %s: %w", id, ticket.ErrNotFound)
	}
	return decodeTicket(out.Item)
}

func decodeTicket(it item) (*ticket.Ticket, error) {
	var t ticket.Ticket
	if err := attributevalue.UnmarshalMapWithOptions(it, &t, jsonTagsDecode); err != nil {
		return nil, fmt.Errorf("decode ticket: %w", err)
	}
	return &t, nil
}

// View returns the ticket with its messages and history, oldest first.
func (st *Store) View(ctx context.Context, id ticket.ID) (*ticket.Ticket, error) {
	var t *ticket.Ticket
	var msgs []ticket.Message
	var events []ticket.Event
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:                 &st.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: item{":pk": s(ticketPK(id))},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read ticket %s: %w", id, err)
		}
		for _, it := range page.Items {
			sk := it[attrSK].(*types.AttributeValueMemberS).Value
			switch {
			case sk == skTicket:
				if t, err = decodeTicket(it); err != nil {
					return nil, err
				}
			case strings.HasPrefix(sk, skMsg):
				var m ticket.Message
				if err := attributevalue.UnmarshalMapWithOptions(it, &m, jsonTagsDecode); err != nil {
					return nil, fmt.Errorf("decode message of %s: %w", id, err)
				}
				msgs = append(msgs, m)
			case strings.HasPrefix(sk, skEvent):
				var e ticket.Event
				if err := attributevalue.UnmarshalMapWithOptions(it, &e, jsonTagsDecode); err != nil {
					return nil, fmt.Errorf("decode event of %s: %w", id, err)
				}
				events = append(events, e)
			}
		}
	}
	if t == nil {
		return nil, fmt.Errorf("read ticket %s: %w", id, ticket.ErrNotFound)
	}
	t.Messages, t.History = msgs, events
	return t, nil
}

// ByRef returns the ID of the ticket with reference ref.
func (st *Store) ByRef(ctx context.Context, ref ticket.Ref) (ticket.ID, error) {
	return st.claim(ctx, refPK(ref), "reference "+string(ref))
}

// BySent returns the ticket a message Frontdesk sent belongs to, by the
// provider's message ID (an SNS message ID, an email Message-ID).
func (st *Store) BySent(ctx context.Context, ch ticket.Channel, providerID string) (ticket.ID, error) {
	return st.claim(ctx, sentPK(ch, providerID), "sent message")
}

// BySource returns the ticket an inbound source went to.
func (st *Store) BySource(ctx context.Context, src ticket.Source) (ticket.ID, error) {
	return st.claim(ctx, sourcePK(src), "source "+src.String())
}

func (st *Store) claim(ctx context.Context, pk, what string) (ticket.ID, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &st.table, Key: keyOf(pk, skClaim)})
	if err != nil {
		return "", fmt.Errorf("look up %s: %w", what, err)
	}
	v, ok := out.Item["ticketId"].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("look up %s: %w", what, ticket.ErrNotFound)
	}
	return ticket.ID(v.Value), nil
}

// OpenForContact returns the contact's open ticket updated most recently
// at or after since: one ContactIndex query per contact detail.
func (st *Store) OpenForContact(ctx context.Context, c ticket.Contact, since time.Time) (*ticket.Ticket, error) {
	var best *ticket.Ticket
	for _, l := range []struct{ kind, value string }{{"phone", c.Phone}, {"email", c.Email}} {
		if l.value == "" {
			continue
		}
		out, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:              &st.table,
			IndexName:              aws.String(ContactIndex),
			KeyConditionExpression: aws.String("CPK = :c AND CSK >= :since"),
			ExpressionAttributeValues: item{
				":c": s(ContactKey(l.kind, l.value)), ":since": s(stamp(since)),
			},
			ScanIndexForward: aws.Bool(false),
			Limit:            aws.Int32(1),
		})
		if err != nil {
			return nil, fmt.Errorf("find open ticket by %s: %w", l.kind, err)
		}
		if len(out.Items) == 0 {
			continue
		}
		snap, ok := out.Items[0]["ticket"].(*types.AttributeValueMemberM)
		if !ok {
			continue
		}
		t, err := decodeTicket(snap.Value)
		if err != nil {
			return nil, err
		}
		if best == nil || t.UpdatedAt.After(best.UpdatedAt) {
			best = t
		}
	}
	if best == nil {
		return nil, ticket.ErrNotFound
	}
	return best, nil
}

// Recent returns up to limit tickets, newest first, looking back at most
// days days.
func (st *Store) Recent(ctx context.Context, limit, days int) ([]ticket.Ticket, error) {
	var out []ticket.Ticket
	day := st.now().UTC()
	for i := 0; i < days && len(out) < limit; i++ {
		p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
			TableName:                 &st.table,
			IndexName:                 aws.String(ListIndex),
			KeyConditionExpression:    aws.String("LPK = :d"),
			ExpressionAttributeValues: item{":d": s(pDay + day.AddDate(0, 0, -i).Format(time.DateOnly))},
			ScanIndexForward:          aws.Bool(false),
			Limit:                     aws.Int32(int32(min(limit, 100))),
		})
		for p.HasMorePages() && len(out) < limit {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list tickets: %w", err)
			}
			for _, it := range page.Items {
				t, err := decodeTicket(it)
				if err != nil {
					return nil, err
				}
				out = append(out, *t)
				if len(out) == limit {
					break
				}
			}
		}
	}
	return out, nil
}
