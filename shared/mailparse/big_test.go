package mailparse

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bigMail streams a message of about size bytes: a short text and one
// base64 attachment making up the rest. It is generated, never stored.
func bigMail(size int) io.Reader {
	head := "From: Li Lei <li.lei@example.com>\r\nTo: support@example.com\r\nSubject: =?UTF-8?B?5aSn6ZmE5Lu2?=\r\n" +
		"Date: Mon, 23 Nov 2026 10:00:00 +0800\r\nMessage-ID: <big@example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"现场照片见附件。\r\n--b\r\nContent-Type: video/mp4; name=\"site.mp4\"\r\nContent-Disposition: attachment; filename=\"site.mp4\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n"
	tail := "\r\n--b--\r\n"
	lines := (size - len(head) - len(tail)) / 78
	pr, pw := io.Pipe()
	go func() {
		raw := make([]byte, 57*1000)
		rand.Read(raw)
		enc := base64.StdEncoding.EncodeToString(raw)
		var buf bytes.Buffer
		buf.WriteString(head)
		for i := 0; i < lines; i++ {
			j := (i % 1000) * 76
			buf.WriteString(enc[j : j+76])
			buf.WriteString("\r\n")
			if buf.Len() > 64<<10 {
				pw.Write(buf.Bytes())
				buf.Reset()
			}
		}
		buf.WriteString(tail)
		pw.Write(buf.Bytes())
		pw.Close()
	}()
	return pr
}

// TestParse30MB: a 30 MB message parses with its oversize attachment
// listed and measured, not loaded.
func TestParse30MB(t *testing.T) {
	m, err := Parse(bigMail(30<<20), Limits{})
	if err != nil {
		t.Fatalf("Parse(30 MB): %v", err)
	}
	if m.Body != "现场照片见附件。" || m.Subject != "大附件" {
		t.Errorf("Parse(30 MB) = %q %q, want the text and subject", m.Subject, m.Body)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments = %+v, want one", m.Attachments)
	}
	a := m.Attachments[0]
	want := int64((30<<20-600)/78) * 57
	if !a.Oversize || a.Data != nil || a.Size < want-200 || a.Size > want+200 {
		t.Errorf("attachment = %q oversize=%v loaded=%d size=%d, want oversize, not loaded, about %d bytes", a.Name, a.Oversize, len(a.Data), a.Size, want)
	}
	if _, err := Parse(bigMail(41<<20), Limits{}); err == nil {
		t.Errorf("Parse(41 MB) succeeded, want ErrTooLarge")
	}
}

// peakHeap samples the heap while f runs and returns the highest value
// above the level before it started.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(2 * time.Millisecond)
		defer tk.Stop()
		for {
			var s runtime.MemStats
			runtime.ReadMemStats(&s)
			if s.HeapInuse > base && s.HeapInuse-base > peak.Load() {
				peak.Store(s.HeapInuse - base)
			}
			select {
			case <-done:
				return
			case <-tk.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

func benchmarkParse(b *testing.B, size int) {
	raw, err := io.ReadAll(bigMail(size))
	if err != nil {
		b.Fatal(err)
	}
	// Peak memory is measured on one run of its own: sampling the heap
	// stops the world and would distort the timing.
	peak := peakHeap(func() {
		if _, err := Parse(bytes.NewReader(raw), Limits{}); err != nil {
			b.Fatal(err)
		}
	})
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(bytes.NewReader(raw), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
}

// BenchmarkParse1MB and BenchmarkParse30MB measure parse time and the
// peak heap above the starting level (peak-MB).
func BenchmarkParse1MB(b *testing.B)  { benchmarkParse(b, 1<<20) }
func BenchmarkParse30MB(b *testing.B) { benchmarkParse(b, 30<<20) }

func BenchmarkParseFixtures(b *testing.B) {
	var raws [][]byte
	for _, f := range []string{"gmail.eml", "outlook_gbk.eml", "qq.eml", "nested.eml", "dsn_bounce.eml"} {
		raws = append(raws, readFixture(b, f))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, raw := range raws {
			if _, err := Parse(bytes.NewReader(raw), Limits{}); err != nil {
				b.Fatal(fmt.Errorf("parse: %w", err))
			}
		}
	}
}
