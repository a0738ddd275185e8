package awslocal

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/frontdesk/frontdesk/shared/sms"
)

// TestSMSFront: the production sender's Publish to a phone number is
// recorded and answered; a Publish to a topic goes on to the emulator.
func TestSMSFront(t *testing.T) {
	var mu sync.Mutex
	var forwarded []string
	emu := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		forwarded = append(forwarded, r.Form.Get("Action")+" "+r.Form.Get("TopicArn"))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(`<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>`))
	}))
	defer emu.Close()
	next, _ := url.Parse(emu.URL)
	var texts []Text
	front := httptest.NewServer(&SMSFront{Next: next, OnText: func(tx Text) { texts = append(texts, tx) }})
	defer front.Close()

	client := SNS(front.URL)
	sender := &sms.SNSSender{Client: client, OriginationNumber: "+8610690000"}
	id, err := sender.Send(context.Background(), "+8613900139000", "已收到")
	if err != nil {
		t.Fatalf("Send = %v", err)
	}
	if len(texts) != 1 || texts[0].To != "+8613900139000" || texts[0].Body != "已收到" || texts[0].MessageID != id ||
		texts[0].Attributes["AWS.MM.SMS.OriginationNumber"] != "+8610690000" {
		t.Errorf("recorded %+v (id %q), want the text with its origination number", texts, id)
	}
	out, err := client.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:t"), Message: aws.String("{}")})
	if err != nil || aws.ToString(out.MessageId) != "m-1" {
		t.Fatalf("Publish to a topic = %v, %v; want the emulator's answer", out, err)
	}
	if len(forwarded) != 1 || forwarded[0] != "Publish arn:aws:sns:us-east-1:000000000000:t" || len(texts) != 1 {
		t.Errorf("forwarded %v, texts %d; want only the topic publish forwarded", forwarded, len(texts))
	}
}
