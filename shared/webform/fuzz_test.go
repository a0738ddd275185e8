package webform_test

import (
	"context"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/webform"
)

// checkingReceiver fails the fuzz run when the form hands intake anything
// it should have rejected, and otherwise accepts it.
type checkingReceiver struct{ t *testing.T }

func (c checkingReceiver) Receive(_ context.Context, in intake.Inbound) (intake.Receipt, error) {
	if in.Contact.Phone == "" && in.Contact.Email == "" {
		c.t.Fatalf("contact without phone or email reached intake: %+v", in.Contact)
	}
	if in.Body == "" || utf8.RuneCountInString(in.Body) > ticket.MaxMessage || !utf8.ValidString(in.Body) {
		c.t.Fatalf("message of %d characters reached intake", utf8.RuneCountInString(in.Body))
	}
	if ticket.CleanText(in.Body) != in.Body || ticket.HasHidden(in.Contact.Name) || ticket.HasHidden(in.Contact.Email) {
		c.t.Fatalf("hidden characters reached intake: %+q, %q", in.Contact, in.Body)
	}
	if in.Source.ID == "" || len(in.Source.ID) > 128 {
		c.t.Fatalf("source ID %q reached intake", in.Source.ID)
	}
	if cb := in.Callback; cb != nil && (!cb.End.After(cb.Start) || cb.Zone == "") {
		c.t.Fatalf("bad callback reached intake: %+v", cb)
	}
	return intake.Receipt{Ticket: &ticket.Ticket{Ref: "FD-AAAAAA", Status: ticket.New, Channel: ticket.Web, Kind: ticket.Other, Priority: ticket.P3}, Created: true}, nil
}

func FuzzPostContacts(f *testing.F) {
	f.Add("application/json", `{"phone":"13800138000","message":"停电了","consent":true}`)
	f.Add("application/json", `{"email":"a@b.cn","message":"x","consent":true,"callback":{"date":"2026-11-24","from":"09:00","to":"10:00","timeZone":"Asia/Shanghai"}}`)
	f.Add("application/x-www-form-urlencoded", "phone=%2B8613800138000&message=hi&consent=yes&token=01KAQZ8Y5N3J7M9P2R4T6V8X0Z")
	f.Add("application/x-www-form-urlencoded", "callback.date=2026-11-24&callback.from=09%3A00&callback.to=08%3A00")
	f.Add("application/json; charset=utf-8", `{"message":"\ud800"}`)
	f.Add("text/plain", "hello")
	f.Add("application/x-www-form-urlencoded", "phone=13800138000&message=hi&consent=no")
	f.Add("application/x-www-form-urlencoded", "phone=13800138000&phone=13912345678&message=hi&consent=yes")
	f.Add("application/json", `{"phone":"13800138000","message":"hi","consent":true,"PHONE":"1-800-FLOWERS"}`)
	f.Add("application/json", `{"name":"\ufeff陈","phone":"138 0013 8000 转 99","message":"\u202e\u0000x","consent":true}`)
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		h := webform.New(checkingReceiver{t}, webform.Config{
			Calendar: ticket.DefaultCalendar(shanghai), Region: "CN", PerIP: 10, Global: 10,
			Now: func() time.Time { return now },
		})
		req := httptest.NewRequest(http.MethodPost, "/contacts", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusCreated, http.StatusBadRequest, http.StatusUnprocessableEntity,
			http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("POST %q %q = %d, want a 2xx or a specific 4xx", contentType, body, rec.Code)
		}
		if rec.Code >= 400 && rec.Body.Len() == 0 {
			t.Fatalf("POST %q %q = %d with no explanation", contentType, body, rec.Code)
		}
		// A browser form is taken only with an explicit yes to consent,
		// and never with a field sent twice.
		if ct, _, _ := mime.ParseMediaType(contentType); rec.Code == http.StatusCreated && ct == "application/x-www-form-urlencoded" {
			vals, _ := url.ParseQuery(body)
			if c := strings.ToLower(strings.TrimSpace(vals.Get("consent"))); c != "yes" && c != "on" && c != "true" && c != "1" && vals.Get(webform.Honeypot) == "" {
				t.Fatalf("POST %q was taken with consent %q", body, vals.Get("consent"))
			}
			for k, v := range vals {
				if len(v) > 1 {
					t.Fatalf("POST %q was taken with %s sent %d times", body, k, len(v))
				}
			}
		}
	})
}
