// Package blastsender wires notification blasts to AWS: the send queue on
// SQS, the texts (and answers to their replies) through the outbound
// service over the SMS channel's sender, the store on DynamoDB, and the
// configuration of the blast sender function.
package blastsender

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/frontdesk/frontdesk/shared/blast"
)

// SQSAPI is the part of the SQS client the queue uses.
type SQSAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Queue is the blast send queue on SQS.
type Queue struct {
	Client SQSAPI
	URL    string
}

var _ blast.Queue = (*Queue)(nil)

// Enqueue sends jobs ten to a request, each held back delay (at most
// blast.MaxDelay).
func (q *Queue) Enqueue(ctx context.Context, jobs []blast.Job, delay time.Duration) error {
	secs := int32(min(max(delay, 0), blast.MaxDelay) / time.Second)
	for len(jobs) > 0 {
		batch := jobs[:min(10, len(jobs))]
		jobs = jobs[len(batch):]
		entries := make([]sqstypes.SendMessageBatchRequestEntry, len(batch))
		for i, j := range batch {
			body, err := json.Marshal(j)
			if err != nil {
				return fmt.Errorf("encode blast job: %w", err)
			}
			entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body)), DelaySeconds: secs}
		}
		for try := 0; len(entries) > 0; try++ {
			if try == 5 {
				return fmt.Errorf("queue blast jobs: %d entries refused", len(entries))
			}
			out, err := q.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.URL), Entries: entries})
			if err != nil {
				return fmt.Errorf("queue blast jobs: %w", err)
			}
			var again []sqstypes.SendMessageBatchRequestEntry
			for _, f := range out.Failed {
				if f.SenderFault {
					return fmt.Errorf("queue blast jobs: %s", aws.ToString(f.Code))
				}
				for _, e := range entries {
					if aws.ToString(e.Id) == aws.ToString(f.Id) {
						again = append(again, e)
					}
				}
			}
			entries = again
		}
	}
	return nil
}
