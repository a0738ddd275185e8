package webform

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/frontdesk/frontdesk/shared/deadline"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/survey"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// SurveyStore reads and changes tickets for the survey pages (a
// *dynamo.Store).
type SurveyStore interface {
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	// Mutate applies the change decide makes to the ticket as read, with
	// the version check, deciding again on a fresh read when the ticket
	// changed meanwhile; decide returns dynamo.ErrUnchanged for nothing.
	Mutate(ctx context.Context, id ticket.ID, decide func(t *ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error)
}

// Surveys serves the return-visit survey's links: GET /survey/{token}
// shows a bilingual page confirming the score with a field for a comment,
// and only POST records it, so a mail scanner fetching every link records
// nothing.
type Surveys struct {
	Signer survey.Signer
	Store  SurveyStore
	// Rules decide what an answer does (a score of 1–2 reopens the ticket
	// and escalates it to the supervisor).
	Rules *ticket.Rules
}

// MaxSurveyComment bounds the comment kept with a score, in characters.
const MaxSurveyComment = 1000

// maxSurveyBody bounds the form a survey page posts.
const maxSurveyBody = 16 << 10

// surveyState is what a survey page shows.
type surveyState string

const (
	surveyConfirm  surveyState = "confirm"
	surveyRecorded surveyState = "recorded"
	surveyAlready  surveyState = "already"
	surveyExpired  surveyState = "expired"
	surveyClosed   surveyState = "closed"
	surveyInvalid  surveyState = "invalid"
	surveyBusy     surveyState = "busy"
)

var surveyStatus = map[surveyState]int{
	surveyConfirm: http.StatusOK, surveyRecorded: http.StatusOK, surveyAlready: http.StatusOK,
	surveyExpired: http.StatusGone, surveyClosed: http.StatusGone, surveyInvalid: http.StatusBadRequest,
	surveyBusy: http.StatusServiceUnavailable,
}

// errNoVisit: the token is genuine but names no visit of the ticket (a
// ticket deleted, a visit replaced).
var errNoVisit = errors.New("no such visit")

// surveyClaim reads the token in the path; the state is "" when it is
// usable.
func (s *Surveys) surveyClaim(r *http.Request, now time.Time) (survey.Claim, surveyState) {
	c, err := s.Signer.Parse(r.PathValue("token"), now)
	switch {
	case errors.Is(err, survey.ErrExpired):
		return c, surveyExpired
	case err != nil:
		return c, surveyInvalid
	}
	return c, ""
}

// visitState says where the visit a claim names stands.
func visitState(t *ticket.Ticket, c survey.Claim) (surveyState, error) {
	v := t.Visit
	switch {
	case v == nil || v.Due.Unix() != c.Visit.Unix():
		return "", errNoVisit
	case v.Status == ticket.VisitAnswered:
		return surveyAlready, nil
	case v.Status == ticket.VisitSent || v.Status == ticket.VisitUnanswered:
		return surveyConfirm, nil
	}
	return surveyClosed, nil
}

func (h *Handler) surveyPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := h.cfg.Surveys
	c, st := s.surveyClaim(r, h.cfg.Now())
	var t *ticket.Ticket
	if st == "" {
		var err error
		t, err = s.Store.Ticket(ctx, c.Ticket)
		if err == nil {
			st, err = visitState(t, c)
		}
		switch {
		case errors.Is(err, ticket.ErrNotFound), errors.Is(err, errNoVisit):
			st = surveyInvalid
		case err != nil:
			slog.ErrorContext(ctx, "survey page read failed", "deadline", deadline.Exceeded(err), "err", err)
			st = surveyBusy
		}
	}
	h.renderSurvey(w, st, c, t, r.PathValue("token"))
}

