package notice

import (
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// MaxImage is the most bytes a stream image may hold: DynamoDB items stop
// at 400 KB, so anything larger is not a record of this table.
const MaxImage = 400 << 10

// maxDepth bounds nested maps and lists in an image.
const maxDepth = 32

// Errors a stream record can be refused with.
var (
	// ErrNotEvent: the record is not the insert of a history event.
	ErrNotEvent = errors.New("not a history event insert")
	// ErrBadImage: the image cannot be read as an event with a snapshot.
	ErrBadImage = errors.New("unreadable event image")
)

// IsEvent reports whether r is the insert of a history event item: only
// those make notices. Everything else on the stream is ignored on purpose:
// MODIFY of a ticket item (its events already tell what changed), inserts
// of messages, contact links, due entries, claims, references and rate
// counters (no staff-facing event), any REMOVE (TTL expiry of claims and
// counters, due entries cleared) and MODIFY of an event item (history is
// never rewritten, so such a record is not a new event).
func IsEvent(r events.DynamoDBEventRecord) bool {
	if r.EventName != "INSERT" {
		return false
	}
	_, ok := eventTicket(r)
	return ok
}

// eventTicket names the ticket of an event item's record; shared/dynamo
// alone knows the key layout.
func eventTicket(r events.DynamoDBEventRecord) (ticket.ID, bool) {
	return dynamo.EventItem(keyString(r.Change.Keys, "PK"), keyString(r.Change.Keys, "SK"))
}

func keyString(m map[string]events.DynamoDBAttributeValue, name string) string {
	v, ok := m[name]
	if !ok || v.DataType() != events.DataTypeString {
		return ""
	}
	return v.String()
}

// Decode reads the history event and the ticket snapshot from the new
// image of an event insert.
func Decode(r events.DynamoDBEventRecord) (ticket.Event, ticket.Ticket, error) {
	var e ticket.Event
	var t ticket.Ticket
	if !IsEvent(r) {
		return e, t, ErrNotEvent
	}
	img, size, err := convertMap(r.Change.NewImage, 0)
	if err != nil {
		return e, t, fmt.Errorf("decode record %s: %w: %w", r.Change.SequenceNumber, ErrBadImage, err)
	}
	if size > MaxImage {
		return e, t, fmt.Errorf("decode record %s: %w: image of %d bytes is over %d", r.Change.SequenceNumber, ErrBadImage, size, MaxImage)
	}
	snap, ok := img["ticket"].(*types.AttributeValueMemberM)
	if !ok {
		return e, t, fmt.Errorf("decode record %s: %w: no ticket snapshot", r.Change.SequenceNumber, ErrBadImage)
	}
	opt := func(o *attributevalue.DecoderOptions) { o.TagKey = "json" }
	delete(img, "ticket")
	if err := attributevalue.UnmarshalMapWithOptions(img, &e, opt); err != nil {
		return e, t, fmt.Errorf("decode record %s: %w: event: %w", r.Change.SequenceNumber, ErrBadImage, err)
	}
	if err := attributevalue.UnmarshalMapWithOptions(snap.Value, &t, opt); err != nil {
		return e, t, fmt.Errorf("decode record %s: %w: ticket: %w", r.Change.SequenceNumber, ErrBadImage, err)
	}
	if e.ID == "" || e.Type == "" {
		return e, t, fmt.Errorf("decode record %s: %w: event without id or type", r.Change.SequenceNumber, ErrBadImage)
	}
	if id, _ := eventTicket(r); id != t.ID {
		return e, t, fmt.Errorf("decode record %s: %w: snapshot of another ticket", r.Change.SequenceNumber, ErrBadImage)
	}
	return e, t, nil
}

// convertMap turns a stream image into SDK attribute values and adds up
// its approximate size.
func convertMap(m map[string]events.DynamoDBAttributeValue, depth int) (map[string]types.AttributeValue, int, error) {
	if depth > maxDepth {
		return nil, 0, fmt.Errorf("nested deeper than %d", maxDepth)
	}
	out := make(map[string]types.AttributeValue, len(m))
	total := 0
	for k, v := range m {
		av, n, err := convert(v, depth+1)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = av
		total += len(k) + n
		if total > MaxImage {
			return nil, 0, fmt.Errorf("over %d bytes", MaxImage)
		}
	}
	return out, total, nil
}

func convert(v events.DynamoDBAttributeValue, depth int) (types.AttributeValue, int, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, len(v.String()), nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, len(v.Number()), nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, 1, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, 1, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, len(v.Binary()), nil
	case events.DataTypeStringSet:
		n := 0
		for _, s := range v.StringSet() {
			n += len(s)
		}
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, n, nil
	case events.DataTypeNumberSet:
		n := 0
		for _, s := range v.NumberSet() {
			n += len(s)
		}
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, n, nil
	case events.DataTypeBinarySet:
		n := 0
		for _, b := range v.BinarySet() {
			n += len(b)
		}
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, n, nil
	case events.DataTypeMap:
		m, n, err := convertMap(v.Map(), depth)
		if err != nil {
			return nil, 0, err
		}
		return &types.AttributeValueMemberM{Value: m}, n, nil
	case events.DataTypeList:
		if depth > maxDepth {
			return nil, 0, fmt.Errorf("nested deeper than %d", maxDepth)
		}
		list := v.List()
		out := make([]types.AttributeValue, len(list))
		total := 0
		for i, e := range list {
			av, n, err := convert(e, depth+1)
			if err != nil {
				return nil, 0, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = av
			total += n
			if total > MaxImage {
				return nil, 0, fmt.Errorf("over %d bytes", MaxImage)
			}
		}
		return &types.AttributeValueMemberL{Value: out}, total, nil
	}
	return nil, 0, fmt.Errorf("unknown attribute type %d", v.DataType())
}
