package mockserver

import (
	"net/http"
)

// FaultList is the body of the fault rule list operations.
type FaultList struct {
	Faults []FaultRule `json:"faults"`
}

func (s *Server) handleListFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, FaultList{Faults: s.control.faults.List()})
}

func (s *Server) handleReplaceFaults(w http.ResponseWriter, r *http.Request) {
	var body FaultList
	if err := decodeAdminBody(r, &body); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	rules, err := s.control.faults.Replace(r.Context(), body.Faults)
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, FaultList{Faults: rules})
}

func (s *Server) handleAddFault(w http.ResponseWriter, r *http.Request) {
	var rule FaultRule
	if err := decodeAdminBody(r, &rule); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	added, err := s.control.faults.Add(r.Context(), rule)
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, added)
}

func (s *Server) handleClearFaults(w http.ResponseWriter, r *http.Request) {
	if err := s.control.faults.Clear(r.Context()); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleDeleteFault(w http.ResponseWriter, r *http.Request) {
	if err := s.control.faults.Delete(r.Context(), pathVar(r, "id")); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
