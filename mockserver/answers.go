package mockserver

import (
	"sync"
	"sync/atomic"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// keptAnswersLimit bounds the answers kept: the hot transactions of a load
// test or a polling client, at about 600 bytes each.
const keptAnswersLimit = 1024

// keptAnswers are the encoded answers to enquiries of transactions that
// no rule moves on (recharge.Transaction.CountOnly): a client polling a
// settled transaction is answered bytes encoded once. An answer serves only
// while the enquiry finds the transaction showing what it showed when the
// answer was encoded (recharge.Shown), in the same dialect, so a change by
// the admin API, a reset or another replica is answered at once. When the
// limit is reached the kept answers are dropped together and kept afresh.
type keptAnswers struct {
	entries atomic.Pointer[sync.Map] // transaction.Key → *keptAnswer
	n       atomic.Int64
	limit   int64
}

type keptAnswer struct {
	dialect dialect.Dialect
	shown   recharge.Shown
	body    []byte
}

func newKeptAnswers(limit int64) *keptAnswers {
	k := &keptAnswers{limit: limit}
	k.entries.Store(new(sync.Map))
	return k
}

// answer is the encoded answer to an enquiry that found t, as dialect d
// spells it with codes; it must not be written into.
func (k *keptAnswers) answer(d dialect.Dialect, t *recharge.Transaction, codes recharge.StatusCodes) []byte {
	shown := t.Shown()
	m := k.entries.Load()
	if v, ok := m.Load(t.Key); ok {
		if e := v.(*keptAnswer); e.dialect == d && e.shown == shown {
			return e.body
		}
	}
	data := shown.Data(codes)
	e := &keptAnswer{dialect: d, shown: shown, body: d.AppendAnswer(nil, foundAnswer(&data))}
	if _, had := m.Swap(t.Key, e); !had && k.n.Add(1) > k.limit && k.entries.CompareAndSwap(m, new(sync.Map)) {
		k.n.Store(0)
	}
	return e.body
}

// foundAnswer is the answer to an enquiry that found a transaction.
func foundAnswer(data *rechargestatus.Data) rechargestatus.Answer {
	return rechargestatus.Answer{ResponseCode: rechargestatus.CodeFound, Status: true, Data: data, Message: rechargestatus.MessageFound}
}
