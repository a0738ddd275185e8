package blast_test

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// count is the SMS channel's segment counter, as the blast sender wires it.
func count(text string) (int, string) {
	c := sms.Count(text)
	return c.Parts, string(c.Encoding)
}

func TestPlan(t *testing.T) {
	zh70 := strings.Repeat("停", 70)
	tests := []struct {
		name  string
		texts map[string]string
		pace  float64
		want  blast.Plan
	}{
		{
			"one part each",
			map[string]string{string(ticket.SimplifiedChinese): zh70, string(ticket.English): strings.Repeat("a", 160)},
			2,
			blast.Plan{Recipients: 4, Segments: 4, Pace: 2, Duration: 2 * time.Second, Languages: []blast.LanguagePlan{
				{Language: string(ticket.English), Recipients: 1, Encoding: "GSM-7", Parts: 1, Segments: 1},
				{Language: string(ticket.SimplifiedChinese), Recipients: 3, Encoding: "UCS-2", Parts: 1, Segments: 3},
			}},
		},
		{
			// One Chinese character too many splits the text in two parts of
			// 67; a euro sign costs two septets.
			"split texts",
			map[string]string{string(ticket.SimplifiedChinese): zh70 + "。", string(ticket.English): strings.Repeat("a", 159) + "€"},
			3,
			blast.Plan{Recipients: 4, Segments: 8, Pace: 3, Duration: 2 * time.Second, Languages: []blast.LanguagePlan{
				{Language: string(ticket.English), Recipients: 1, Encoding: "GSM-7", Parts: 2, Segments: 2},
				{Language: string(ticket.SimplifiedChinese), Recipients: 3, Encoding: "UCS-2", Parts: 2, Segments: 6},
			}},
		},
		{
			// Without an English text everyone gets the default.
			"default language only",
			map[string]string{string(ticket.SimplifiedChinese): "停水通知"},
			1,
			blast.Plan{Recipients: 4, Segments: 4, Pace: 1, Duration: 4 * time.Second, Languages: []blast.LanguagePlan{
				{Language: string(ticket.SimplifiedChinese), Recipients: 4, Encoding: "UCS-2", Parts: 1, Segments: 4},
			}},
		},
	}
	audience := "phone,language\n13800138000,zh\n13900139000,en\n13700137000,\n13600136000,fr\n13800138000,en\nbad,en\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := blast.NewPlanner(tt.texts, string(ticket.SimplifiedChinese))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := blast.Read(strings.NewReader(audience), blast.Options{Region: "CN"}, func(r blast.Row) error {
				p.Add(r)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			got, err := p.Plan(count, tt.pace)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Plan = %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
}

func TestPlanRefuses(t *testing.T) {
	if _, err := blast.NewPlanner(map[string]string{string(ticket.English): "Water off"}, string(ticket.SimplifiedChinese)); err == nil {
		t.Error("NewPlanner without a default text gave no error")
	}
	p, _ := blast.NewPlanner(map[string]string{string(ticket.English): "Water off"}, string(ticket.English))
	for _, pace := range []float64{0, -1} {
		if _, err := p.Plan(count, pace); err == nil {
			t.Errorf("Plan at pace %v gave no error", pace)
		}
	}
}

// audience generates an audience file line by line, so that the input
// itself takes no memory: rows numbers from unique distinct ones, each with
// a name and a language.
type audience struct {
	rows, unique, next int
	buf                []byte
}

func (a *audience) Read(p []byte) (int, error) {
	for len(a.buf) < len(p) && a.next <= a.rows {
		if a.next == 0 {
			a.buf = append(a.buf, "手机,姓名,语言\r\n"...)
		} else {
			lang := [...]string{"zh", "en", "繁體"}[a.next%3]
			a.buf = fmt.Appendf(a.buf, "1380%07d,\"客户 %d\",%s\r\n", a.next%a.unique, a.next, lang)
		}
		a.next++
	}
	if len(a.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, a.buf)
	a.buf = a.buf[:copy(a.buf, a.buf[n:])]
	return n, nil
}

// BenchmarkPlan reads and plans a generated audience. It reports the peak
// heap in use above what was in use before reading (sampled after a
// collection every 20,000 rows) and the duplicate set's estimated size: with 200,000 rows of 1,000
// numbers the heap stays as small as with 1,000 rows, and with distinct
// numbers it grows with the set only.
func BenchmarkPlan(b *testing.B) {
	texts := map[string]string{
		string(ticket.SimplifiedChinese):  "【自来水】11月24日9:00-17:00解放路停水抢修，请提前储水。回复TD退订",
		string(ticket.TraditionalChinese): "【自來水】11月24日9:00-17:00解放路停水搶修，請提前儲水。回覆TD退訂",
		string(ticket.English):            "Water: no supply on Jiefang Rd 24 Nov 09:00-17:00 for repairs. Reply STOP to opt out",
	}
	for _, size := range []struct{ rows, unique int }{{20_000, 20_000}, {200_000, 200_000}, {200_000, 1_000}} {
		b.Run(fmt.Sprintf("rows=%d/unique=%d", size.rows, size.unique), func(b *testing.B) {
			var peak uint64
			var setBytes int
			for b.Loop() {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapInuse
				p, err := blast.NewPlanner(texts, string(ticket.SimplifiedChinese))
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				sum, err := blast.Read(&audience{rows: size.rows, unique: size.unique}, blast.Options{Region: "CN"}, func(r blast.Row) error {
					p.Add(r)
					if n++; n%20_000 == 0 {
						// Collect first: what is still in use then is what
						// reading holds, not garbage awaiting the collector.
						runtime.GC()
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse-min(base, ms.HeapInuse))
					}
					return nil
				})
				if err != nil || sum.Rows != size.rows || sum.Unique != size.unique {
					b.Fatalf("Read = %+v, %v", sum, err)
				}
				plan, err := p.Plan(count, 100)
				if err != nil || plan.Recipients != size.unique {
					b.Fatalf("Plan = %+v, %v", plan, err)
				}
				setBytes = sum.SetBytes
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(setBytes)/(1<<20), "set-MiB")
		})
	}
}
