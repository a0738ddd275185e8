package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// reportDays is how many days the charts and the CSV cover.
const reportDays = 14

// readable reads the reports for a supervisor or an admin, answering
// anyone else, and a failure, here; bad is set for a malformed or future
// date.
func (c *Console) readable(w http.ResponseWriter, r *http.Request, p *pageCtx) (day string, days []dynamo.Daily, bad, ok bool) {
	if !reader(p.Who) {
		c.render(w, r, http.StatusForbidden, "problem", p, problemData{Message: p.T("reportForbidden")})
		return "", nil, false, false
	}
	day, days, valid, err := c.days(r)
	if err != nil {
		c.fail(w, r, p, "daily report", err)
		return "", nil, false, false
	}
	return day, days, !valid, true
}

// days reads the report of each of the reportDays days ending on the
// asked date (today in the business zone by default). ok is false when
// the date is malformed or in the future.
func (c *Console) days(r *http.Request) (day string, out []dynamo.Daily, ok bool, err error) {
	today := c.now().In(c.zone)
	day = r.URL.Query().Get("date")
	if day == "" {
		day = today.Format(time.DateOnly)
	}
	end, perr := time.ParseInLocation(time.DateOnly, day, c.zone)
	if perr != nil || end.Format(time.DateOnly) != day || end.After(today) {
		return day, nil, false, nil
	}
	for i := reportDays - 1; i >= 0; i-- {
		d := end.AddDate(0, 0, -i).Format(time.DateOnly)
		rep, err := c.svc.Report(r.Context(), d)
		if err != nil {
			return day, nil, true, err
		}
		out = append(out, rep)
	}
	return day, out, true, nil
}

// bar is one day's stacked bar of a chart.
type bar struct {
	X     int
	Label string
	Parts []part
	Total int
}

type part struct {
	Y, H  int
	Fill  string
	Name  string
	Count int
}

// chart is a small server-drawn SVG bar chart.
type chart struct {
	ID     string
	Title  string
	Bars   []bar
	Legend []part
	Max    int
	// Height and Width are the plotting area's, in SVG units.
	Height, Width int
}

// palette colours a chart's series; each has a 3:1 contrast on white.
var palette = []string{"#1f5fa8", "#b3461f", "#2a7a3b", "#7b3fa0", "#8a6d00", "#a0285a", "#3f6f7f", "#5a5a5a", "#9c4f00"}

const (
	chartH   = 120
	barW     = 22
	barPitch = 30
)