func (h *Handler) surveyRecord(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := h.cfg.Surveys
	at := h.cfg.Now().UTC()
	c, st := s.surveyClaim(r, at)
	if st != "" {
		h.renderSurvey(w, st, c, nil, "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSurveyBody)
	if err := r.ParseForm(); err != nil {
		h.renderSurvey(w, surveyInvalid, c, nil, "")
		return
	}
	comment := surveyComment(r.PostForm.Get("comment"))
	var already bool
	t, err := s.Store.Mutate(ctx, c.Ticket, func(t *ticket.Ticket) (ticket.Change, error) {
		st, err := visitState(t, c)
		switch {
		case err != nil:
			return ticket.Change{}, err
		case st == surveyAlready:
			already = true
			return ticket.Change{}, dynamo.ErrUnchanged
		case st != surveyConfirm:
			return ticket.Change{}, errClosedVisit
		}
		next, events, ok := s.Rules.AnswerVisit(t, ticket.SurveyAnswer{Score: c.Score, Comment: comment}, at, "customer")
		if !ok {
			return ticket.Change{}, errClosedVisit
		}
		ch := ticket.Change{Ticket: next, Events: events}
		if comment != "" {
			// The comment is the customer's message on the ticket, as a
			// comment after a score by text is.
			msg := ticket.Message{ID: string(ticket.NewID(at)), Direction: ticket.Inbound, Channel: ticket.Web, Body: comment, At: at,
				Meta: map[string]string{"surveyScore": strconv.Itoa(c.Score), "via": "survey link"}}
			ch.Messages = []ticket.Message{msg}
			ch.Events = append([]ticket.Event{{ID: string(ticket.NewID(at)), Type: ticket.EventMessageAdded, At: at, Actor: "customer", MessageID: msg.ID}}, events...)
		}
		return ch, nil
	})
	switch {
	case already || errors.Is(err, dynamo.ErrUnchanged):
		st = surveyAlready
	case errors.Is(err, errClosedVisit):
		st = surveyClosed
	case errors.Is(err, ticket.ErrNotFound), errors.Is(err, errNoVisit):
		st = surveyInvalid
	case err != nil:
		slog.ErrorContext(ctx, "survey answer not recorded", "deadline", deadline.Exceeded(err), "err", err)
		st = surveyBusy
	default:
		st = surveyRecorded
		slog.InfoContext(ctx, "survey answer by link", "ref", t.Ref, "score", c.Score, "comment", comment != "")
	}
	h.renderSurvey(w, st, c, t, "")
}

// errClosedVisit: the visit no longer takes an answer.
var errClosedVisit = errors.New("visit closed")

// surveyComment keeps at most MaxSurveyComment characters of what the
// customer wrote, valid UTF-8 without control characters but line breaks.
func surveyComment(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > MaxSurveyComment {
		s = string(r[:MaxSurveyComment])
	}
	return s
}

type surveyView struct {
	State  surveyState
	Ref    ticket.Ref
	Score  int
	Action string
}

func (h *Handler) renderSurvey(w http.ResponseWriter, st surveyState, c survey.Claim, t *ticket.Ticket, token string) {
	v := surveyView{State: st, Score: c.Score}
	if t != nil {
		v.Ref = t.Ref
		if st == surveyAlready && t.Visit != nil {
			v.Score = t.Visit.Score
		}
	}
	if token != "" {
		v.Action = "/survey/" + token
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// A survey page is the customer's alone: no cache keeps it, no
	// referrer carries its token elsewhere, no other site frames it.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	if st == surveyBusy {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	w.WriteHeader(surveyStatus[st])
	if err := surveyTemplate.Execute(w, v); err != nil {
		slog.Error("survey page not written", "err", err)
	}
}

var surveyTemplate = template.Must(template.New("survey").Parse(`<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>满意度评价 · Satisfaction survey</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
textarea{width:100%;min-height:6rem}button{font-size:1.1rem;padding:.5rem 1.5rem}.en{color:#444}</style></head><body>
{{- if eq .State "confirm"}}
<h1>确认评分 <span class="en">Confirm your score</span></h1>
<p>受理编号 {{.Ref}}：您的评分是 <strong>{{.Score}} / 5</strong>。<br><span class="en">Case {{.Ref}}: your score is <strong>{{.Score}} of 5</strong>.</span></p>
<form method="post" action="{{.Action}}">
<p><label for="comment">意见（可选） <span class="en">Comment (optional)</span></label><br>
<textarea id="comment" name="comment" maxlength="1000"></textarea></p>
<p><button type="submit">提交 · Submit</button></p>
</form>
<p class="en">评分只记录一次。A score is recorded once.</p>
{{- else if eq .State "recorded"}}
<h1>谢谢！<span class="en">Thank you!</span></h1>
<p>已记录您的评分：{{.Score}} / 5（受理编号 {{.Ref}}）。<br><span class="en">Your score of {{.Score}} of 5 for case {{.Ref}} is recorded.</span></p>
{{- else if eq .State "already"}}
<h1>已评分 <span class="en">Already recorded</span></h1>
<p>此次服务的评分已经记录（{{.Score}} / 5），没有作任何更改。<br><span class="en">A score for this case was already recorded ({{.Score}} of 5); nothing was changed.</span></p>
{{- else if eq .State "expired"}}
<h1>链接已过期 <span class="en">This link has expired</span></h1>
<p>评分期限已过。如需帮助，请直接回复我们的邮件。<br><span class="en">The time to rate this case is over. If you need help, just reply to our mail.</span></p>
{{- else if eq .State "closed"}}
<h1>评价已结束 <span class="en">This survey is closed</span></h1>
<p>此次评价已不再接受评分。<br><span class="en">This survey no longer takes scores.</span></p>
{{- else if eq .State "busy"}}
<h1>请稍后再试 <span class="en">Please try again shortly</span></h1>
<p>暂时无法记录，请稍后重试。<br><span class="en">Your score could not be handled just now. Please try again in a moment.</span></p>
{{- else}}
<h1>链接无效 <span class="en">This link is not valid</span></h1>
<p>请使用邮件中的链接，完整复制。<br><span class="en">Please use a link from our mail, copied in full.</span></p>
{{- end}}
</body></html>
`))
