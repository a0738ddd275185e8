package blast_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/blast"
)

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

func TestParseReceipt(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want blast.Receipt
		err  bool
	}{
		{name: "success", in: string(readFile(t, "testdata/receipts/success.json")), want: blast.Receipt{
			ProviderID: "34d9b400-c6dd-5444-820d-fbeb0f1f54cf", Delivered: true, Response: "Message has been accepted by phone carrier",
			At: time.Date(2016, 6, 28, 0, 40, 34, 558e6, time.UTC)}},
		{name: "failure", in: string(readFile(t, "testdata/receipts/failure.json")), want: blast.Receipt{
			ProviderID: "1077257a-92f3-5ca3-bc97-6a915b310625", Response: "Unknown error attempting to reach phone",
			At: time.Date(2016, 6, 28, 0, 40, 34, 559e6, time.UTC)}},
		{name: "no timestamp", in: `{"notification":{"messageId":"m1"},"status":"SUCCESS"}`, want: blast.Receipt{ProviderID: "m1", Delivered: true}},
		{name: "unknown status", in: `{"notification":{"messageId":"m1"},"status":"PENDING"}`, err: true},
		{name: "no message ID", in: `{"notification":{"messageId":" "},"status":"SUCCESS"}`, err: true},
		{name: "topic delivery log", in: `{"notification":{"messageId":"m1","topicArn":"arn:aws:sns:eu-west-1:1:t"},"delivery":{"statusCode":200},"status":"SUCCESS"}`,
			want: blast.Receipt{ProviderID: "m1", Delivered: true}},
		{name: "not JSON", in: "START RequestId: 1", err: true},
		{name: "array", in: `[]`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := blast.ParseReceipt([]byte(tt.in))
			if tt.err {
				if !errors.Is(err, blast.ErrReceipt) {
					t.Fatalf("ParseReceipt(%q) = %+v, %v; want ErrReceipt", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseReceipt(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

// memReceipts records receipts as the store would: once per provider ID
// and outcome, delivered winning over failed.
type memReceipts struct {
	mu     sync.Mutex
	status map[string]bool // provider ID → delivered
	known  map[string]bool
	fail   error
}

func (m *memReceipts) RecordReceipt(_ context.Context, r blast.Receipt) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return false, m.fail
	}
	if !m.known[r.ProviderID] {
		return false, blast.ErrNotFound
	}
	delivered, seen := m.status[r.ProviderID]
	if seen && (delivered || !r.Delivered) {
		return false, nil
	}
	m.status[r.ProviderID] = r.Delivered
	return true, nil
}

// TestReceiptsHandler pushes CloudWatch Logs deliveries through the Lambda
// runtime's own JSON path: receipts recorded once, events that are no
// receipt and texts of no blast told apart, a store failure returned so
// Lambda tries again, a real non-SNS log delivery dropped.
func TestReceiptsHandler(t *testing.T) {
	store := &memReceipts{status: map[string]bool{}, known: map[string]bool{
		"34d9b400-c6dd-5444-820d-fbeb0f1f54cf": true, "1077257a-92f3-5ca3-bc97-6a915b310625": true,
	}}
	h := lambda.NewHandler((&blast.Receipts{Store: store}).Handle)
	ctx := context.Background()
	payload := readFile(t, "testdata/receipts/logs-event.json")
	tests := []struct {
		name    string
		payload []byte
		want    blast.ReceiptTally
		err     bool
	}{
		{"first delivery", payload, blast.ReceiptTally{Recorded: 2, Unreadable: 1}, false},
		{"redelivered", payload, blast.ReceiptTally{Repeated: 2, Unreadable: 1}, false},
		{"another service's logs", readFile(t, "testdata/receipts/not-receipts-event.json"), blast.ReceiptTally{Unreadable: 2}, false},
		{"not base64", []byte(`{"awslogs":{"data":"%%%"}}`), blast.ReceiptTally{}, false},
	}
	for _, tt := range tests {
		out, err := h.Invoke(ctx, tt.payload)
		var got blast.ReceiptTally
		if err == nil {
			err = json.Unmarshal(out, &got)
		}
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%s: Invoke = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
	store.known = map[string]bool{}
	if out, err := h.Invoke(ctx, payload); err != nil || !strings.Contains(string(out), `"Other":2`) {
		t.Errorf("texts of no blast: Invoke = %s, %v; want Other 2", out, err)
	}
	store.fail = errors.New("throttled")
	if _, err := h.Invoke(ctx, payload); err == nil {
		t.Error("store failing: Invoke = nil error, want one so that Lambda tries again")
	}
}

// TestLogsDeliveryReadsBack: the local stack's deliveries decode with the
// Lambda library's own reader, as the deployed ones do.
func TestLogsDeliveryReadsBack(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	rec := blast.LogEvent{ProviderID: "local-sms-1", Destination: "+8613999000001", Response: "Unknown error attempting to reach phone", At: at}.Record()
	ev, err := blast.LogsDelivery("sns/local/000000000000/DirectPublishToPhoneNumber/Failure", "s", []string{rec}, at)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ev.AWSLogs.Parse()
	if err != nil || len(d.LogEvents) != 1 || d.LogGroup != "sns/local/000000000000/DirectPublishToPhoneNumber/Failure" {
		t.Fatalf("Parse = %+v, %v", d, err)
	}
	got, err := blast.ParseReceipt([]byte(d.LogEvents[0].Message))
	want := blast.Receipt{ProviderID: "local-sms-1", Response: "Unknown error attempting to reach phone", At: at}
	if err != nil || got != want {
		t.Fatalf("ParseReceipt(local record) = %+v, %v; want %+v", got, err, want)
	}
}

// TestParseLogsBounded: a delivery that unzips past MaxReceiptLog is
// refused, not read into memory.
func TestParseLogsBounded(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"logEvents":[{"message":"`))
	_, _ = zw.Write(bytes.Repeat([]byte("a"), blast.MaxReceiptLog))
	_, _ = zw.Write([]byte(`"}]}`))
	_ = zw.Close()
	_, rs, _, err := blast.ParseLogs(events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(buf.Bytes())})
	if err == nil || len(rs) != 0 {
		t.Fatalf("ParseLogs(%d bytes unzipped) = %d receipts, %v; want an error", blast.MaxReceiptLog+30, len(rs), err)
	}
}

func FuzzParseReceipt(f *testing.F) {
	f.Add(readFile(f, "testdata/receipts/success.json"))
	f.Add(readFile(f, "testdata/receipts/failure.json"))
	f.Add([]byte(`{"notification":{"messageId":"m"},"status":"SUCCESS"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := blast.ParseReceipt(b)
		if err != nil {
			if !errors.Is(err, blast.ErrReceipt) {
				t.Fatalf("ParseReceipt error %v is not ErrReceipt", err)
			}
			return
		}
		if r.ProviderID == "" || strings.TrimSpace(r.ProviderID) != r.ProviderID || len(r.Response) > 500 {
			t.Fatalf("ParseReceipt(%q) = %+v", b, r)
		}
		// What the local stack writes for a receipt reads back the same.
		again, err := blast.ParseReceipt([]byte(blast.LogEvent{ProviderID: r.ProviderID, Delivered: r.Delivered, Response: r.Response, At: r.At.Truncate(time.Millisecond)}.Record()))
		if err != nil || again.ProviderID != r.ProviderID || again.Delivered != r.Delivered || again.Response != r.Response {
			t.Fatalf("round trip of %+v = %+v, %v", r, again, err)
		}
	})
}

func FuzzParseLogs(f *testing.F) {
	for _, p := range []string{"testdata/receipts/logs-event.json", "testdata/receipts/not-receipts-event.json"} {
		var ev events.CloudwatchLogsEvent
		if err := json.Unmarshal(readFile(f, p), &ev); err != nil {
			f.Fatal(err)
		}
		f.Add(ev.AWSLogs.Data)
	}
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		_, rs, bad, err := blast.ParseLogs(events.CloudwatchLogsRawData{Data: data})
		if err != nil && (len(rs) > 0 || len(bad) > 0) {
			t.Fatalf("ParseLogs failed (%v) yet returned %d receipts, %d bad events", err, len(rs), len(bad))
		}
		for _, r := range rs {
			if r.ProviderID == "" {
				t.Fatalf("receipt without a message ID: %+v", r)
			}
		}
	})
}
