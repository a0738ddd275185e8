package sms_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRepliesGolden renders every reply in every language, with its
// segment count, and the TwiML answers, against testdata/replies.golden.
func TestRepliesGolden(t *testing.T) {
	kw := sms.MustDefaultKeywords()
	var b strings.Builder
	for _, lang := range []ticket.Language{"en", "zh-Hans", "zh-Hant", "fr"} {
		for _, name := range []sms.Text{sms.TextAck, sms.TextOptOut, sms.TextOptIn, sms.TextHelp} {
			text := kw.Reply(lang, name, "FD-7KQ2MX")
			seg := sms.Count(text)
			fmt.Fprintf(&b, "%s %s [%s %d units, %d part]\n%s\n\n", lang, name, seg.Encoding, seg.Units, seg.Parts, text)
		}
	}
	b.WriteString("twiml ack\n")
	b.Write(sms.TwiML(kw.Reply("zh-Hans", sms.TextAck, "FD-7KQ2MX")))
	b.WriteString("\ntwiml none\n")
	b.Write(sms.TwiML(""))
	got := b.String()
	const golden = "testdata/replies.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestRepliesGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("replies differ from %s (rerun with -update if the change is meant):\n%s", golden, got)
	}
}
