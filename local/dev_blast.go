package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/frontdesk/frontdesk/shared/blast"
)

// blasts wires notification blasts as Lambda runs them: the staff routes
// behind the local authorizer, the send queue on fauxqs polled by the real
// sender (texts go to the local outbox, at the pace), and audience uploads
// presigned against fauxqs's S3.
func (st *stack) blasts(ctx context.Context) error {
	// The blast staff routes and the sender run as the template's own
	// functions; this only serves a sample audience to upload.
	st.mux.HandleFunc("GET /_local/blast/audience.csv", sampleAudience)
	st.urls = append(st.urls,
		"Blast sample audience GET  "+st.url("/_local/blast/audience.csv?n=2000")+"  (local numbers, with a bad row and a duplicate; +86 139 99xx xxxx are reported undelivered)")
	return nil
}

// sampleAudience writes an audience CSV of n local numbers (2,000 by
// default), in Chinese and English, with one bad row and one duplicate
// for the plan to report. Every hundredth number is in the range the
// local SNS front reports undelivered (awslocal.UndeliverablePrefix).
func sampleAudience(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n <= 0 || n > blast.MaxRows {
		n = 2000
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	fmt.Fprintln(w, "手机,姓名,语言")
	for i := range n {
		lang := "zh"
		if i%4 == 0 {
			lang = "en"
		}
		number := 10_000_000 + i
		if i%100 == 99 {
			number = 99_000_000 + i
		}
		fmt.Fprintf(w, "139%08d,住户%d,%s\n", number, i, lang)
	}
	fmt.Fprintln(w, "12345,bad,zh")
	fmt.Fprintf(w, "139%08d,dup,zh\n", 10_000_000)
}
