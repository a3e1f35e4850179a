package adminhttp

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// handlers turn each operation's request into a call of the admin.Admin, and
// its result into the answer.
type handlers struct {
	admin admin.Admin
}

// answer writes v with status, or err.
func answer(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	if v == nil {
		w.WriteHeader(status)
		return
	}
	envelope.WriteJSON(w, status, v)
}

func keyOf(r *http.Request) transaction.Key {
	return transaction.Key{RegistrationID: pathVar(r, "registrationId"), ReferenceID: pathVar(r, "referenceId")}
}

func (h *handlers) health(w http.ResponseWriter, r *http.Request) {
	health, err := h.admin.Health(r.Context())
	if admin.ErrorCode(err) == admin.CodeUnavailable {
		// The answer is the health all the same, saying what is wrong.
		envelope.WriteJSON(w, http.StatusServiceUnavailable, struct {
			Status string `json:"status"`
			Error  string `json:"error"`
		}{health.Status, health.Error})
		return
	}
	answer(w, http.StatusOK, health, err)
}

// pageQuery reads a list's page parameters, limit and after; after is
// checked by the list, whose cursor it is.
func pageQuery(q url.Values) (admin.PageQuery, error) {
	p := admin.PageQuery{After: q.Get("after")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > admin.MaxListPage {
			return p, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "limit %q must be an integer from 1 to %d", v, admin.MaxListPage)
		}
		p.Limit = n
	}
	if q.Has("after") && p.After == "" {
		return p, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "after must not be empty: pass the next of a page, or leave it out for the first")
	}
	return p, nil
}

func (h *handlers) listTransactions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := pageQuery(q)
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := h.admin.ListTransactionPage(r.Context(), admin.TransactionFilter{RegistrationID: q.Get("registrationId"), State: transaction.State(q.Get("state"))}, p)
	answer(w, http.StatusOK, list, err)
}

func (h *handlers) getTransaction(w http.ResponseWriter, r *http.Request) {
	v, err := h.admin.GetTransaction(r.Context(), keyOf(r))
	answer(w, http.StatusOK, v, err)
}

func (h *handlers) putTransaction(w http.ResponseWriter, r *http.Request) {
	var t transaction.Description
	if !decode(w, r, &t) {
		return
	}
	key := keyOf(r)
	v, created, err := h.admin.PutTransaction(r.Context(), key, t)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", admin.RouteOf(admin.OpGetTransaction).Path(key.RegistrationID, key.ReferenceID))
	}
	answer(w, status, v, err)
}

func (h *handlers) deleteTransaction(w http.ResponseWriter, r *http.Request) {
	answer(w, http.StatusNoContent, nil, h.admin.DeleteTransaction(r.Context(), keyOf(r)))
}

func (h *handlers) transition(w http.ResponseWriter, r *http.Request) {
	var t admin.Transition
	if !decode(w, r, &t) {
		return
	}
	v, err := h.admin.Transition(r.Context(), keyOf(r), t.To)
	answer(w, http.StatusOK, v, err)
}

// journalQuery reads the journal's query parameters.
func journalQuery(q url.Values) (admin.JournalQuery, error) {
	jq := admin.JournalQuery{ReferenceID: q.Get("referenceId"), RegistrationID: q.Get("registrationId")}
	for name, dst := range map[string]*time.Time{"since": &jq.Since, "until": &jq.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return jq, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "%s %q is not an RFC 3339 time such as 2026-03-05T12:00:00Z", name, v)
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > admin.MaxJournalPage {
			return jq, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "limit %q must be an integer from 1 to %d", v, admin.MaxJournalPage)
		}
		jq.Limit = n
	}
	if v := q.Get("after"); v != "" {
		id, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return jq, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "after %q must be a request id, such as the nextAfter of a page", v)
		}
		jq.After = &id
	}
	return jq, nil
}

