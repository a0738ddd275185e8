package sms_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/shared/sms"
)

func readEvent(tb testing.TB, name string) events.SQSEvent {
	tb.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	return ev
}

func TestParseRecordFixtures(t *testing.T) {
	ev := readEvent(t, "sqs-event.json")
	want := []sms.Message{
		{Provider: sms.EndUserMessaging, ID: "cae173d2-66b9-564c-8309-21f858e9fb84", From: "+8613800138000", To: "+8610690000",
			Body: "楼道里有煤气味，请尽快派人来", Keyword: "KEYWORD_111122223333", At: time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)},
		{Provider: sms.EndUserMessaging, ID: "7e2f4a1c-9b1d-4c55-a0b5-3f8c2d1e0002", From: "+14255550182", To: "+12125560142",
			Body: "My bill is wrong this month, I was charged twice", Keyword: "KEYWORD_111122223333",
			ReplyTo: "wJ0fGAobSz1hhi7S4RGGfE8Hn9WaFJTS", At: time.Date(2026, 11, 23, 2, 0, 1, 250e6, time.UTC)},
		// Raw message delivery: the payload alone, no timestamp.
		{Provider: sms.EndUserMessaging, ID: "0b4c7e0e-1c1a-4f0e-9d8e-5a2b9c3d0003", From: "+85291234567", To: "+85230001234",
			Body: "請問什麼時候恢復供電？", Keyword: "KEYWORD_111122223333"},
	}
	if len(ev.Records) != len(want) {
		t.Fatalf("fixture has %d records, want %d", len(ev.Records), len(want))
	}
	for i, rec := range ev.Records {
		got, err := sms.ParseRecord([]byte(rec.Body))
		if err != nil {
			t.Errorf("ParseRecord(record %d) error %v", i, err)
			continue
		}
		if got != want[i] {
			t.Errorf("ParseRecord(record %d) = %+v, want %+v", i, got, want[i])
		}
	}
}

func TestParseRecordRejects(t *testing.T) {
	envelope := func(payload string) string {
		b, _ := json.Marshal(map[string]string{"Type": "Notification", "Message": payload, "Timestamp": "2026-11-23T02:00:00.000Z"})
		return string(b)
	}
	tests := []struct {
		name   string
		body   string
		reason string
	}{
		{"not json", `{"Type":`, sms.ReasonMalformed},
		{"array", `[1,2]`, sms.ReasonMalformed},
		{"subscription confirmation", `{"Type":"SubscriptionConfirmation","Message":"confirm"}`, sms.ReasonMalformed},
		{"payload not json", envelope("hello"), sms.ReasonMalformed},
		{"payload wrong type", envelope(`{"messageBody":5}`), sms.ReasonMalformed},
		{"payload trailing data", envelope(`{"inboundMessageId":"a"} {}`), sms.ReasonMalformed},
		{"no id", envelope(`{"originationNumber":"+8613800138000","messageBody":"hi"}`), sms.ReasonNoID},
		{"body too long", envelope(`{"inboundMessageId":"a","originationNumber":"+8613800138000","messageBody":"` + strings.Repeat("好", 1601) + `"}`), sms.ReasonTooLong},
		{"payload too large", `{"x":"` + strings.Repeat("a", sms.MaxPayload) + `"}`, sms.ReasonTooLarge},
		{"id too long", envelope(`{"inboundMessageId":"` + strings.Repeat("a", 300) + `","messageBody":"hi"}`), sms.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sms.ParseRecord([]byte(tt.body))
			var ie *sms.InputError
			if !errors.As(err, &ie) || ie.Reason != tt.reason {
				t.Fatalf("ParseRecord(%.60q) = %v, want an input error %q", tt.body, err, tt.reason)
			}
			if strings.Contains(err.Error(), "hello") || strings.Contains(err.Error(), "好") {
				t.Errorf("error %q repeats the message text", err)
			}
		})
	}
	// 1,600 characters is still taken.
	ok := envelope(`{"inboundMessageId":"a","originationNumber":"+8613800138000","messageBody":"` + strings.Repeat("好", 1600) + `"}`)
	if _, err := sms.ParseRecord([]byte(ok)); err != nil {
		t.Errorf("ParseRecord(1600 characters) = %v, want it taken", err)
	}
}

