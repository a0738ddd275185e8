package webform

import (
	"bytes"
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

//go:embed page.html
var pageHTML string

var pages = template.Must(template.New("page").Parse(pageHTML))

// pageData is everything page.html shows.
type pageData struct {
	Lang    string
	Title   string
	Form    *formData
	Thanks  *thanksData
	Message []string
	// Emergency is the emergency line, shown when the form cannot take
	// a message.
	Emergency *emergencyData
	Switch    string
}

// emergencyData is the sentence that gives the emergency line, as a link
// that dials it.
type emergencyData struct {
	Text string
	Tel  template.URL
}

type formData struct {
	// Notice says why a good form was not taken (storage unavailable).
	Notice  string
	Values  map[string]string
	Errors  map[string]string
	Order   []string
	Kinds   []option
	Consent bool
	Token   string
	Hint    map[string]string
	Zone    string
}

type option struct {
	Value, Label string
	Selected     bool
}

type thanksData struct {
	Ref   ticket.Ref
	AckBy string
}

// fieldOrder is the order errors are listed in the summary, as on the form.
var fieldOrder = []string{"body", "name", "contact", "phone", "email", "kind", "message",
	"callback.date", "callback.from", "callback.to", "callback.timeZone", "consent", "rate"}

func (h *Handler) form(w http.ResponseWriter, r *http.Request) {
	lang := pickLang(r.URL.Query().Get("lang"), header(r, "Accept-Language"))
	// A fresh token per page: a double-clicked or resubmitted form is one
	// contact.
	token := string(ticket.NewID(h.cfg.Now()))
	h.page(w, http.StatusOK, h.formPage(lang, Submission{}, nil, token))
}

func (h *Handler) formPage(lang string, sub Submission, verr ticket.ValidationError, token string) pageData {
	if token == "" {
		token = string(ticket.NewID(h.cfg.Now()))
	}
	errs := h.messages(lang, verr)
	emergency := takeEmergency(lang, errs)
	notice, unavailable := errs["save"]
	if unavailable {
		delete(errs, "save")
		notice += " " + say(lang, "keptBelow", nil)
	}
	order := inOrder(errs)
	vals := map[string]string{"name": sub.Name, "phone": sub.Phone, "email": sub.Email, "message": sub.Message}
	zone := h.cfg.Calendar.Zone.String()
	if sub.Callback != nil {
		vals["callback.date"], vals["callback.from"], vals["callback.to"] = sub.Callback.Date, sub.Callback.From, sub.Callback.To
		if sub.Callback.TimeZone != "" {
			zone = sub.Callback.TimeZone
		}
	}
	kinds := []option{{Value: "", Label: say(lang, "kind.", nil), Selected: sub.Kind == ""}}
	for _, k := range ticket.Kinds {
		kinds = append(kinds, option{Value: string(k), Label: say(lang, "kind."+string(k), nil), Selected: sub.Kind == string(k)})
	}
	hint := map[string]string{
		"phone": say(lang, "phoneHint", map[string]string{"region": h.cfg.Region}),
		"callback": say(lang, "callbackHint", map[string]string{
			"hours": h.cfg.Calendar.Hours(), "zone": h.cfg.Calendar.Zone.String(), "days": days(h.cfg.Calendar, lang),
			"maxDays": strconv.Itoa(int(h.cfg.CallbackAhead / (24 * time.Hour))),
		}),
	}
	return pageData{
		Lang: lang, Title: say(lang, "title", nil), Switch: other(lang), Emergency: emergency,
		Form: &formData{Notice: notice, Values: vals, Errors: errs, Order: order, Kinds: kinds, Consent: sub.Consent, Token: token, Hint: hint, Zone: zone},
	}
}

func thanksPage(lang string, t *ticket.Ticket, zone *time.Location) pageData {
	return pageData{Lang: lang, Title: say(lang, "thanksTitle", nil), Switch: other(lang),
		Thanks: &thanksData{Ref: t.Ref, AckBy: formatLocal(t.AckBy, zone)}}
}

func (h *Handler) messagePage(lang, title string, verr ticket.ValidationError) pageData {
	msgs := h.messages(lang, verr)
	p := pageData{Lang: lang, Title: title, Switch: other(lang), Emergency: takeEmergency(lang, msgs)}
	for _, f := range inOrder(msgs) {
		p.Message = append(p.Message, msgs[f])
	}
	return p
}

// takeEmergency removes the emergency line's message from msgs and
// returns it for the page, or nil when there is none.
func takeEmergency(lang string, msgs map[string]string) *emergencyData {
	text, ok := msgs["emergency"]
	if !ok {
		return nil
	}
	delete(msgs, "emergency")
	return &emergencyData{Text: text, Tel: telURL(text)}
}

// telURL makes a tel: link of the digits in the sentence that gives the
// emergency line (the line is the only number in it).
func telURL(s string) template.URL {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0:
			b.WriteRune(r)
		}
	}
	return template.URL("tel:" + b.String())
}

// inOrder lists the fields with messages as the form shows them, then any
// others by name.
func inOrder(msgs map[string]string) []string {
	var order, rest []string
	for _, f := range fieldOrder {
		if _, ok := msgs[f]; ok {
			order = append(order, f)
		}
	}
	for f := range msgs {
		if !slices.Contains(fieldOrder, f) {
			rest = append(rest, f)
		}
	}
	slices.Sort(rest)
	return append(order, rest...)
}

func other(lang string) string {
	if lang == langZH {
		return langEN
	}
	return langZH
}

// T returns the page's text for key.
func (d pageData) T(key string) string { return say(d.Lang, key, nil) }

func (h *Handler) page(w http.ResponseWriter, status int, d pageData) {
	var buf bytes.Buffer
	if err := pages.Execute(&buf, d); err != nil {
		slog.Error("render form page", "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Only the business's own sites (the CORS origins) may frame the form.
	ancestors := "'self'"
	for _, o := range h.cfg.AllowedOrigins {
		if o != "" && !strings.ContainsAny(o, " \t;,'\"") {
			ancestors += " " + o
		}
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors "+ancestors)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
