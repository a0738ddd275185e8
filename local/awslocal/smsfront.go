package awslocal

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Text is an SMS a function sent with SNS Publish to a phone number.
type Text struct {
	To, Body, MessageID string
	// Attributes are the message attributes by name (origination number,
	// sender ID, SMS type).
	Attributes map[string]string
	At         time.Time
}

// SMSFront stands in front of the SNS emulator for local runs: SNS Publish
// to a phone number, which fauxqs refuses, is recorded with OnText and
// answered as SNS answers it; every other request goes on to the emulator.
// The functions' SNS endpoint (AWS_ENDPOINT_URL_SNS) points here, so they
// send texts through the same code path as on AWS.
type SMSFront struct {
	// Next is the SNS emulator's endpoint.
	Next *url.URL
	// OnText records a text.
	OnText func(Text)
	proxy  *httputil.ReverseProxy
}

// ServeHTTP handles one SNS request.
func (f *SMSFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.proxy == nil {
		f.proxy = httputil.NewSingleHostReverseProxy(f.Next)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	form, _ := url.ParseQuery(string(body))
	if r.Method != http.MethodPost || form.Get("Action") != "Publish" || form.Get("PhoneNumber") == "" {
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.proxy.ServeHTTP(w, r)
		return
	}
	t := Text{To: form.Get("PhoneNumber"), Body: form.Get("Message"), Attributes: map[string]string{},
		MessageID: "local-sms-" + string(ticket.NewID(time.Now())), At: time.Now().UTC()}
	// MessageAttributes.entry.N.Name / .Value.StringValue
	for i := 1; ; i++ {
		p := "MessageAttributes.entry." + strconv.Itoa(i) + "."
		name := form.Get(p + "Name")
		if name == "" {
			break
		}
		t.Attributes[name] = form.Get(p + "Value.StringValue")
	}
	if f.OnText != nil {
		f.OnText(t)
	}
	type result struct {
		MessageID string `xml:"MessageId"`
	}
	type response struct {
		XMLName   xml.Name `xml:"PublishResponse"`
		XMLNS     string   `xml:"xmlns,attr"`
		Result    result   `xml:"PublishResult"`
		RequestID string   `xml:"ResponseMetadata>RequestId"`
	}
	w.Header().Set("Content-Type", "text/xml")
	_ = xml.NewEncoder(w).Encode(response{XMLNS: "http://sns.amazonaws.com/doc/2010-03-31/", Result: result{t.MessageID}, RequestID: t.MessageID})
}
