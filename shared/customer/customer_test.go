package customer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/shared/customer"
)

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []customer.Record
		wantErr string
	}{
		{
			name: "every column",
			in:   "phone,email,vip,accountManager\n138 0013 8000,Li.Lei@Example.COM,yes,wang.fang\n+44 20 7946 0958,,no,\n",
			want: []customer.Record{
				{Phone: "+8613800138000", Email: "Li.Lei@example.com", VIP: true, AccountManager: "wang.fang"},
				{Phone: "+442079460958"},
			},
		},
		{
			name: "columns in another order, BOM, Chinese yes",
			in:   "\ufeffvip,email\n是,a@b.cn\n",
			want: []customer.Record{{Email: "a@b.cn", VIP: true}},
		},
		{name: "unknown column", in: "phone,name\n1,2\n", wantErr: `unknown column "name"`},
		{name: "no contact column", in: "vip\nyes\n", wantErr: "needs a phone or an email"},
		{name: "bad phone", in: "phone,vip\n12,yes\n", wantErr: "line 2: phone: phone_invalid"},
		{name: "bad vip", in: "phone,vip\n13800138000,maybe\n", wantErr: `line 2: vip: "maybe"`},
		{name: "empty row", in: "phone,email\n,\n", wantErr: "line 2: no phone or email"},
		{name: "empty file", in: "", wantErr: "read header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := customer.ParseCSV(strings.NewReader(tt.in), "CN")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseCSV(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCSV(%q): %v", tt.in, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ParseCSV(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("record %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestParseCSVReportsEveryBadLine(t *testing.T) {
	_, err := customer.ParseCSV(strings.NewReader("phone\n1\n13800138000\n2\n"), "CN")
	var le *customer.LineError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("ParseCSV error = %v, want lines 2 and 4", err)
	}
}

func TestParseCSVTooLarge(t *testing.T) {
	big := "phone\n" + strings.Repeat("13800138000\n", customer.MaxFileBytes/12+10)
	if _, err := customer.ParseCSV(strings.NewReader(big), "CN"); !errors.Is(err, customer.ErrTooLarge) {
		t.Errorf("ParseCSV(%d bytes) error = %v, want ErrTooLarge", len(big), err)
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add("phone,email,vip,accountManager\n138 0013 8000,li@example.com,yes,wang\n")
	f.Add("email\n\"a@b.cn\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := customer.ParseCSV(strings.NewReader(in), "CN")
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.Phone == "" && r.Email == "" {
				t.Fatalf("ParseCSV(%q) made a record without contact: %+v", in, r)
			}
			if r.Phone != "" && !strings.HasPrefix(r.Phone, "+") {
				t.Fatalf("ParseCSV(%q) phone %q is not E.164", in, r.Phone)
			}
		}
	})
}
