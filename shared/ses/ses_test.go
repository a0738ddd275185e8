package ses_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/ses"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestSendRaw(t *testing.T) {
	ep := testenv.Endpoint(t, testenv.EnvSES)
	to := "ses-" + strings.ToLower(string(ticket.NewID(time.Now()))) + "@example.com"
	raw := "From: Frontdesk <support@example.com>\r\nTo: " + to + "\r\nSubject: test\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n你好\r\n"
	id, err := ses.New(awslocal.SES(ep)).SendRaw(context.Background(), "support@example.com", []string{to}, []byte(raw))
	if err != nil || id == "" {
		t.Fatalf("SendRaw = %q, %v, want a message ID", id, err)
	}
	resp, err := http.Get(ep + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Emails []struct {
			MessageID string `json:"messageId"`
			Body      struct {
				Text string `json:"text"`
			} `json:"body"`
		} `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	for _, e := range st.Emails {
		if e.MessageID == id {
			if !strings.Contains(e.Body.Text, "你好") {
				t.Errorf("stored body = %q, want the text", e.Body.Text)
			}
			return
		}
	}
	t.Errorf("message %s not in the SES emulator's store", id)
}
