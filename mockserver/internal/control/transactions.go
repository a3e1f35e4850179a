package control

import (
	"context"
	"net/http"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

func (c *Control) PutTransaction(ctx context.Context, key transaction.Key, in transaction.Description) (admin.TransactionView, bool, error) {
	if _, ok := c.service.Registration(key.RegistrationID); !ok {
		return admin.TransactionView{}, false, admin.Errorf(http.StatusNotFound, admin.CodeNotFound, "no registration %q; registrations come from the fixtures", key.RegistrationID)
	}
	t, err := recharge.FromDescription(key, in, transaction.OriginAdmin, "admin-"+string(in.State))
	if err != nil {
		return admin.TransactionView{}, false, admin.ErrorOf(err)
	}
	now := c.clock.Now()
	c.service.Complete(&t, now)
	if err := t.Validate(); err != nil {
		return admin.TransactionView{}, false, admin.ErrorOf(err)
	}
	created := false
	stored, err := c.store.Update(ctx, t.Key, func(_ recharge.Transaction, found bool) (recharge.Transaction, error) {
		created = !found
		return t, nil
	})
	if err != nil {
		return admin.TransactionView{}, false, admin.ErrorOf(err)
	}
	return viewOf(stored, now, c.codes), created, nil
}

func (c *Control) GetTransaction(ctx context.Context, key transaction.Key) (admin.TransactionView, error) {
	t, err := c.store.Get(ctx, key)
	if err != nil {
		return admin.TransactionView{}, admin.ErrorOf(err)
	}
	return viewOf(t, c.clock.Now(), c.codes), nil
}

func (c *Control) DeleteTransaction(ctx context.Context, key transaction.Key) error {
	return admin.ErrorOf(c.store.Delete(ctx, key))
}

func (c *Control) ListTransactions(ctx context.Context, f admin.TransactionFilter) ([]admin.TransactionView, error) {
	if f.State != "" && !f.State.Valid() {
		return nil, invalidState(f.State)
	}
	txs, err := c.store.List(ctx, recharge.Filter{RegistrationID: f.RegistrationID})
	if err != nil {
		return nil, admin.ErrorOf(err)
	}
	now := c.clock.Now()
	out := []admin.TransactionView{}
	for _, t := range txs {
		// The state is the one the next enquiry will find.
		if v := viewOf(t, now, c.codes); f.State == "" || v.State == f.State {
			out = append(out, v)
		}
	}
	return out, nil
}

func invalidState(s transaction.State) error {
	return admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "state %q is not one of pending, success, failed, refunded", s)
}

func (c *Control) Transition(ctx context.Context, key transaction.Key, to transaction.State) (admin.TransactionView, error) {
	t, err := c.service.Transition(ctx, key, transaction.State(to))
	if err != nil {
		return admin.TransactionView{}, admin.ErrorOf(err)
	}
	return viewOf(t, c.clock.Now(), c.codes), nil
}

// viewOf shows t as the admin API does, as the next enquiry would find it:
// transitions already due are applied, without storing them (the enquiry
// will).
func viewOf(t recharge.Transaction, now time.Time, codes recharge.StatusCodes) admin.TransactionView {
	t.Settle(now)
	v := admin.TransactionView{
		Key:            t.Key,
		State:          t.State,
		Data:           t.Data(codes),
		Resolve:        t.Resolve,
		Enquiries:      t.Enquiries,
		StateEnquiries: t.StateEnquiries,
		StateSince:     t.StateSince.UTC(),
		Origin:         t.Origin,
		Scenario:       t.Scenario,
	}
	if t.Refund != nil {
		// A refund always goes to refunded; saying so adds nothing.
		r := *t.Refund
		r.To = ""
		v.Refund = &r
	}
	return v
}
