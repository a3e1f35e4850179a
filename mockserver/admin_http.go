package mockserver

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// Admin error codes, the `error.code` of every admin error answer.
const (
	AdminInvalid      = "invalid"
	AdminNotFound     = "not_found"
	AdminConflict     = "conflict"
	AdminUnauthorized = "unauthorized"
	AdminInternal     = "internal"
)

// AdminError is the body of every admin error answer.
type AdminError struct {
	Error AdminErrorDetail `json:"error"`
}

// AdminErrorDetail says what went wrong.
type AdminErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// adminMaxBodyBytes bounds an admin request body: a full fault list or a
// transaction fits many times over.
const adminMaxBodyBytes = 1 << 20

func writeAdminError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, AdminError{Error: AdminErrorDetail{Code: code, Message: message}})
}

// writeAdminDomainError maps a domain error to its admin answer.
func writeAdminDomainError(w http.ResponseWriter, err error) {
	switch recharge.ErrorCode(err) {
	case recharge.EINVALID:
		writeAdminError(w, http.StatusBadRequest, AdminInvalid, recharge.ErrorMessage(err))
	case recharge.ENOTFOUND:
		writeAdminError(w, http.StatusNotFound, AdminNotFound, recharge.ErrorMessage(err))
	case recharge.ECONFLICT:
		writeAdminError(w, http.StatusConflict, AdminConflict, recharge.ErrorMessage(err))
	default:
		writeAdminError(w, http.StatusInternalServerError, AdminInternal, err.Error())
	}
}

const unauthorizedMessage = "this admin API needs the header Authorization: Bearer <admin token>"

// requireAdmin lets a request through only with the admin token, when one
// is set. Both sides are hashed first so that the comparison takes the same
// time whatever the length or content of the token sent.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	if s.cfg.AdminToken == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.cfg.AdminToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bearerMatches(r.Header.Get("Authorization"), want) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="aopay-mock admin"`)
			writeAdminError(w, http.StatusUnauthorized, AdminUnauthorized, unauthorizedMessage)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func bearerMatches(header string, want [sha256.Size]byte) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		token = ""
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return match && token != ""
}

// validateAdmin reads an admin request's body and checks the request
// against the spec; a failure answers in the admin error shape.
func (s *Server) validateAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeFrom(r)
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, adminMaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeAdminError(w, http.StatusRequestEntityTooLarge, AdminInvalid, fmt.Sprintf("request body is larger than %d bytes", adminMaxBodyBytes))
				return
			}
			writeAdminError(w, http.StatusBadRequest, AdminInvalid, "request body could not be read: "+err.Error())
			return
		}
		ex.body = body
		if p := s.validator.CheckRequest(r.Context(), r, body); p != nil {
			code := AdminInvalid
			if p.Status == http.StatusNotFound {
				code = AdminNotFound
			}
			writeAdminError(w, p.Status, code, p.Message)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// adminFallback answers admin paths and methods that no route serves, after
// authentication so that the admin API's shape is not revealed without it.
func (s *Server) adminFallback() http.Handler {
	return s.requireAdmin(s.validateAdmin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAdminError(w, http.StatusNotFound, AdminNotFound, fmt.Sprintf("no operation at %s %s", r.Method, r.URL.Path))
	})))
}

// decodeAdminBody reads the JSON body the validator already accepted into v.
func decodeAdminBody(r *http.Request, v any) error {
	dec := json.NewDecoder(bytes.NewReader(exchangeFrom(r).body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return invalidf("%s must be %s", typeErr.Field, typeErr.Type.String())
		}
		return invalidf("request body: %s", err.Error())
	}
	return nil
}
