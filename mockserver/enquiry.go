package mockserver

import (
	"encoding/json"
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

type enquiryRequest struct {
	ReferenceID    string `json:"referenceid"`
	RegistrationID string `json:"RegistrationID"`
}

// decodedEnquiry decodes the request body as an enquiry, once however many
// handlers ask.
func (ex *exchange) decodedEnquiry() (enquiryRequest, error) {
	if !ex.enquiryDecoded {
		ex.enquiryErr = json.Unmarshal(ex.body, &ex.enquiry)
		ex.enquiryDecoded = true
	}
	return ex.enquiry, ex.enquiryErr
}

// handleEnquiry answers POST /api/AOP/RechargeStatus, whose body the
// validate middleware has already checked against the spec.
func (s *Server) handleEnquiry(w http.ResponseWriter, r *http.Request) {
	ex := exchangeFrom(r)
	req, err := ex.decodedEnquiry()
	if err != nil {
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
		writeStatusAnswer(w, http.StatusOK, rechargestatus.Answer{ResponseCode: rechargestatus.CodeNotFound, Status: false, Message: rechargestatus.MessageNotFound})
		return
	}
	data := res.Transaction.Data(s.statusCodes)
	writeStatusAnswer(w, http.StatusOK, rechargestatus.Answer{ResponseCode: rechargestatus.CodeFound, Status: true, Data: &data, Message: rechargestatus.MessageFound})
}
