package console

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/frontdesk/frontdesk/shared/dynamo"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestChartGolden draws the contacts-by-channel chart of three days and
// compares it with testdata/chart-channel.golden.svg.
func TestChartGolden(t *testing.T) {
	days := []dynamo.Daily{
		{Date: "2026-11-30", Contacts: map[string]int{"sms": 12, "web": 3}},
		{Date: "2026-12-01", Contacts: map[string]int{}},
		{Date: "2026-12-02", Contacts: map[string]int{"sms": 1, "web": 4, "email": 20}},
	}
	ch := stacked(langEN, "chart-channel", "Contacts by channel", days, []string{"sms", "web", "email"},
		func(s string) string { return translate(langEN, "ch."+s) },
		func(d dynamo.Daily, s string) int { return d.Contacts[s] })
	if ch.Max != 25 {
		t.Errorf("chart maximum = %d, want 25 (the busiest day)", ch.Max)
	}
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "chart", ch); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "chart-channel.golden.svg")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("chart =\n%s\nwant (%s)\n%s", b.Bytes(), golden, want)
	}
}
