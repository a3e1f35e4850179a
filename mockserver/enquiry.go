package mockserver

import (
	"encoding/json"
	"net/http"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

type enquiryRequest struct {
	ReferenceID    string `json:"referenceid"`
	RegistrationID string `json:"RegistrationID"`
}

// handleEnquiry answers POST /api/AOP/RechargeStatus, whose body the
// validate middleware has already checked against the spec.
func (s *Server) handleEnquiry(w http.ResponseWriter, r *http.Request) {
	ex := exchangeFrom(r)
	var req enquiryRequest
	if err := json.Unmarshal(ex.body, &req); err != nil {
		s.writeValidationError(w, s.cfg.ValidationStatus, "request body is not valid JSON")
		return
	}
	ex.registrationID, ex.referenceID = req.RegistrationID, req.ReferenceID
	res, err := s.service.Enquire(r.Context(), recharge.Enquiry{
		RegistrationID: req.RegistrationID,
		ReferenceID:    req.ReferenceID,
		Token:          r.Header.Get("Token"),
	})
	if err != nil {
		ex.scenario = "error:" + recharge.ErrorCode(err)
		s.writeDomainError(w, err)
		return
	}
	ex.scenario = res.Scenario
	if !res.Found {
		writeJSON(w, http.StatusOK, statusAnswer{ResponseCode: CodeNotFound, Status: false, Message: MsgNoTransaction})
		return
	}
	data := res.Transaction.Data(s.statusCodes)
	writeJSON(w, http.StatusOK, statusAnswer{ResponseCode: CodeFound, Status: true, Data: &data, Message: MsgEnquirySuccessful})
}
