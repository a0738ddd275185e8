package blast

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/staffauth"
)

// MaxRequest bounds a request body: a thousand listed recipients and the
// texts fit well within it.
const MaxRequest = 1 << 20

// Handler serves the staff API's blast routes, behind the staff
// authorizer (the identity is in the request context):
//
//	POST /staff/blasts                      create (201, with uploadUrl for an upload)
//	POST /staff/blasts/{id}/audience        queue the plan of the uploaded audience (202, planning)
//	GET  /staff/blasts/{id}                 the blast (planning until planned), its plan and counts
//	POST /staff/blasts/{id}/send|pause|resume|cancel
//	GET  /staff/blasts/{id}/replies         the incident: counts, replies grouped by similarity, answers
//	POST /staff/blasts/{id}/replies/answer  one answer to a group of replies, or all (202)
//
// Creating, acting and answering need a supervisor or an admin, an
// emergency blast an admin; any member of staff may read.
type Handler struct {
	Service *Service
	mux     *http.ServeMux
}

// NewHandler returns the blast routes over svc.
func NewHandler(svc *Service) *Handler {
	h := &Handler{Service: svc, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /staff/blasts", h.create)
	h.mux.HandleFunc("POST /staff/blasts/{id}/audience", h.audience)
	h.mux.HandleFunc("GET /staff/blasts/{id}", h.status)
	h.mux.HandleFunc("POST /staff/blasts/{id}/{action}", h.act)
	h.mux.HandleFunc("GET /staff/blasts/{id}/replies", h.replies)
	h.mux.HandleFunc("POST /staff/blasts/{id}/replies/answer", h.answer)
	return h
}

// ServeHTTP refuses a request without a signed-in member of staff, then
// routes it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, ok := identity.From(r.Context()); !ok {
		staffauth.Refuse(w, r, staffauth.ErrNotVerified)
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	by, _ := identity.From(r.Context())
	var d Draft
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		writeJSON(w, r, http.StatusBadRequest, map[string]string{"error": "body is not a blast: " + err.Error()})
		return
	}
	b, err := h.Service.Create(r.Context(), by, d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := map[string]any{"id": b.ID, "state": b.State, "plan": b.Plan, "removed": b.Removed, "problems": b.Problems}
	if b.State == Awaiting {
		u, err := h.Service.UploadURL(r.Context(), b.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out["uploadUrl"] = u
	}
	writeJSON(w, r, http.StatusCreated, out)
}

func (h *Handler) audience(w http.ResponseWriter, r *http.Request) {
	by, _ := identity.From(r.Context())
	if _, err := h.Service.PlanUpload(r.Context(), by, r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerStatus(w, r, http.StatusAccepted)
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	h.answerStatus(w, r, http.StatusOK)
}

// answerStatus answers the blast's status with code.
func (h *Handler) answerStatus(w http.ResponseWriter, r *http.Request, code int) {
	st, err := h.Service.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, r, code, st)
}

func (h *Handler) act(w http.ResponseWriter, r *http.Request) {
	by, _ := identity.From(r.Context())
	a := Action(r.PathValue("action"))
	switch a {
	case Send, Pause, Resume, Cancel:
	default:
		writeJSON(w, r, http.StatusNotFound, map[string]string{"error": "no such blast action"})
		return
	}
	if _, err := h.Service.Act(r.Context(), by, r.PathValue("id"), a); err != nil {
		h.fail(w, r, err)
		return
	}
	h.status(w, r)
}

func (h *Handler) replies(w http.ResponseWriter, r *http.Request) {
	inc, err := h.Service.Incident(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, inc)
}

// fail answers err: 403 for a role that may not, 400 for a bad request,
// 404, 409 for an action the state does not allow, else 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var in *InputError
	switch {
	case errors.Is(err, staffauth.ErrForbidden):
		staffauth.Refuse(w, r, err)
	case errors.As(err, &in):
		writeJSON(w, r, http.StatusBadRequest, map[string]string{"error": in.Error()})
	case errors.Is(err, ErrNotFound):
		writeJSON(w, r, http.StatusNotFound, map[string]string{"error": "no such blast"})
	case errors.Is(err, ErrTransition):
		writeJSON(w, r, http.StatusConflict, map[string]string{"error": err.Error()})
	case errors.Is(err, ErrConflict):
		writeJSON(w, r, http.StatusConflict, map[string]string{"error": "the blast changed meanwhile: try again"})
	default:
		slog.ErrorContext(r.Context(), "blast request failed", "path", r.URL.Path, "err", err)
		writeJSON(w, r, http.StatusInternalServerError, map[string]string{"error": "the blast could not be handled: try again"})
	}
}

func writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.WarnContext(r.Context(), "write blast answer", "err", err)
	}
}
