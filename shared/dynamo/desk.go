package dynamo

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Staff access patterns (the README lists them with the indexes):
//
//   - a queue's open tickets, most urgent first: DeskIndex, QPK
//     "DESK#<queue>#open", QSK "<priority>#<nearest running limit>#<id>";
//     a priority is a begins_with, breached and not-yet-breached are
//     ranges of the same key;
//   - a queue's finished tickets, newest first: QPK "DESK#<queue>#done";
//   - the open tickets a member of staff owns: AgentIndex, APK
//     "AGENT#<subject>", ASK as QSK;
//   - the daily report: REPORT#<local date>, one item per shard of the
//     day's counters, and REPORT#open for tickets open now;
//   - a request's answer by idempotency key: ANSWER#<key>.
const (
	pDesk   = "DESK#"
	pAgent  = "AGENT#"
	pReport = "REPORT#"
	pAnswer = "ANSWER#"
	// reportShards spreads each day's counters over items, so that
	// concurrent changes rarely meet on one.
	reportShards = 8
	// AnswerTTL is how long a request's answer is kept for replays.
	AnswerTTL = 24 * time.Hour
	// noLimit sorts after every instant: tickets with no running limit
	// (waiting) come last within their priority.
	noLimit = "~"
)

// urgency is a ticket's place in its desk: priority, then the nearest
// limit still running, then the ID.
func urgency(t *ticket.Ticket) string {
	var nearest time.Time
	if at, on := t.AckDue(); on {
		nearest = at
	}
	if at, on := t.ResolveDue(); on && (nearest.IsZero() || at.Before(nearest)) {
		nearest = at
	}
	lim := noLimit
	if !nearest.IsZero() {
		lim = stamp(nearest)
	}
	return strconv.Itoa(int(t.Priority)) + "#" + lim + "#" + string(t.ID)
}

// deskKeys puts the ticket item in the staff indexes.
func deskKeys(t *ticket.Ticket, it item) {
	if t.Status.Open() {
		it[attrQPK] = s(pDesk + t.Owner + "#open")
		it[attrQSK] = s(urgency(t))
		if t.Agent != "" {
			it[attrAPK] = s(pAgent + t.Agent)
			it[attrASK] = s(urgency(t))
		}
		return
	}
	it[attrQPK] = s(pDesk + t.Owner + "#done")
	it[attrQSK] = s(stamp(t.UpdatedAt) + "#" + string(t.ID))
}

// shard picks a ticket's counter shard from its creation instant: spread
// like the tickets themselves, and the same for the same ticket.
func shard(t *ticket.Ticket) int {
	h := fnv.New32a()
	h.Write([]byte(strconv.FormatInt(t.CreatedAt.UnixNano(), 10)))
	return int(h.Sum32() % reportShards)
}

// tallies adds the change's report counts to the day counters, in the
// same transaction: exact, and never recounted by a retry.
func (st *Store) tallies(cs []ticket.Change) []types.TransactWriteItem {
	var counts []ticket.Tally
	for _, c := range cs {
		if !c.Create && c.Prev == nil {
			continue
		}
		prev := c.Prev
		if c.Create {
			prev = nil
		}
		counts = append(counts, ticket.Count(prev, c.Ticket, st.Zone)...)
	}
	if len(counts) == 0 {
		return nil
	}
	byDay := map[string]map[string]int{}
	open := 0
	for _, t := range counts {
		if byDay[t.Day] == nil {
			byDay[t.Day] = map[string]int{}
		}
		byDay[t.Day][t.Counter] += t.N
		if t.Counter == ticket.CountOpenDelta {
			open += t.N
		}
	}
	// One shard for the whole transaction: two updates of one item
	// cannot share a transaction.
	sh := "SHARD#" + strconv.Itoa(shard(cs[0].Ticket))
	update := func(pk string, counters map[string]int) *types.TransactWriteItem {
		names := map[string]string{}
		values := item{}
		var parts []string
		keys := make([]string, 0, len(counters))
		for k := range counters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if counters[k] == 0 {
				continue
			}
			nk, vk := "#c"+strconv.Itoa(i), ":c"+strconv.Itoa(i)
			names[nk], values[vk] = k, n(int64(counters[k]))
			parts = append(parts, nk+" "+vk)
		}
		if len(parts) == 0 {
			return nil
		}
		return &types.TransactWriteItem{Update: &types.Update{
			TableName: &st.table, Key: keyOf(pk, sh),
			UpdateExpression:          aws.String("ADD " + strings.Join(parts, ", ")),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}}
	}
	var ops []types.TransactWriteItem
	days := make([]string, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, d := range days {
		if op := update(pReport+d, byDay[d]); op != nil {
			ops = append(ops, *op)
		}
	}
	if op := update(pReport+"open", map[string]int{"open": open}); op != nil {
		ops = append(ops, *op)
	}
	return ops
}

