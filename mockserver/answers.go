package mockserver

import (
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/internal/memo"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// keptAnswersSlots bounds the answers kept: the hot transactions of a load
// test or of polling clients, at about 600 bytes each.
const keptAnswersSlots = 1024

// keptAnswerSize holds the answer of a transaction of the usual lengths.
const keptAnswerSize = 512

// keptFrom is the enquiry of a transaction from which its answer is kept:
// most transactions a load test makes up are enquired once.
const keptFrom = 2

// keptAnswers are the encoded answers to enquiries of transactions that
// no rule moves on (recharge.Transaction.CountOnly): a client polling a
// settled transaction is answered bytes encoded once. An answer serves only
// while the enquiry finds the transaction showing what it showed when the
// answer was encoded (recharge.Shown), in the same dialect, so a change by
// the admin API, a reset or another replica is answered at once.
type keptAnswers struct {
	entries *memo.Map[transaction.Key, keptAnswer]
}

type keptAnswer struct {
	dialect dialect.Dialect
	shown   recharge.Shown
	body    []byte
}

func newKeptAnswers(slots int) keptAnswers {
	return keptAnswers{entries: memo.New[transaction.Key, keptAnswer](slots, hashKey)}
}

func hashKey(k transaction.Key) uint64 { return memo.Strings(k.RegistrationID, k.ReferenceID) }

// serve answers an enquiry that found t with its kept answer, when t is
// one whose answer is kept: no rule moves it on, and the enquiry is at
// least its keptFrom-th. It reports whether it answered.
func (k keptAnswers) serve(w http.ResponseWriter, d dialect.Dialect, t *recharge.Transaction, codes recharge.StatusCodes) bool {
	if !t.CountOnly() || t.Enquiries < keptFrom {
		return false
	}
	envelope.WriteBody(w, http.StatusOK, k.answer(d, t, codes))
	return true
}

// answer is the encoded answer to an enquiry that found t, as dialect d
// spells it with codes; it must not be written into.
func (k keptAnswers) answer(d dialect.Dialect, t *recharge.Transaction, codes recharge.StatusCodes) []byte {
	shown := t.Shown()
	if e, ok := k.entries.Load(t.Key); ok && e.dialect == d && e.shown == shown {
		return e.body
	}
	data := shown.Data(codes)
	body := d.AppendAnswer(make([]byte, 0, keptAnswerSize), foundAnswer(&data))
	k.entries.Store(t.Key, keptAnswer{dialect: d, shown: shown, body: body})
	return body
}

// foundAnswer is the answer to an enquiry that found a transaction.
func foundAnswer(data *rechargestatus.Data) rechargestatus.Answer {
	return rechargestatus.Answer{ResponseCode: rechargestatus.CodeFound, Status: true, Data: data, Message: rechargestatus.MessageFound}
}
