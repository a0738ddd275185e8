package blast

import (
	"encoding/json"
	"net/http"

	"github.com/frontdesk/frontdesk/shared/identity"
)

// answer serves POST /staff/blasts/{id}/replies/answer with
// {"group": "<group key>" | "all", "text": "…"}: 202 with the answer and
// its progress when it is new, 200 with the first one's when the request
// was made before (the same Idempotency-Key, or the same group and text).
func (h *Handler) answer(w http.ResponseWriter, r *http.Request) {
	by, _ := identity.From(r.Context())
	var d AnswerDraft
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		writeJSON(w, r, http.StatusBadRequest, map[string]string{"error": "body is not an answer: " + err.Error()})
		return
	}
	a, created, err := h.Service.AnswerReplies(r.Context(), by, r.PathValue("id"), r.Header.Get("Idempotency-Key"), d)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusAccepted
	}
	writeJSON(w, r, code, a)
}
