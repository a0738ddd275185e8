package blastsender

import (
	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/sms"
)

// channel is where blast texts and answers to their replies go out: the
// outbound service, the one way Frontdesk messages a customer, over the
// SMS channel's sender (SNS, or the local outbox behind the local SNS
// front) and the ticket table, whose opt-out records refuse texts.
func channel(sender outbound.TextSender, store *dynamo.Store) (blast.Sender, blast.OptOuts) {
	return &outbound.Service{Store: store, Texts: sender}, store
}

// Replies to blasts are linked by the SMS channel, which finds the link
// on the ticket table's store.
var _ sms.BlastReplies = (*dynamo.Store)(nil)
