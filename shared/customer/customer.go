// Package customer reads the customer directory: which contacts are VIP
// (大客户) and who their account manager is. The directory arrives as a
// CSV file from the business's CRM; the store keeps it keyed by hashed
// contact details.
package customer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Record is one directory entry. Phone is E.164 and Email normalized, as
// tickets store them; at least one is set.
type Record struct {
	Phone          string
	Email          string
	VIP            bool
	AccountManager string
}

// Limits on a directory file.
const (
	MaxFileBytes      = 10 << 20
	MaxRecords        = 100_000
	MaxAccountManager = 100
)

// Columns of the CSV file, in any order; the header row names them.
const (
	ColPhone          = "phone"
	ColEmail          = "email"
	ColVIP            = "vip"
	ColAccountManager = "accountManager"
)

// LineError is a problem with one line of the file.
type LineError struct {
	Line int
	Err  error
}

// Error says which line and what is wrong with it.
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns the problem without the line number.
func (e *LineError) Unwrap() error { return e.Err }

// ErrTooLarge reports a file over MaxFileBytes or MaxRecords.
var ErrTooLarge = fmt.Errorf("directory file over %d bytes or %d records", MaxFileBytes, MaxRecords)

// ParseCSV reads a directory file: a header row naming the columns phone,
// email, vip and accountManager (phone or email required, the others
// optional), then one customer per row. Phone numbers without a country
// code are read in region. Every bad line is reported, up to 20.
func ParseCSV(r io.Reader, region string) ([]Record, error) {
	lr := &io.LimitedReader{R: r, N: MaxFileBytes + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		switch h {
		case ColPhone, ColEmail, ColVIP, ColAccountManager:
			if _, dup := cols[h]; dup {
				return nil, fmt.Errorf("header: column %q twice", h)
			}
			cols[h] = i
		default:
			return nil, fmt.Errorf("header: unknown column %q (want %s, %s, %s, %s)", h, ColPhone, ColEmail, ColVIP, ColAccountManager)
		}
	}
	_, hasPhone := cols[ColPhone]
	_, hasEmail := cols[ColEmail]
	if !hasPhone && !hasEmail {
		return nil, errors.New("header: needs a phone or an email column")
	}
	field := func(row []string, name string) string {
		i, ok := cols[name]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	var out []Record
	var errs []error
	for line := 2; ; line++ {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if lr.N <= 0 || len(out) >= MaxRecords {
			return nil, ErrTooLarge
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		rec, err := parseRow(field(row, ColPhone), field(row, ColEmail), field(row, ColVIP), field(row, ColAccountManager), region)
		if err != nil {
			errs = append(errs, &LineError{Line: line, Err: err})
			if len(errs) == 20 {
				break
			}
			continue
		}
		out = append(out, rec)
	}
	if lr.N <= 0 {
		return nil, ErrTooLarge
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func parseRow(phone, email, vip, manager, region string) (Record, error) {
	var rec Record
	if phone == "" && email == "" {
		return rec, errors.New("no phone or email")
	}
	if phone != "" {
		p, code := ticket.NormalizePhone(phone, region)
		if code != "" {
			return rec, fmt.Errorf("phone: %s", code)
		}
		rec.Phone = p
	}
	if email != "" {
		e, code := ticket.NormalizeEmail(email)
		if code != "" {
			return rec, fmt.Errorf("email: %s", code)
		}
		rec.Email = e
	}
	switch strings.ToLower(vip) {
	case "true", "yes", "y", "1", "是":
		rec.VIP = true
	case "", "false", "no", "n", "0", "否":
	default:
		return rec, fmt.Errorf("vip: %q is not yes or no", vip)
	}
	if utf8.RuneCountInString(manager) > MaxAccountManager || !utf8.ValidString(manager) || strings.ContainsFunc(manager, unicode.IsControl) {
		return rec, fmt.Errorf("accountManager: not text of at most %d characters", MaxAccountManager)
	}
	rec.AccountManager = manager
	return rec, nil
}