// stacked draws one bar per day, stacked by series.
func stacked(lang, id, title string, days []dynamo.Daily, series []string, label func(string) string, pick func(dynamo.Daily, string) int) chart {
	ch := chart{ID: id, Title: title, Height: chartH, Width: len(days) * barPitch}
	for i, s := range series {
		ch.Legend = append(ch.Legend, part{Fill: palette[i%len(palette)], Name: label(s)})
	}
	for _, d := range days {
		total := 0
		for _, s := range series {
			total += pick(d, s)
		}
		ch.Max = max(ch.Max, total)
	}
	scale := max(ch.Max, 1)
	for i, d := range days {
		b := bar{X: i * barPitch, Label: d.Date[5:]}
		// Each part spans its running total, so the rounding of the parts
		// never adds up to a bar taller or shorter than the day's total.
		for j, s := range series {
			n := pick(d, s)
			if n == 0 {
				continue
			}
			bottom := chartH - b.Total*chartH/scale
			b.Total += n
			top := min(chartH-b.Total*chartH/scale, bottom-1)
			b.Parts = append(b.Parts, part{Y: top, H: bottom - top, Fill: palette[j%len(palette)], Name: label(s), Count: n})
		}
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

// reportData is the report page.
type reportData struct {
	Date      string
	Bad       bool
	Day       dynamo.Daily
	Charts    []chart
	Channels  []ticket.Channel
	Kinds     []ticket.Kind
	CSV       string
	AckPct    string
	ResolvPct string
}

func pct(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 1, 64)
}

// report shows the daily figures and the last 14 days as charts.
func (c *Console) report(w http.ResponseWriter, r *http.Request, p *pageCtx) {
	day, days, bad, ok := c.readable(w, r, p)
	if !ok {
		return
	}
	d := &reportData{Date: day, Channels: []ticket.Channel{ticket.SMS, ticket.Web, ticket.Email}, Kinds: ticket.Kinds}
	if bad {
		d.Bad = true
		c.render(w, r, http.StatusBadRequest, "report", p, d)
		return
	}
	d.Day = days[len(days)-1]
	d.AckPct, d.ResolvPct = pct(d.Day.AckedPct), pct(d.Day.ResolvedPct)
	d.CSV = "/console/report.csv?date=" + day
	var chans, kinds []string
	for _, ch := range d.Channels {
		chans = append(chans, string(ch))
	}
	for _, k := range ticket.Kinds {
		kinds = append(kinds, string(k))
	}
	d.Charts = append(d.Charts,
		stacked(p.Lang, "chart-channel", p.T("byChannel"), days, chans, func(s string) string { return p.T("ch." + s) },
			func(d dynamo.Daily, s string) int { return d.Contacts[s] }),
		stacked(p.Lang, "chart-kind", p.T("byKind"), days, kinds, func(s string) string { return p.T("kd." + s) },
			func(d dynamo.Daily, s string) int { return d.Kinds[s] }),
	)
	limits := chart{ID: "chart-limits", Title: p.T("limitsMet"), Height: chartH, Width: len(days) * barPitch, Max: 100,
		Legend: []part{{Fill: palette[0], Name: p.T("ackedIn")}, {Fill: palette[2], Name: p.T("resolvedIn")}}}
	for i, dd := range days {
		b := bar{X: i * barPitch, Label: dd.Date[5:]}
		for j, v := range []*float64{dd.AckedPct, dd.ResolvedPct} {
			if v == nil {
				continue
			}
			h := int(*v * chartH / 100)
			b.Parts = append(b.Parts, part{Y: chartH - h, H: h, Fill: palette[j*2], Name: limits.Legend[j].Name, Count: int(*v + 0.5)})
		}
		limits.Bars = append(limits.Bars, b)
	}
	d.Charts = append(d.Charts, limits)
	c.render(w, r, http.StatusOK, "report", p, d)
}

// reportCSV downloads the last 14 days' figures.
func (c *Console) reportCSV(w http.ResponseWriter, r *http.Request, p *pageCtx) {
	day, days, bad, ok := c.readable(w, r, p)
	if !ok {
		return
	}
	if bad {
		c.render(w, r, http.StatusBadRequest, "problem", p, problemData{Message: p.T("badDate")})
		return
	}
	head := []string{"date"}
	for _, ch := range []ticket.Channel{ticket.SMS, ticket.Web, ticket.Email} {
		head = append(head, "contacts."+string(ch))
	}
	for _, k := range ticket.Kinds {
		head = append(head, "kind."+string(k))
	}
	head = append(head, "acknowledged", "acknowledgedInLimit", "acknowledgedInLimitPct", "resolved", "resolvedInLimit", "resolvedInLimitPct",
		"openAtEndOfDay", "escalations.1", "escalations.2", "escalations.3")
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="frontdesk-report-%s.csv"`, day))
	cw := csv.NewWriter(w)
	_ = cw.Write(head)
	for _, d := range days {
		rec := []string{d.Date}
		for _, ch := range []ticket.Channel{ticket.SMS, ticket.Web, ticket.Email} {
			rec = append(rec, strconv.Itoa(d.Contacts[string(ch)]))
		}
		for _, k := range ticket.Kinds {
			rec = append(rec, strconv.Itoa(d.Kinds[string(k)]))
		}
		rec = append(rec, strconv.Itoa(d.Acked), strconv.Itoa(d.AckedIn), pct(d.AckedPct), strconv.Itoa(d.Resolved),
			strconv.Itoa(d.ResolvedIn), pct(d.ResolvedPct), strconv.Itoa(d.OpenAtEnd),
			strconv.Itoa(d.Escalations["1"]), strconv.Itoa(d.Escalations["2"]), strconv.Itoa(d.Escalations["3"]))
		_ = cw.Write(rec)
	}
	cw.Flush()
}
