package blast

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Receipt is the carrier's word on one text: delivered to the handset's
// network, or not.
type Receipt struct {
	// ProviderID is the message ID the provider answered the send with,
	// the one the blast's SENT item records.
	ProviderID string
	Delivered  bool
	// Response is the provider's reason ("Message has been accepted by
	// phone carrier", "Unknown error attempting to reach phone"); it
	// carries no personal data.
	Response string
	At       time.Time
}

// ErrReceipt is a delivery status record that cannot be read as a receipt.
var ErrReceipt = errors.New("not an SMS delivery status record")

// MaxReceiptLog bounds what a CloudWatch Logs delivery may decompress to:
// a subscription batch is at most 1 MiB of log events, and anything far
// larger is not one.
const MaxReceiptLog = 4 << 20

// snsTime is how SNS stamps a delivery status record (UTC).
const snsTime = "2006-01-02 15:04:05.999"

// ParseReceipt reads one SNS SMS delivery status record, as SNS writes it
// to the log groups sns/<region>/<account>/DirectPublishToPhoneNumber
// (status SUCCESS) and …/Failure (status FAILURE) when delivery-status
// logging is on. The destination number in the record is not kept.
func ParseReceipt(b []byte) (Receipt, error) {
	var rec struct {
		Notification struct {
			MessageID string `json:"messageId"`
			Timestamp string `json:"timestamp"`
		} `json:"notification"`
		Delivery struct {
			ProviderResponse string `json:"providerResponse"`
		} `json:"delivery"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return Receipt{}, fmt.Errorf("%w: %v", ErrReceipt, err)
	}
	r := Receipt{ProviderID: strings.TrimSpace(rec.Notification.MessageID), Response: rec.Delivery.ProviderResponse}
	switch rec.Status {
	case "SUCCESS":
		r.Delivered = true
	case "FAILURE":
	default:
		return Receipt{}, fmt.Errorf("%w: status %q", ErrReceipt, rec.Status)
	}
	if r.ProviderID == "" || len(r.ProviderID) > 200 {
		return Receipt{}, fmt.Errorf("%w: no message ID", ErrReceipt)
	}
	if len(r.Response) > 500 {
		r.Response = r.Response[:500]
	}
	if at, err := time.Parse(snsTime, rec.Notification.Timestamp); err == nil {
		r.At = at.UTC()
	}
	return r, nil
}

// ParseLogs reads a CloudWatch Logs subscription delivery (base64 of
// gzipped JSON) into its log group and the receipts its log events hold.
// Events that are no receipt come back as errors, each alone, so that one
// never hides its neighbours; a control message (the subscription's own
// test) has no events.
func ParseLogs(raw events.CloudwatchLogsRawData) (group string, rs []Receipt, bad []error, err error) {
	zipped, err := base64.StdEncoding.DecodeString(raw.Data)
	if err != nil {
		return "", nil, nil, fmt.Errorf("delivery status logs: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		return "", nil, nil, fmt.Errorf("delivery status logs: %w", err)
	}
	defer zr.Close()
	plain, err := io.ReadAll(io.LimitReader(zr, MaxReceiptLog+1))
	if err != nil {
		return "", nil, nil, fmt.Errorf("delivery status logs: %w", err)
	}
	if len(plain) > MaxReceiptLog {
		return "", nil, nil, fmt.Errorf("delivery status logs: over %d bytes unzipped", MaxReceiptLog)
	}
	var d events.CloudwatchLogsData
	if err := json.Unmarshal(plain, &d); err != nil {
		return "", nil, nil, fmt.Errorf("delivery status logs: %w", err)
	}
	if d.MessageType == "CONTROL_MESSAGE" {
		return d.LogGroup, nil, nil, nil
	}
	for _, e := range d.LogEvents {
		r, err := ParseReceipt([]byte(e.Message))
		if err != nil {
			bad = append(bad, fmt.Errorf("log event %s: %w", e.ID, err))
			continue
		}
		if r.At.IsZero() && e.Timestamp > 0 {
			r.At = time.UnixMilli(e.Timestamp).UTC()
		}
		rs = append(rs, r)
	}
	return d.LogGroup, rs, bad, nil
}

// ReceiptStore records receipts on the texts of blasts.
type ReceiptStore interface {
	// RecordReceipt applies r to the recipient whose text has r's
	// provider ID and counts it once: a repeated receipt changes nothing,
	// a delivery reported after a failure wins over it, a failure reported
	// after a delivery does not undo it. It reports whether anything
	// changed, and ErrNotFound when the text was not part of a blast.
	RecordReceipt(ctx context.Context, r Receipt) (bool, error)
}

// Receipts takes SMS delivery receipts to the blasts whose texts they are
// about: the handler of the CloudWatch Logs subscription on SNS's
// delivery status log groups.
type Receipts struct {
	Store ReceiptStore
	// Concurrency is how many receipts are recorded at once (8 when
	// zero): a delivery may carry a few thousand.
	Concurrency int
}

// ReceiptTally is what one delivery of receipts did.
type ReceiptTally struct {
	// Recorded receipts changed a recipient; Repeated ones had been
	// recorded before (or lost to a delivery already recorded); Other
	// ones were about texts that are not part of a blast; Unreadable
	// log events were no receipt.
	Recorded, Repeated, Other, Unreadable int
}

// Handle is the Lambda handler. CloudWatch Logs invokes it asynchronously:
// an error makes Lambda try the whole delivery again, which the receipts
// already recorded survive (each counts once), so only a store failure is
// returned; an unreadable delivery or event is logged and dropped.
func (h *Receipts) Handle(ctx context.Context, ev events.CloudwatchLogsEvent) (ReceiptTally, error) {
	var t ReceiptTally
	group, rs, bad, err := ParseLogs(ev.AWSLogs)
	if err != nil {
		slog.ErrorContext(ctx, "delivery receipts unreadable", "err", err)
		return t, nil
	}
	t.Unreadable = len(bad)
	for _, e := range bad {
		slog.WarnContext(ctx, "delivery receipt unreadable", "logGroup", group, "err", e)
	}
	n := h.Concurrency
	if n <= 0 {
		n = 8
	}
	var (
		errs []error
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	work := make(chan Receipt)
	for range min(n, max(len(rs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				changed, err := h.Store.RecordReceipt(ctx, r)
				mu.Lock()
				switch {
				case errors.Is(err, ErrNotFound):
					t.Other++
				case err != nil:
					errs = append(errs, err)
				case changed:
					t.Recorded++
				default:
					t.Repeated++
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range rs {
		work <- r
	}
	close(work)
	wg.Wait()
	slog.InfoContext(ctx, "delivery receipts", "logGroup", group, "recorded", t.Recorded, "repeated", t.Repeated, "other", t.Other, "unreadable", t.Unreadable)
	if err := errors.Join(errs...); err != nil {
		return t, fmt.Errorf("record delivery receipts: %w", err)
	}
	return t, nil
}

// LogEvent is one delivery status record as SNS logs it, for the local
// stack, which writes the records SNS would for the texts it keeps.
type LogEvent struct {
	ProviderID  string
	Destination string
	Delivered   bool
	Response    string
	At          time.Time
}

// Record renders e as SNS writes it to the delivery status log groups.
func (e LogEvent) Record() string {
	status := "FAILURE"
	if e.Delivered {
		status = "SUCCESS"
	}
	b, _ := json.Marshal(map[string]any{
		"notification": map[string]string{"messageId": e.ProviderID, "timestamp": e.At.UTC().Format("2006-01-02 15:04:05.000")},
		"delivery": map[string]any{
			"destination": e.Destination, "providerResponse": e.Response, "smsType": "Transactional",
			"priceInUSD": 0.0, "dwellTimeMs": 0, "dwellTimeMsUntilDeviceAck": 0, "mcc": 0, "mnc": 0,
		},
		"status": status,
	})
	return string(b)
}

// LogsDelivery packs records as CloudWatch Logs delivers a subscription's
// batch to Lambda: JSON, gzipped, base64.
func LogsDelivery(group, stream string, records []string, at time.Time) (events.CloudwatchLogsEvent, error) {
	d := events.CloudwatchLogsData{
		Owner: "000000000000", LogGroup: group, LogStream: stream, MessageType: "DATA_MESSAGE",
		SubscriptionFilters: []string{"receipts"},
	}
	for i, r := range records {
		d.LogEvents = append(d.LogEvents, events.CloudwatchLogsLogEvent{
			ID: fmt.Sprintf("%d%06d", at.UnixMilli(), i), Timestamp: at.UnixMilli(), Message: r,
		})
	}
	plain, err := json.Marshal(d)
	if err != nil {
		return events.CloudwatchLogsEvent{}, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(plain); err != nil {
		return events.CloudwatchLogsEvent{}, err
	}
	if err := zw.Close(); err != nil {
		return events.CloudwatchLogsEvent{}, err
	}
	return events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(buf.Bytes())}}, nil
}
