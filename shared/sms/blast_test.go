package sms_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/sqspoll"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestBlastReplies sends 1,000 replies to one blast from 1,000 numbers,
// each published twice in shuffled order, through fauxqs (SNS topic → SQS
// queue) and the queue handler: exactly 1,000 tickets, each linked to the
// blast, each holding one reply and one acknowledgement, and each number
// texted exactly once.
func TestBlastReplies(t *testing.T) {
	const numbers = 1000
	const blast = "blast-outage-2026-11-23"
	f := setup(t)
	// Real time here: fauxqs stamps the notifications with it.
	f.clock.set(time.Now())
	endpoint := testenv.Endpoint(t, testenv.EnvFauxqs)
	snsc, sqsc := awslocal.SNS(endpoint), awslocal.SQS(endpoint)
	// A bound so the test stops by itself, not a speed target: the pollers
	// end when the queue is drained, however slow the machine.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	topic, queueURL, queueARN, err := sqspoll.Wire(ctx, snsc, sqsc, "sms-in-"+suffix, "sms-in-"+suffix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = sqsc.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(queueURL)})
		_, _ = snsc.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: aws.String(topic)})
	})

	var payloads []string
	for i := 0; i < numbers; i++ {
		p, _ := json.Marshal(sms.Inbound{
			OriginationNumber: fmt.Sprintf("+86139%08d", i), DestinationNumber: "+8610690000",
			MessageBody: "停电了，什么时候来电？", InboundMessageID: fmt.Sprintf("reply-%04d", i),
			PreviousPublishedMessageID: blast,
		})
		payloads = append(payloads, string(p), string(p))
	}
	rand.Shuffle(len(payloads), func(i, j int) { payloads[i], payloads[j] = payloads[j], payloads[i] })
	for i := 0; i < len(payloads); i += 10 {
		var entries []snstypes.PublishBatchRequestEntry
		for j, p := range payloads[i:min(i+10, len(payloads))] {
			entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), Message: aws.String(p)})
		}
		out, err := snsc.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(topic), PublishBatchRequestEntries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("PublishBatch: %v %+v", err, out)
		}
	}

	h := &sms.QueueHandler{Service: f.svc}
	p := &sqspoll.Poller{SQS: sqsc, QueueURL: queueURL, QueueARN: queueARN, Region: awslocal.Region, Handler: h.Handle, Wait: 1, Visibility: 60}
	var (
		mu       sync.Mutex
		received int
		wg       sync.WaitGroup
	)
	// The pollers stop when every delivery has been handled, not when the
	// queue looks empty for a while (messages in flight are invisible);
	// the context bounds the wait.
	done := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return received >= 2*numbers
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && !done() {
				n, err := p.Once(ctx)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("poll: %v", err)
					}
					return
				}
				mu.Lock()
				received += n
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatalf("only %d of %d deliveries handled before the bound", received, 2*numbers)
	}
	// A batch slower than the visibility timeout comes round again, as
	// with SQS: at least every delivery, maybe more.
	if received < 2*numbers {
		t.Errorf("handler received %d deliveries, want at least %d", received, 2*numbers)
	}

	list := f.tickets(t)
	phones := map[string]bool{}
	for _, tk := range list {
		if tk.BlastID != blast {
			t.Errorf("ticket %s blast = %q, want %q", tk.Ref, tk.BlastID, blast)
		}
		phones[tk.Contact.Phone] = true
	}
	if len(list) != numbers || len(phones) != numbers {
		t.Fatalf("%d tickets for %d numbers, want %d for %d", len(list), len(phones), numbers, numbers)
	}
	// Every ticket holds its one reply and one acknowledgement, and every
	// number got exactly the one text recorded there.
	for _, tk := range list {
		full := f.view(t, tk.ID)
		in, acks := 0, 0
		var ackID string
		for _, m := range full.Messages {
			switch {
			case m.Direction == ticket.Inbound:
				in++
			case m.Meta["purpose"] == string(sms.PurposeAck):
				acks++
				ackID = m.SourceID
			}
		}
		sent := f.texts.to(tk.Contact.Phone)
		if in != 1 || acks != 1 || len(sent) != 1 || sent[0].ID != ackID {
			t.Errorf("ticket %s has %d replies and %d acknowledgements, %d texts sent to its number; want 1, 1 and 1 (the one recorded)", tk.Ref, in, acks, len(sent))
		}
	}
	if n := f.texts.count(); n != numbers {
		t.Errorf("%d texts sent, want %d acknowledgements", n, numbers)
	}
}