func TestTwilioSignature(t *testing.T) {
	// Twilio's published example: token 12345.
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	form := url.Values{
		"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"},
		"From": {"+14158675309"}, "To": {"+18005551212"},
	}
	if got := sms.TwilioSignature("12345", u, form); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Errorf("TwilioSignature(example) = %q, want RSOYDt4T1cUTdK1PDd93/VVr8B8=", got)
	}
	// Repeated parameters are signed with their values sorted.
	repeated := url.Values{"Sid": {"CA123"}, "SidAccount": {"AC123"}, "Digits": {"5678", "1234", "1234"}}
	if got := sms.TwilioSignature("12345", u, repeated); got != "IK+Dwps556ElfBT0I3Rgjkr1wJU=" {
		t.Errorf("TwilioSignature(repeated) = %q, want IK+Dwps556ElfBT0I3Rgjkr1wJU=", got)
	}
	tests := []struct {
		name   string
		tokens []string
		url    string
		sig    string
		form   url.Values
		want   bool
	}{
		{"current token", []string{"12345"}, u, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", form, true},
		{"previous token during rotation", []string{"new-token", "12345"}, u, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", form, true},
		{"wrong token", []string{"54321"}, u, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", form, false},
		{"other url", []string{"12345"}, u + "&baz=3", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", form, false},
		{"tampered form", []string{"12345"}, u, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", url.Values{"Digits": {"9999"}}, false},
		{"no signature", []string{"12345"}, u, "", form, false},
		{"no tokens", nil, u, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", form, false},
		{"empty token", []string{""}, u, sms.TwilioSignature("", u, form), form, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sms.VerifyTwilio(tt.tokens, tt.url, tt.sig, tt.form); got != tt.want {
				t.Errorf("VerifyTwilio = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseTwilio(t *testing.T) {
	data, err := os.ReadFile("testdata/twilio-inbound.txt")
	if err != nil {
		t.Fatal(err)
	}
	form, err := url.ParseQuery(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := sms.ParseTwilio(form)
	if err != nil {
		t.Fatalf("ParseTwilio: %v", err)
	}
	want := sms.Message{Provider: sms.Twilio, ID: "SM1f0e8ae6ade43cb3c0ce4525424e404f", From: "+14255550182", To: "+12125560142", Body: "The streetlight outside no. 12 is broken"}
	if got != want {
		t.Errorf("ParseTwilio = %+v, want %+v", got, want)
	}
	for _, tt := range []struct {
		name   string
		form   url.Values
		reason string
	}{
		{"no MessageSid", url.Values{"From": {"+14255550182"}, "Body": {"hi"}}, sms.ReasonNoID},
		{"no From", url.Values{"MessageSid": {"SM1"}, "Body": {"hi"}}, sms.ReasonNoSender},
		{"blank From", url.Values{"MessageSid": {"SM1"}, "From": {" "}, "Body": {"hi"}}, sms.ReasonNoSender},
	} {
		var ie *sms.InputError
		if _, err := sms.ParseTwilio(tt.form); !errors.As(err, &ie) || ie.Reason != tt.reason {
			t.Errorf("ParseTwilio(%s) = %v, want an input error %q", tt.name, err, tt.reason)
		}
	}
}

func TestTwiML(t *testing.T) {
	tests := []struct{ reply, want string }{
		{"", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response></Response>\n"},
		{"Ref <FD-ABC> & co", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Message>Ref &lt;FD-ABC&gt; &amp; co</Message></Response>\n"},
	}
	for _, tt := range tests {
		if got := string(sms.TwiML(tt.reply)); got != tt.want {
			t.Errorf("TwiML(%q) = %q, want %q", tt.reply, got, tt.want)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	for _, name := range []string{"sqs-event.json", "sqs-bad.json", "sqs-hardening.json"} {
		for _, rec := range readEvent(f, name).Records {
			f.Add([]byte(rec.Body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := sms.ParseRecord(body)
		if err != nil {
			if !sms.IsInput(err) {
				t.Fatalf("ParseRecord error %v is not an input error", err)
			}
			return
		}
		if m.ID == "" || m.From == "" || utf8.RuneCountInString(m.Body) > sms.MaxBody || !utf8.ValidString(m.Body) {
			t.Fatalf("ParseRecord accepted %+v", m)
		}
	})
}

func FuzzParseTwilio(f *testing.F) {
	data, err := os.ReadFile("testdata/twilio-inbound.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(strings.TrimSpace(string(data)))
	f.Add("MessageSid=SM1&From=%2B8613800138000&Body=%E9%80%80%E8%AE%A2")
	f.Add("SmsSid=SM2&Body=")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		m, err := sms.ParseTwilio(form)
		if err != nil {
			if !sms.IsInput(err) {
				t.Fatalf("ParseTwilio error %v is not an input error", err)
			}
			return
		}
		if m.ID == "" || m.From == "" || utf8.RuneCountInString(m.Body) > sms.MaxBody {
			t.Fatalf("ParseTwilio accepted %+v", m)
		}
		// Signing never fails on what was accepted.
		_ = sms.TwilioSignature("token", "https://example.com/sms/twilio", form)
	})
}
