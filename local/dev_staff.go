package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/frontdesk/frontdesk/shared/scheduler"
)

// schedulerID is the logical ID in template.yaml of the function whose
// scheduled runs POST /_local/tick starts.
const schedulerID = "SchedulerFunction"

// tick serves POST /_local/tick?at=<RFC3339>: it runs every scheduled job
// now, as if at that instant, through the scheduler function's own
// bootstrap, so a tester can jump a day ahead: the time-limit sweep, the
// day sweep, and the planner when the instant is at or after the
// planner's time of day (its publications are claimed, so ticking again
// the same day publishes nothing twice). Without at it runs them as of
// now.
func (st *stack) tick(ctx context.Context) error {
	f, ok := st.dep.functions[schedulerID]
	if !ok {
		return nil
	}
	st.mux.HandleFunc("POST /_local/tick", func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		if v := r.URL.Query().Get("at"); v != "" {
			var err error
			if at, err = time.Parse(time.RFC3339, v); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "at must be an RFC 3339 instant like 2026-11-24T09:00:00+08:00"})
				return
			}
		}
		payload, _ := json.Marshal(map[string]string{"job": scheduler.AllJobs, "at": at.UTC().Format(time.RFC3339Nano)})
		out, err := f.Invoke(r.Context(), payload)
		if err != nil {
			writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, json.RawMessage(nonEmpty(out)))
	})
	st.urls = append(st.urls,
		"Scheduled jobs now    POST "+st.url("/_local/tick?at=<RFC3339>")+"  (every job as if at that instant; they also run on their schedules)")
	return nil
}

// console lists the staff console's URL. The staff function serves it
// (its GET /console and ANY /console/{proxy+} routes, as in AWS), signing
// staff in with the page offering the local identities that
// ConsoleLocalSignIn in local/overrides.yaml turns on.
func (st *stack) console(ctx context.Context) error {
	if _, ok := st.dep.functions["StaffFunction"]; !ok {
		return nil
	}
	st.urls = append(st.urls, "Staff console         "+st.url("/console")+"  (sign in as local-agent, local-supervisor or local-admin)")
	return nil
}
