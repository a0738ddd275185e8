package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/customer"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// DirectoryAPI is the part of the DynamoDB client the directory uses.
type DirectoryAPI interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Directory is the customer directory in the ticket table: one item per
// contact detail (PK CUSTOMER#phone#<hash> or CUSTOMER#email#<hash>, SK
// PROFILE) holding vip and accountManager. Keys are hashes, so no phone
// number or address is stored. Lookups are cached in the process.
type Directory struct {
	db    DirectoryAPI
	table string
	// TTL is how long a lookup, found or not, is remembered (5 minutes
	// when zero; negative turns the cache off).
	TTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	c       intake.Customer
	found   bool
	expires time.Time
}

// maxCached bounds the cache; when full it is emptied.
const maxCached = 50_000

const (
	pCustomer = "CUSTOMER#"
	skProfile = "PROFILE"
)

var _ intake.Directory = (*Directory)(nil)

// NewDirectory returns the directory in table.
func NewDirectory(db DirectoryAPI, table string) *Directory {
	return &Directory{db: db, table: table, cache: map[string]cached{}}
}

func customerKey(kind, value string) string {
	return pCustomer + strings.TrimPrefix(ContactKey(kind, value), pContact)
}

func contactKeys(c ticket.Contact) []string {
	var keys []string
	if c.Phone != "" {
		keys = append(keys, customerKey("phone", c.Phone))
	}
	if c.Email != "" {
		keys = append(keys, customerKey("email", c.Email))
	}
	return keys
}

func (d *Directory) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Directory) ttl() time.Duration {
	if d.TTL == 0 {
		return 5 * time.Minute
	}
	return d.TTL
}

// Lookup returns the customer a normalized contact belongs to: VIP when
// its phone or its email is, with the account manager of the first that
// names one. An unknown contact is ticket.ErrNotFound. It costs at most
// one BatchGetItem, none when cached.
func (d *Directory) Lookup(ctx context.Context, c ticket.Contact) (intake.Customer, error) {
	keys := contactKeys(c)
	if len(keys) == 0 {
		return intake.Customer{}, ticket.ErrNotFound
	}
	ck := strings.Join(keys, "|")
	now := d.now()
	if d.ttl() > 0 {
		d.mu.Lock()
		e, ok := d.cache[ck]
		d.mu.Unlock()
		if ok && now.Before(e.expires) {
			if !e.found {
				return intake.Customer{}, ticket.ErrNotFound
			}
			return e.c, nil
		}
	}
	req := make([]map[string]types.AttributeValue, len(keys))
	for i, k := range keys {
		req[i] = keyOf(k, skProfile)
	}
	in := &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		d.table: {Keys: req, ProjectionExpression: aws.String("PK, vip, accountManager")},
	}}
	found := map[string]item{}
	for attempt := 0; ; attempt++ {
		out, err := d.db.BatchGetItem(ctx, in)
		if err != nil {
			return intake.Customer{}, fmt.Errorf("look up customer: %w", err)
		}
		for _, it := range out.Responses[d.table] {
			if pk, ok := it[attrPK].(*types.AttributeValueMemberS); ok {
				found[pk.Value] = it
			}
		}
		left, ok := out.UnprocessedKeys[d.table]
		if !ok || len(left.Keys) == 0 {
			break
		}
		if attempt >= 5 {
			return intake.Customer{}, errors.New("look up customer: keys still unprocessed after 5 tries")
		}
		in.RequestItems = out.UnprocessedKeys
		if err := wait.Sleep(ctx, time.Duration(10<<attempt)*time.Millisecond); err != nil {
			return intake.Customer{}, err
		}
	}
	var cust intake.Customer
	for _, k := range keys {
		it, ok := found[k]
		if !ok {
			continue
		}
		if v, ok := it["vip"].(*types.AttributeValueMemberBOOL); ok && v.Value {
			cust.VIP = true
		}
		if v, ok := it["accountManager"].(*types.AttributeValueMemberS); ok && cust.AccountManager == "" {
			cust.AccountManager = v.Value
		}
	}
	if d.ttl() > 0 {
		d.mu.Lock()
		if len(d.cache) >= maxCached {
			clear(d.cache)
		}
		d.cache[ck] = cached{c: cust, found: len(found) > 0, expires: now.Add(d.ttl())}
		d.mu.Unlock()
	}
	if len(found) == 0 {
		return intake.Customer{}, ticket.ErrNotFound
	}
	return cust, nil
}

// Put writes directory records, 25 per BatchWriteItem, replacing what
// was stored for the same phone or email.
func (d *Directory) Put(ctx context.Context, recs []customer.Record) error {
	now := stamp(d.now())
	var reqs []types.WriteRequest
	// A batch must not name a key twice: a later line for the same phone
	// or email wins.
	at := map[string]int{}
	for _, r := range recs {
		for _, k := range contactKeys(ticket.Contact{Phone: r.Phone, Email: r.Email}) {
			it := merge(keyOf(k, skProfile), item{
				"vip":       &types.AttributeValueMemberBOOL{Value: r.VIP},
				"updatedAt": s(now),
			})
			if r.AccountManager != "" {
				it["accountManager"] = s(r.AccountManager)
			}
			w := types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
			if i, dup := at[k]; dup {
				reqs[i] = w
				continue
			}
			at[k] = len(reqs)
			reqs = append(reqs, w)
		}
	}
	for start := 0; start < len(reqs); start += 25 {
		batch := map[string][]types.WriteRequest{d.table: reqs[start:min(start+25, len(reqs))]}
		for attempt := 0; len(batch[d.table]) > 0; attempt++ {
			out, err := d.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: batch})
			if err != nil {
				return fmt.Errorf("write directory records %d–%d: %w", start, start+25, err)
			}
			batch = out.UnprocessedItems
			if len(batch[d.table]) == 0 {
				break
			}
			if attempt >= 8 {
				return fmt.Errorf("write directory records %d–%d: still unprocessed after %d tries", start, start+25, attempt+1)
			}
			if err := wait.Sleep(ctx, time.Duration(20<<attempt)*time.Millisecond); err != nil {
				return err
			}
		}
	}
	d.mu.Lock()
	clear(d.cache)
	d.mu.Unlock()
	return nil
}
