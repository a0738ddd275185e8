package blastsender

import (
	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/sms"
)

// channel is where blast texts go out and who is refused them: the SMS
// channel's SNS sender and the opt-out records of the ticket table. This
// is the one place to switch when every customer message goes through a
// single outbound service.
func channel(sender *sms.SNSSender, store *dynamo.Store) (blast.Sender, blast.OptOuts) {
	return sender, store
}

// Replies to blasts are linked by the SMS channel, which finds the link
// on the ticket table's store.
var _ sms.BlastReplies = (*dynamo.Store)(nil)
