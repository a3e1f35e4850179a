package adminhttp

import (
	"net/http"
	"strconv"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

func (h *handlers) startRecording(w http.ResponseWriter, r *http.Request) {
	var start admin.RecordingStart
	if !decode(w, r, &start) {
		return
	}
	s, err := h.admin.StartRecording(r.Context(), start)
	answer(w, http.StatusOK, s, err)
}

func (h *handlers) stopRecording(w http.ResponseWriter, r *http.Request) {
	s, err := h.admin.StopRecording(r.Context())
	answer(w, http.StatusOK, s, err)
}

func (h *handlers) recordingStatus(w http.ResponseWriter, r *http.Request) {
	s, err := h.admin.Recording(r.Context())
	answer(w, http.StatusOK, s, err)
}

// recordingSnapshot answers the fixtures file itself, so that it can be
// saved as it comes and loaded with aopay-mock --fixtures.
func (h *handlers) recordingSnapshot(w http.ResponseWriter, r *http.Request) {
	format := admin.SnapshotFormat(r.URL.Query().Get("format"))
	data, err := h.admin.RecordingSnapshot(r.Context(), format)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", format.ContentType())
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}
