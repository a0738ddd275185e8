package blast

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// readAll reads an audience into memory for a test.
func readAll(tb testing.TB, data []byte, o Options) ([]Row, Summary, error) {
	tb.Helper()
	var rows []Row
	sum, err := Read(bytes.NewReader(data), o, func(r Row) error {
		rows = append(rows, r)
		return nil
	})
	return rows, sum, err
}

func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestRead(t *testing.T) {
	tests := []struct {
		file string
		want []Row
		sum  Summary
	}{
		{"audience_en_bom_crlf.csv", []Row{
			{Line: 2, Phone: "+8613800138000", Name: "Li, Ming", Language: string(ticket.SimplifiedChinese)},
			{Line: 3, Phone: "+8613900139000", Name: "Ann Lee", Language: string(ticket.English)},
			{Line: 5, Phone: "+8613800138000", Name: "Dup Li", Language: string(ticket.SimplifiedChinese), Problem: CodeDuplicate, FirstLine: 2},
			{Line: 6, Phone: "12345", Name: "Bad Number", Language: string(ticket.English), Problem: "phone_invalid"},
			{Line: 7, Name: "No Phone", Language: string(ticket.English), Problem: CodeNoPhone},
			{Line: 8, Problem: CodeBadRow},
			{Line: 9, Phone: "+8613600136000", Name: "Excel Text", Language: string(ticket.TraditionalChinese)},
			{Line: 10, Phone: "+8613500135000", Name: "Apostrophe", Warning: WarnLanguage},
			{Line: 11, Phone: "+442079460958", Name: `Chen "CC" Chen`, Language: string(ticket.English)},
		}, Summary{Header: true, Encoding: "UTF-8", Rows: 9, Recipients: 5, Invalid: 3, Duplicates: 1, Warnings: 1, Unique: 5}},
		{"audience_zh_gbk.csv", []Row{
			{Line: 2, Phone: "+8613800138000", Name: "陈小姐", Language: string(ticket.SimplifiedChinese)},
			{Line: 3, Phone: "+8613900139000", Name: "王先生", Language: string(ticket.TraditionalChinese)},
			{Line: 4, Phone: "+8613800138000", Name: "重复的陈小姐", Problem: CodeDuplicate, FirstLine: 2},
			{Line: 5, Phone: "电话不对", Name: "李四", Language: string(ticket.SimplifiedChinese), Problem: ticket.CodePhoneLetters},
		}, Summary{Header: true, Encoding: "GB18030", Rows: 4, Recipients: 2, Invalid: 1, Duplicates: 1, Unique: 2}},
		{"audience_noheader.tsv", []Row{
			{Line: 1, Phone: "+8613800138000", Name: "张三", Language: string(ticket.English)},
			{Line: 2, Phone: "+8613900139000", Name: "李四"},
			{Line: 3, Phone: "+8613700137000"},
		}, Summary{Encoding: "UTF-8", Rows: 3, Recipients: 3, Unique: 3}},
		{"audience_zh_hant.csv", []Row{
			{Line: 2, Phone: "+85251234567", Name: "陳大文", Language: string(ticket.TraditionalChinese)},
		}, Summary{Header: true, Encoding: "UTF-8", Rows: 1, Recipients: 1, Unique: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rows, sum, err := readAll(t, fixture(t, tt.file), Options{Region: "CN"})
			if err != nil {
				t.Fatalf("Read(%s): %v", tt.file, err)
			}
			for i := range max(len(rows), len(tt.want)) {
				var got, want Row
				if i < len(rows) {
					got = rows[i]
				}
				if i < len(tt.want) {
					want = tt.want[i]
				}
				if got != want {
					t.Errorf("Read(%s) row %d = %+v, want %+v", tt.file, i, got, want)
				}
			}
			sum.SetBytes = 0
			if sum != tt.sum {
				t.Errorf("Read(%s) summary = %+v, want %+v", tt.file, sum, tt.sum)
			}
		})
	}
}

func TestReadRefuses(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		max  int
		want error
		rows int // rows reported before the refusal
	}{
		{"header without a phone column", []byte("name,language\nAnn,en\n"), 0, ErrNoPhoneColumn, 0},
		{"UTF-16", append([]byte{0xFF, 0xFE}, "p\x00"...), 0, ErrUTF16, 0},
		{"more rows than allowed", []byte("13800138000\n13900139000\n13700137000\n13600136000\n"), 3, ErrTooManyRows, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, _, err := readAll(t, tt.data, Options{Region: "CN", MaxRows: tt.max})
			if !errors.Is(err, tt.want) || len(rows) != tt.rows {
				t.Errorf("Read = %d rows, %v, want %d rows, %v", len(rows), err, tt.rows, tt.want)
			}
		})
	}
}

func TestReadStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := Read(strings.NewReader("13800138000\n13900139000\n"), Options{Region: "CN"}, func(Row) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Read = %v after %d rows, want stop after 1", err, n)
	}
}

func TestReadCROnly(t *testing.T) {
	rows, sum, err := readAll(t, []byte("phone,name\r13800138000,Ann\r13900139000,Bo\r"), Options{Region: "CN"})
	if err != nil || len(rows) != 2 || rows[1].Line != 3 || rows[1].Name != "Bo" || !sum.Header {
		t.Errorf("Read = %+v, %+v, %v; want two rows on lines 2 and 3", rows, sum, err)
	}
}

func TestReadLongLine(t *testing.T) {
	data := "13800138000\n" + strings.Repeat("9", MaxLine+10) + "\n13900139000\n"
	rows, sum, err := readAll(t, []byte(data), Options{Region: "CN"})
	if err != nil || len(rows) != 3 || rows[1].Problem != CodeBadRow || rows[1].Line != 2 || rows[2].Line != 3 || sum.Recipients != 2 {
		t.Errorf("Read = %+v, %+v, %v; want the long line 2 reported and lines 1 and 3 read", rows, sum, err)
	}
}

// A UTF-8 file with one GBK field past the detection window: that field is
// read as GB18030, the rest as UTF-8.
func TestReadLateGBKField(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("phone,name\n")
	for i := 0; b.Len() < detectSize+100; i++ {
		b.WriteString("13800138000,张三\n")
	}
	b.WriteString("13900139000,")
	b.Write([]byte{0xC0, 0xEE, 0xCB, 0xC4}) // 李四 in GBK
	b.WriteString("\n")
	rows, sum, err := readAll(t, b.Bytes(), Options{Region: "CN"})
	if err != nil || sum.Encoding != "UTF-8" || rows[0].Name != "张三" || rows[len(rows)-1].Name != "李四" {
		t.Errorf("Read: %v, encoding %s, first %+v, last %+v", err, sum.Encoding, rows[0], rows[len(rows)-1])
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"zh", string(ticket.SimplifiedChinese)}, {"zh_CN", string(ticket.SimplifiedChinese)}, {"中文", string(ticket.SimplifiedChinese)}, {"简体", string(ticket.SimplifiedChinese)},
		{"zh-TW", string(ticket.TraditionalChinese)}, {"繁體", string(ticket.TraditionalChinese)}, {"ZH-HANT", string(ticket.TraditionalChinese)},
		{"EN", string(ticket.English)}, {"English", string(ticket.English)}, {"英文", string(ticket.English)},
		{"fr", ""}, {"", ""},
	}
	for _, tt := range tests {
		if got := Language(tt.in); got != tt.want {
			t.Errorf("Language(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"audience_en_bom_crlf.csv", "audience_zh_gbk.csv", "audience_noheader.tsv", "audience_zh_hant.csv"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte("\"\n\"\"\"\n,,,,\n\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		phones := map[int]string{}
		last := 0
		sum, err := Read(bytes.NewReader(data), Options{Region: "CN", MaxRows: 1000}, func(r Row) error {
			if r.Line <= last {
				t.Fatalf("row line %d after line %d", r.Line, last)
			}
			last = r.Line
			switch r.Problem {
			case "":
				if !strings.HasPrefix(r.Phone, "+") || len(r.Phone) > 16 || !utf8.ValidString(r.Name) {
					t.Fatalf("recipient %+v", r)
				}
				for _, p := range phones {
					if p == r.Phone {
						t.Fatalf("recipient %+v given twice", r)
					}
				}
				phones[r.Line] = r.Phone
			case CodeDuplicate:
				if phones[r.FirstLine] != r.Phone {
					t.Fatalf("duplicate %+v does not point at its first line", r)
				}
			}
			if !slices.Contains([]string{"", WarnLanguage}, r.Warning) {
				t.Fatalf("row %+v has an unknown warning", r)
			}
			return nil
		})
		if err != nil {
			return
		}
		if sum.Recipients+sum.Invalid+sum.Duplicates != sum.Rows || sum.Recipients != len(phones) || sum.Unique != len(phones) {
			t.Fatalf("summary %+v does not add up to %d recipients", sum, len(phones))
		}
	})
}