// answerPut stores a request's answer under its key.
func (st *Store) answerPut(a ticket.Answer) types.TransactWriteItem {
	put := &types.Put{
		TableName: &st.table,
		Item: merge(keyOf(pAnswer+a.Key, skClaim), item{
			"status": n(int64(a.Status)), "body": &types.AttributeValueMemberB{Value: a.Body},
			attrTTL: n(st.now().Add(AnswerTTL).Unix()),
		}),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}
	if a.Token != "" {
		put.ConditionExpression = aws.String("attribute_not_exists(PK) OR (#tok = :tok AND attribute_not_exists(#st))")
		put.ExpressionAttributeValues = item{":tok": s(a.Token)}
		put.ExpressionAttributeNames = map[string]string{"#st": "status", "#tok": "token"}
	}
	return types.TransactWriteItem{Put: put}
}

// Answer returns the answer stored under an idempotency key:
// ticket.ErrNotFound when there is none, and an answer with Status 0
// while another attempt holds the key.
func (st *Store) Answer(ctx context.Context, key string) (ticket.Answer, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &st.table, Key: keyOf(pAnswer+key, skClaim), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return ticket.Answer{}, fmt.Errorf("read answer: %w", err)
	}
	if out.Item == nil || expired(out.Item, st.now()) {
		return ticket.Answer{}, ticket.ErrNotFound
	}
	var a struct {
		Status int    `dynamodbav:"status"`
		Body   []byte `dynamodbav:"body"`
		Token  string `dynamodbav:"token"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &a); err != nil {
		return ticket.Answer{}, fmt.Errorf("decode answer: %w", err)
	}
	return ticket.Answer{Key: key, Status: a.Status, Body: a.Body, Token: a.Token}, nil
}

func expired(it item, now time.Time) bool {
	v, ok := it[attrTTL].(*types.AttributeValueMemberN)
	if !ok {
		return false
	}
	sec, err := strconv.ParseInt(v.Value, 10, 64)
	return err == nil && sec < now.Unix()
}

// ClaimAnswer holds an idempotency key with token before an action with
// effects outside the table (a reply sent): a second attempt with the
// key then fails with ticket.ErrAnswered instead of sending again.
func (st *Store) ClaimAnswer(ctx context.Context, key, token string) error {
	_, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &st.table,
		Item: merge(keyOf(pAnswer+key, skClaim), item{
			"token": s(token), attrTTL: n(st.now().Add(AnswerTTL).Unix()),
		}),
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR #ttl < :now"),
		ExpressionAttributeNames:  map[string]string{"#ttl": attrTTL},
		ExpressionAttributeValues: item{":now": n(st.now().Unix())},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return ticket.ErrAnswered
	}
	if err != nil {
		return fmt.Errorf("claim request: %w", err)
	}
	return nil
}

// ReleaseAnswer gives back a key claimed with token and never answered
// (the action failed before it changed anything).
func (st *Store) ReleaseAnswer(ctx context.Context, key, token string) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &st.table, Key: keyOf(pAnswer+key, skClaim),
		UpdateExpression:          aws.String("SET #ttl = :zero"),
		ConditionExpression:       aws.String("#tok = :tok AND attribute_not_exists(#st)"),
		ExpressionAttributeNames:  map[string]string{"#ttl": attrTTL, "#st": "status", "#tok": "token"},
		ExpressionAttributeValues: item{":tok": s(token), ":zero": n(0)},
	})
	var cf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &cf) {
		return fmt.Errorf("release request: %w", err)
	}
	return nil
}

// TicketByRef returns the ticket (without messages and history) with
// reference ref. The reference's ticket ID never changes, so it is
// remembered: after the first time this is one read.
func (st *Store) TicketByRef(ctx context.Context, ref ticket.Ref) (*ticket.Ticket, error) {
	id, ok := st.refs.Load(ref)
	if !ok {
		got, err := st.ByRef(ctx, ref)
		if err != nil {
			return nil, err
		}
		st.refs.Store(ref, got)
		id = got
	}
	return st.Ticket(ctx, id.(ticket.ID))
}

// DeskQuery selects tickets as a desk lists them. Queues (or Agent) say
// whose tickets; the rest narrow them down.
type DeskQuery struct {
	// Queues lists the owner queues to read; with Agent set they only
	// filter the agent's tickets.
	Queues []string
	// Agent, when set, reads only the open tickets that member of staff
	// owns.
	Agent string
	// Done reads finished (resolved, closed) tickets instead of open ones.
	Done     bool
	Statuses []ticket.Status
	Kind     ticket.Kind
	Channel  ticket.Channel
	Priority ticket.Priority
	// Breached, when set, keeps only tickets whose nearest running limit
	// passed (true) or did not (false) at Now.
	Breached *bool
	Now      time.Time
	// Limit is the page size (at most 100); Cursor continues a listing.
	Limit  int
	Cursor string
}

// DeskPage is one page of a listing; Cursor is empty on the last page.
type DeskPage struct {
	Tickets []ticket.Ticket
	Cursor  string
	// Read counts the index items read for the page.
	Read int
}

// MaxPage is the largest page a listing returns.
const MaxPage = 100

// ErrCursor reports a cursor this store did not make.
var ErrCursor = errors.New("cursor is not one this listing returned")

type keyRange struct{ pk, lo, hi string }

func (q DeskQuery) ranges() ([]keyRange, string) {
	index := DeskIndex
	var pks []string
	switch {
	case q.Agent != "":
		index, pks = AgentIndex, []string{pAgent + q.Agent}
	default:
		state := "#open"
		if q.Done {
			state = "#done"
		}
		for _, qu := range q.Queues {
			pks = append(pks, pDesk+qu+state)
		}
	}
	prios := []ticket.Priority{q.Priority}
	if q.Priority == 0 && q.Breached != nil {
		prios = []ticket.Priority{ticket.P1, ticket.P2, ticket.P3, ticket.P4}
	}
	var out []keyRange
	for _, pk := range pks {
		for _, p := range prios {
			r := keyRange{pk: pk, lo: "", hi: "\U0010FFFF"}
			if p != 0 && !q.Done {
				pre := strconv.Itoa(int(p)) + "#"
				r.lo, r.hi = pre, pre+"\U0010FFFF"
				if q.Breached != nil {
					cut := pre + stamp(q.Now) + "$"
					if *q.Breached {
						r.hi = cut
					} else {
						r.lo = cut
					}
				}
			}
			out = append(out, r)
		}
	}
	return out, index
}

// rangeIter reads one key range lazily, page by page.
type rangeIter struct {
	in   *dynamodb.QueryInput
	buf  []item
	done bool
}

// Desk lists tickets for staff from the desk indexes, never a scan: one
// query per queue (per priority when breached is asked without one),
// merged in urgency order. Finished tickets come newest first.
func (st *Store) Desk(ctx context.Context, q DeskQuery) (DeskPage, error) {
	limit := q.Limit
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	after := ""
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(b) == 0 {
			return DeskPage{}, ErrCursor
		}
		after = string(b)
	}
	ranges, index := q.ranges()
	filter, names, values := q.filter()
	var iters []*rangeIter
	for _, r := range ranges {
		lo, hi := r.lo, r.hi
		var cond string
		vals := item{":pk": s(r.pk)}
		if q.Done {
			// Newest first: read backwards, below the cursor.
			if after != "" {
				hi = after
			}
			cond = "#pk = :pk AND #sk < :hi"
			vals[":hi"] = s(hi)
		} else {
			if after != "" && after+"!" > lo {
				lo = after + "!"
			}
			if lo >= hi {
				continue
			}
			cond = "#pk = :pk AND #sk BETWEEN :lo AND :hi"
			vals[":lo"], vals[":hi"] = s(cmp.Or(lo, " ")), s(hi)
		}
		nm := map[string]string{"#pk": attrQPK, "#sk": attrQSK}
		if index == AgentIndex {
			nm = map[string]string{"#pk": attrAPK, "#sk": attrASK}
		}
		for k, v := range names {
			nm[k] = v
		}
		for k, v := range values {
			vals[k] = v
		}
		in := &dynamodb.QueryInput{
			TableName: &st.table, IndexName: aws.String(index),
			KeyConditionExpression:    aws.String(cond),
			ExpressionAttributeNames:  nm,
			ExpressionAttributeValues: vals,
			ScanIndexForward:          aws.Bool(!q.Done),
			Limit:                     aws.Int32(int32(limit + 1)),
		}
		if filter != "" {
			in.FilterExpression = aws.String(filter)
		}
		iters = append(iters, &rangeIter{in: in})
	}
	page := DeskPage{}
	sortKey := attrQSK
	if index == AgentIndex {
		sortKey = attrASK
	}
	key := func(it item) string { return it[sortKey].(*types.AttributeValueMemberS).Value }
	fill := func(r *rangeIter) error {
		for len(r.buf) == 0 && !r.done {
			out, err := st.db.Query(ctx, r.in)
			if err != nil {
				return fmt.Errorf("list desk: %w", err)
			}
			page.Read += int(out.ScannedCount)
			r.buf = out.Items
			r.in.ExclusiveStartKey = out.LastEvaluatedKey
			r.done = out.LastEvaluatedKey == nil
		}
		return nil
	}
	var last string
	for len(page.Tickets) <= limit {
		var best *rangeIter
		for _, r := range iters {
			if err := fill(r); err != nil {
				return DeskPage{}, err
			}
			if len(r.buf) == 0 {
				continue
			}
			if best == nil || (key(r.buf[0]) < key(best.buf[0])) != q.Done {
				best = r
			}
		}
		if best == nil {
			break
		}
		it := best.buf[0]
		best.buf = best.buf[1:]
		if len(page.Tickets) == limit {
			// One more exists: this page ends at the last one taken.
			page.Cursor = base64.RawURLEncoding.EncodeToString([]byte(last))
			break
		}
		t, err := decodeTicket(it)
		if err != nil {
			return DeskPage{}, err
		}
		page.Tickets = append(page.Tickets, *t)
		last = key(it)
	}
	return page, nil
}

func (q DeskQuery) filter() (string, map[string]string, item) {
	var parts []string
	names := map[string]string{}
	values := item{}
	if len(q.Statuses) > 0 {
		var in []string
		for i, st := range q.Statuses {
			k := ":st" + strconv.Itoa(i)
			values[k] = s(string(st))
			in = append(in, k)
		}
		names["#status"] = "status"
		parts = append(parts, "#status IN ("+strings.Join(in, ", ")+")")
	}
	if q.Kind != "" {
		names["#kind"], values[":kind"] = "kind", s(string(q.Kind))
		parts = append(parts, "#kind = :kind")
	}
	if q.Channel != "" {
		names["#channel"], values[":channel"] = "channel", s(string(q.Channel))
		parts = append(parts, "#channel = :channel")
	}
	if q.Done && q.Priority != 0 {
		names["#priority"], values[":priority"] = "priority", n(int64(q.Priority))
		parts = append(parts, "#priority = :priority")
	}
	if q.Agent != "" && len(q.Queues) > 0 {
		var in []string
		for i, qu := range q.Queues {
			k := ":q" + strconv.Itoa(i)
			values[k] = s(qu)
			in = append(in, k)
		}
		names["#owner"] = "owner"
		parts = append(parts, "#owner IN ("+strings.Join(in, ", ")+")")
	}
	return strings.Join(parts, " AND "), names, values
}

// QueueStats is a queue at a glance.
type QueueStats struct {
	Queue string `json:"queue"`
	Open  int    `json:"open"`
	// New counts open tickets nobody acknowledged yet.
	New       int `json:"new"`
	Breached  int `json:"breached"`
	DueInHour int `json:"dueNextHour"`
}

// Queue counts a queue's open tickets at now: one query over the queue's
// open desk entries, reading only their keys and status.
func (st *Store) Queue(ctx context.Context, queue string, now time.Time) (QueueStats, error) {
	qs := QueueStats{Queue: queue}
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName: &st.table, IndexName: aws.String(DeskIndex),
		KeyConditionExpression:    aws.String("QPK = :pk"),
		ExpressionAttributeValues: item{":pk": s(pDesk + queue + "#open")},
		ProjectionExpression:      aws.String("QSK, #status, ackedAt"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
	})
	nowS, hourS := stamp(now), stamp(now.Add(time.Hour))
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return qs, fmt.Errorf("count queue %s: %w", queue, err)
		}
		for _, it := range out.Items {
			qs.Open++
			var row struct {
				QSK     string        `dynamodbav:"QSK"`
				Status  ticket.Status `dynamodbav:"status"`
				AckedAt string        `dynamodbav:"ackedAt"`
			}
			if err := attributevalue.UnmarshalMap(it, &row); err != nil {
				return qs, fmt.Errorf("decode queue entry: %w", err)
			}
			if (row.Status == ticket.New || row.Status == ticket.Reopened) && (row.AckedAt == "" || strings.HasPrefix(row.AckedAt, "0001-")) {
				qs.New++
			}
			parts := strings.SplitN(row.QSK, "#", 3)
			if len(parts) < 2 || parts[1] == noLimit {
				continue
			}
			switch {
			case parts[1] <= nowS:
				qs.Breached++
			case parts[1] <= hourS:
				qs.DueInHour++
			}
		}
	}
	return qs, nil
}

// Daily is a day's report.
type Daily struct {
	Date     string         `json:"date"`
	Contacts map[string]int `json:"contactsByChannel"`
	Kinds    map[string]int `json:"contactsByKind"`
	Acked    int            `json:"acknowledged"`
	AckedIn  int            `json:"acknowledgedInLimit"`
	// AckedPct and ResolvedPct are the shares within limit, in percent
	// (nil when nothing was acknowledged or resolved that day).
	AckedPct    *float64       `json:"acknowledgedInLimitPct"`
	Resolved    int            `json:"resolved"`
	ResolvedIn  int            `json:"resolvedInLimit"`
	ResolvedPct *float64       `json:"resolvedInLimitPct"`
	OpenAtEnd   int            `json:"openAtEndOfDay"`
	Escalations map[string]int `json:"escalationsByLevel"`
}

// counters sums the shards of one report item.
func (st *Store) counters(ctx context.Context, pk string) (map[string]int, error) {
	out, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &st.table, ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: item{":pk": s(pk)},
	})
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", pk, err)
	}
	sum := map[string]int{}
	for _, it := range out.Items {
		for k, v := range it {
			nv, ok := v.(*types.AttributeValueMemberN)
			if !ok || k == attrTTL {
				continue
			}
			x, _ := strconv.Atoi(nv.Value)
			sum[k] += x
		}
	}
	return sum, nil
}

// Report returns the daily report for the local date day (YYYY-MM-DD in
// the store's Zone), read from the counters the changes maintained: one
// query for the day, and one per later day up to today for the open count
// at the end of it.
func (st *Store) Report(ctx context.Context, day string) (Daily, error) {
	zone := st.Zone
	if zone == nil {
		zone = time.UTC
	}
	d, err := time.ParseInLocation(time.DateOnly, day, zone)
	if err != nil {
		return Daily{}, fmt.Errorf("report date %q is not YYYY-MM-DD", day)
	}
	c, err := st.counters(ctx, pReport+day)
	if err != nil {
		return Daily{}, err
	}
	r := Daily{Date: day, Contacts: map[string]int{}, Kinds: map[string]int{}, Escalations: map[string]int{}}
	for k, v := range c {
		switch {
		case strings.HasPrefix(k, "contacts."):
			r.Contacts[strings.TrimPrefix(k, "contacts.")] = v
		case strings.HasPrefix(k, "kind."):
			r.Kinds[strings.TrimPrefix(k, "kind.")] = v
		case strings.HasPrefix(k, ticket.CountEscalations):
			r.Escalations[strings.TrimPrefix(k, ticket.CountEscalations)] = v
		}
	}
	r.Acked, r.AckedIn = c[ticket.CountAcked], c[ticket.CountAckedInLimit]
	r.Resolved, r.ResolvedIn = c[ticket.CountResolved], c[ticket.CountResolvedInLimit]
	pct := func(a, b int) *float64 {
		if b == 0 {
			return nil
		}
		v := float64(int(1000*float64(a)/float64(b)+0.5)) / 10
		return &v
	}
	r.AckedPct, r.ResolvedPct = pct(r.AckedIn, r.Acked), pct(r.ResolvedIn, r.Resolved)
	now, err := st.counters(ctx, pReport+"open")
	if err != nil {
		return Daily{}, err
	}
	open := now["open"]
	today := st.now().In(zone).Format(time.DateOnly)
	for i, next := 0, d.AddDate(0, 0, 1); next.Format(time.DateOnly) <= today && i < 400; i, next = i+1, next.AddDate(0, 0, 1) {
		later, err := st.counters(ctx, pReport+next.Format(time.DateOnly))
		if err != nil {
			return Daily{}, err
		}
		open -= later[ticket.CountOpenDelta]
	}
	r.OpenAtEnd = open
	return r, nil
}

// Queues returns the owner queues the rules route to, sorted.
func Queues(r *ticket.Rules) []string {
	var out []string
	for _, k := range r.Kinds {
		if !slices.Contains(out, k.Queue) {
			out = append(out, k.Queue)
		}
	}
	if r.VIPQueue != "" && !slices.Contains(out, r.VIPQueue) {
		out = append(out, r.VIPQueue)
	}
	sort.Strings(out)
	return out
}
