package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Phase is where an answer places a transaction in its lifecycle.
type Phase string

// Phases of a transaction as its answers show them.
const (
	PhasePending  Phase = "pending"
	PhaseSuccess  Phase = "success"
	PhaseFailed   Phase = "failed"
	PhaseRefunded Phase = "refunded"
)

// Final reports whether the transaction's data no longer changes, except for a
// failed one being refunded.
func (p Phase) Final() bool { return p != PhasePending }

// PhaseOf reads the phase from a found transaction's data.status and
// refunded: "1" success, "0" failed (refunded when refunded is "1"), anything
// else pending.
func PhaseOf(status, refunded string) Phase {
	switch {
	case status == "1":
		return PhaseSuccess
	case status == "0" && refunded == "1":
		return PhaseRefunded
	case status == "0":
		return PhaseFailed
	}
	return PhasePending
}

// refundFields are the data fields a refund may fill in on a failed
// transaction; every other field is fixed once the transaction is final.
var refundFields = map[string]bool{"refunded": true, "refundtxnid": true, "daterefunded": true}

// History remembers the final answers seen of each transaction, to hold the
// rule that enquiring a final transaction again answers the same data: a
// success or a refund never changes, a failure changes only by being refunded.
// It forgets the transactions first seen longest ago beyond its limit, so a
// judge running for months keeps a bounded memory. It is safe for concurrent
// use.
type History struct {
	mu    sync.Mutex
	limit int
	final map[rechargestatus.Enquiry]snapshot
	// order lists the transactions in final, first seen first.
	order []rechargestatus.Enquiry
}

type snapshot struct {
	phase Phase
	data  map[string]json.RawMessage
}

// DefaultHistoryLimit is how many transactions a History holds when its
// limit is not set.
const DefaultHistoryLimit = 100_000

// NewHistory starts an empty history of at most limit transactions
// (DefaultHistoryLimit when limit is zero or less).
func NewHistory(limit int) *History {
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	return &History{limit: limit, final: make(map[rechargestatus.Enquiry]snapshot)}
}

// Observe records an answer to q and lists the ways it contradicts an earlier
// final answer of the same transaction. Answers that found nothing final are
// recorded only as far as they break the rule.
func (h *History) Observe(q rechargestatus.Enquiry, status int, body []byte) []Violation {
	if status != http.StatusOK {
		return nil
	}
	var envelope struct {
		ResponseCode json.RawMessage            `json:"response_code"`
		Data         map[string]json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &envelope) != nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	before, seen := h.final[q]
	if envelope.Data == nil {
		if seen && string(envelope.ResponseCode) == fmt.Sprint(rechargestatus.CodeNotFound) {
			return []Violation{{Rule: RuleFinalStable, Pointer: "/response_code",
				Message: fmt.Sprintf("the transaction was found %s before, now no transaction is found", before.phase)}}
		}
		return nil
	}
	now := snapshot{phase: PhaseOf(stringField(envelope.Data, "status"), stringField(envelope.Data, "refunded")), data: envelope.Data}
	var out violations
	if seen {
		compareFinal(&out, before, now)
	}
	if now.phase.Final() && (!seen || len(out) == 0) {
		h.remember(q, now, seen)
	}
	return out
}

// remember keeps q's final answer, forgetting the oldest transaction when a
// new one takes the history past its limit.
func (h *History) remember(q rechargestatus.Enquiry, s snapshot, known bool) {
	h.final[q] = s
	if known {
		return
	}
	h.order = append(h.order, q)
	for len(h.order) > h.limit {
		delete(h.final, h.order[0])
		h.order = h.order[1:]
	}
}

// Forget drops what is known of q's transaction, for when it is replaced on
// purpose (a sandbox's admin API may do that).
func (h *History) Forget(q rechargestatus.Enquiry) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.final[q]; !ok {
		return
	}
	delete(h.final, q)
	h.order = slices.DeleteFunc(h.order, func(e rechargestatus.Enquiry) bool { return e == q })
}

func compareFinal(out *violations, before, now snapshot) {
	if now.phase == PhasePending {
		out.add(RuleFinalStable, "/data/status", fmt.Sprintf("the transaction was already %s, it cannot be pending again (data.status %s)", before.phase, now.data["status"]))
		return
	}
	mayRefund := before.phase == PhaseFailed && now.phase == PhaseRefunded
	names := make([]string, 0, len(before.data)+len(now.data))
	for name := range before.data {
		names = append(names, name)
	}
	for name := range now.data {
		if _, ok := before.data[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if mayRefund && refundFields[name] {
			continue
		}
		was, is := compact(before.data[name]), compact(now.data[name])
		if was != is {
			out.add(RuleFinalStable, "/data/"+name, fmt.Sprintf("%s was %s when the transaction was already %s, now %s", name, orAbsent(was), before.phase, orAbsent(is)))
		}
	}
}

func stringField(data map[string]json.RawMessage, name string) string {
	var s string
	_ = json.Unmarshal(data[name], &s)
	return s
}

func compact(raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func orAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}
