package ticket

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Field error codes. Channels turn a code into a message in the customer's
// language; the code itself never changes.
const (
	CodeRequired        = "required"
	CodeTooLong         = "too_long"
	CodePhoneInvalid    = "phone_invalid"
	CodePhoneRegion     = "phone_region"
	CodePhoneLetters    = "phone_letters"
	CodePhoneExtension  = "phone_extension"
	CodePhoneCost       = "phone_premium"
	CodeEmailInvalid    = "email_invalid"
	CodeEmailHidden     = "email_hidden"
	CodeContactRequired = "contact_required"
	CodeKindInvalid     = "kind_invalid"
	CodeConsent         = "consent_required"
	CodeDate            = "date_invalid"
	CodeTime            = "time_invalid"
	CodeZone            = "zone_invalid"
	CodeWindow          = "window_invalid"
	CodePast            = "callback_past"
	CodeTooFar          = "callback_too_far"
	CodeOutsideHours    = "callback_outside_hours"
	CodeTimeSkipped     = "callback_time_skipped"
	CodeTimeRepeated    = "callback_time_repeated"
)

// FieldError is one problem with one field of a contact.
type FieldError struct {
	Field string
	Code  string
	// Args fill in the message: the allowed hours, the furthest date, ….
	Args map[string]string
}

// ValidationError lists every problem with a contact, one per field.
type ValidationError []FieldError

func (e ValidationError) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Code
	}
	return "invalid contact: " + strings.Join(parts, ", ")
}

// Add records a problem with field unless one is already recorded for it.
func (e *ValidationError) Add(field, code string, args map[string]string) {
	for _, f := range *e {
		if f.Field == field {
			return
		}
	}
	*e = append(*e, FieldError{Field: field, Code: code, Args: args})
}

// Has reports whether field already has a problem.
func (e ValidationError) Has(field string) bool {
	for _, f := range e {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns e as an error, or nil when there is nothing wrong.
func (e ValidationError) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Limits on contact fields, in characters.
const (
	MaxName    = 100
	MaxEmail   = 254
	MaxPhone   = 32
	MaxMessage = 5000
)

// extension matches a number followed by an extension: "ext 99", "x99",
// "#99", "转 99", "分机 99", "内线 99".
var extension = regexp.MustCompile(`(?i)(?:\bext(?:n|ension)?\.?|\bx|#|转|轉|分机|分機|内线|內線)\s*[:：.]?\s*[0-9０-９]+\s*$`)

// NormalizePhone returns raw in E.164. Numbers without a country code are
// read in defaultRegion (an ISO 3166 code such as "CN"). Hidden characters
// are dropped first. The error is a FieldError code: CodePhoneInvalid,
// CodePhoneRegion, CodePhoneLetters (a number spelled with letters, such as
// 1-800-FLOWERS, which would otherwise be read as some other real number),
// CodePhoneExtension (an extension cannot be dialled by the systems that
// call and text back, and is never dropped silently) or CodePhoneCost (a
// premium-rate or shared-cost number).
func NormalizePhone(raw, defaultRegion string) (string, string) {
	raw = CleanLine(raw)
	if utf8.RuneCountInString(raw) > MaxPhone {
		return "", CodePhoneInvalid
	}
	if extension.MatchString(raw) {
		return "", CodePhoneExtension
	}
	if strings.IndexFunc(raw, unicode.IsLetter) >= 0 {
		return "", CodePhoneLetters
	}
	n, err := phonenumbers.Parse(raw, defaultRegion)
	if err != nil {
		if err == phonenumbers.ErrInvalidCountryCode {
			return "", CodePhoneRegion
		}
		return "", CodePhoneInvalid
	}
	if n.GetExtension() != "" {
		return "", CodePhoneExtension
	}
	if phonenumbers.GetRegionCodeForNumber(n) == "" && n.GetCountryCode() != 0 && !phonenumbers.IsValidNumber(n) {
		return "", CodePhoneRegion
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", CodePhoneInvalid
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST:
		return "", CodePhoneCost
	}
	return phonenumbers.Format(n, phonenumbers.E164), ""
}

// NormalizeEmail trims raw, lowercases its domain and checks it is one
// plain address (no display name, no list). The local part keeps its case:
// some mail systems honour it. An address holding a hidden character (see
// Hidden) is refused with CodeEmailHidden rather than cleaned: what is left
// may not be the address the customer meant.
func NormalizeEmail(raw string) (string, string) {
	raw = strings.TrimSpace(raw)
	if HasHidden(raw) {
		return "", CodeEmailHidden
	}
	if raw == "" || len(raw) > MaxEmail {
		return "", CodeEmailInvalid
	}
	a, err := mail.ParseAddress(raw)
	if err != nil || a.Name != "" || a.Address != raw {
		return "", CodeEmailInvalid
	}
	at := strings.LastIndexByte(a.Address, '@')
	if at <= 0 || at == len(a.Address)-1 || !strings.Contains(a.Address[at+1:], ".") {
		return "", CodeEmailInvalid
	}
	return a.Address[:at] + "@" + strings.ToLower(a.Address[at+1:]), ""
}

// NormalizeMessage returns a message body cleaned (CleanText) and trimmed,
// or the FieldError code for it: CodeRequired when nothing is left,
// CodeTooLong when over MaxMessage characters.
func NormalizeMessage(body string) (string, string) {
	body = strings.TrimSpace(CleanText(body))
	switch {
	case body == "":
		return "", CodeRequired
	case utf8.RuneCountInString(body) > MaxMessage:
		return body, CodeTooLong
	}
	return body, ""
}

// NormalizeContact checks and normalizes a contact, reporting every bad
// field at once under the names "name", "phone", "email" and "contact"
// (neither phone nor email given). The name loses its hidden characters
// (CleanLine); a name with nothing else is no name.
func NormalizeContact(c Contact, defaultRegion string) (Contact, ValidationError) {
	var errs ValidationError
	c.Name = CleanLine(c.Name)
	if utf8.RuneCountInString(c.Name) > MaxName {
		errs.Add("name", CodeTooLong, map[string]string{"max": fmt.Sprint(MaxName)})
	}
	if CleanLine(c.Phone) != "" {
		p, code := NormalizePhone(c.Phone, defaultRegion)
		if code != "" {
			errs.Add("phone", code, nil)
		}
		c.Phone = p
	} else {
		c.Phone = ""
	}
	if strings.TrimSpace(c.Email) != "" {
		e, code := NormalizeEmail(c.Email)
		if code != "" {
			errs.Add("email", code, nil)
		}
		c.Email = e
	} else {
		c.Email = ""
	}
	if c.Phone == "" && c.Email == "" && !errs.Has("phone") && !errs.Has("email") {
		errs.Add("contact", CodeContactRequired, nil)
	}
	return c, errs
}