func (h *handlers) listRequests(w http.ResponseWriter, r *http.Request) {
	q, err := journalQuery(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	page, err := h.admin.ListRequestPage(r.Context(), q)
	answer(w, http.StatusOK, page, err)
}

func (h *handlers) countRequests(w http.ResponseWriter, r *http.Request) {
	q, err := journalQuery(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	n, err := h.admin.CountRequests(r.Context(), q)
	answer(w, http.StatusOK, admin.Count{Count: n}, err)
}

func (h *handlers) findRequests(w http.ResponseWriter, r *http.Request) {
	var m admin.RequestMatcher
	if !decode(w, r, &m) {
		return
	}
	found, err := h.admin.FindRequests(r.Context(), m)
	answer(w, http.StatusOK, found, err)
}

func (h *handlers) countMatching(w http.ResponseWriter, r *http.Request) {
	var m admin.RequestMatcher
	if !decode(w, r, &m) {
		return
	}
	n, err := h.admin.CountMatching(r.Context(), m)
	answer(w, http.StatusOK, admin.Count{Count: n}, err)
}

func (h *handlers) nearMisses(w http.ResponseWriter, r *http.Request) {
	var m admin.RequestMatcher
	if !decode(w, r, &m) {
		return
	}
	misses, err := h.admin.NearMisses(r.Context(), m)
	answer(w, http.StatusOK, admin.NearMissList{NearMisses: misses}, err)
}

func (h *handlers) clearRequests(w http.ResponseWriter, r *http.Request) {
	answer(w, http.StatusNoContent, nil, h.admin.ClearRequests(r.Context()))
}

func (h *handlers) reset(w http.ResponseWriter, r *http.Request) {
	res, err := h.admin.Reset(r.Context())
	answer(w, http.StatusOK, res, err)
}

func (h *handlers) reloadFixtures(w http.ResponseWriter, r *http.Request) {
	res, err := h.admin.ReloadFixtures(r.Context())
	answer(w, http.StatusOK, res, err)
}

func (h *handlers) clock(w http.ResponseWriter, r *http.Request) {
	c, err := h.admin.Clock(r.Context())
	answer(w, http.StatusOK, c, err)
}

func (h *handlers) moveClock(w http.ResponseWriter, r *http.Request) {
	var m admin.ClockMove
	if !decode(w, r, &m) {
		return
	}
	c, err := h.admin.MoveClock(r.Context(), m)
	answer(w, http.StatusOK, c, err)
}

func (h *handlers) listFaults(w http.ResponseWriter, r *http.Request) {
	p, err := pageQuery(r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := h.admin.ListFaultPage(r.Context(), p)
	answer(w, http.StatusOK, list, err)
}

func (h *handlers) replaceFaults(w http.ResponseWriter, r *http.Request) {
	var list admin.FaultList
	if !decode(w, r, &list) {
		return
	}
	rules, err := h.admin.ReplaceFaults(r.Context(), list.Faults)
	answer(w, http.StatusOK, admin.FaultList{Faults: rules}, err)
}

func (h *handlers) addFault(w http.ResponseWriter, r *http.Request) {
	var rule admin.FaultRule
	if !decode(w, r, &rule) {
		return
	}
	added, err := h.admin.AddFault(r.Context(), rule)
	answer(w, http.StatusCreated, added, err)
}

func (h *handlers) clearFaults(w http.ResponseWriter, r *http.Request) {
	answer(w, http.StatusNoContent, nil, h.admin.ClearFaults(r.Context()))
}

func (h *handlers) deleteFault(w http.ResponseWriter, r *http.Request) {
	answer(w, http.StatusNoContent, nil, h.admin.DeleteFault(r.Context(), pathVar(r, "id")))
}

func (h *handlers) listViolations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := pageQuery(q)
	if err != nil {
		writeError(w, err)
		return
	}
	list, err := h.admin.ListViolationPage(r.Context(), admin.ViolationQuery{RegistrationID: q.Get("registrationId"), ReferenceID: q.Get("referenceId"), Rule: q.Get("rule"), PageQuery: p})
	answer(w, http.StatusOK, list, err)
}

func (h *handlers) clearViolations(w http.ResponseWriter, r *http.Request) {
	answer(w, http.StatusNoContent, nil, h.admin.ClearViolations(r.Context()))
}

func (h *handlers) audit(w http.ResponseWriter, r *http.Request) {
	q, err := audit.ParseQuery(r.URL.Query())
	if err != nil {
		writeError(w, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "%s", err.Error()))
		return
	}
	report, err := h.admin.Audit(r.Context(), q)
	answer(w, http.StatusOK, report, err)
}
