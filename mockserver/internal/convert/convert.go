// Package convert turns the admin API's and the fixtures' types, the
// sandbox's words for what a person describes, into the domain's, what the
// sandbox keeps, and back.
package convert

import (
	"fmt"
	"net/http"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// Transaction is the domain transaction that t describes at key, its
// fields left out still to be generated. It accepts what t.Validate accepts.
func Transaction(key admin.Key, t admin.Transaction, origin recharge.Origin, scenario string) (recharge.Transaction, error) {
	if err := t.Validate(); err != nil {
		return recharge.Transaction{}, recharge.Errorf(recharge.EINVALID, "%s", err.Error())
	}
	tx := recharge.Transaction{
		Key:          recharge.Key{RegistrationID: key.RegistrationID, ReferenceID: key.ReferenceID},
		State:        recharge.State(t.State),
		TxnID:        t.TxnID,
		OperatorName: t.OperatorName,
		CANumber:     t.CANumber,
		Amount:       t.Amount,
		Comm:         t.Comm,
		TDS:          t.TDS,
		OperatorID:   t.OperatorID,
		RefundTxnID:  t.RefundTxnID,
		Resolve:      Rule(t.Resolve),
		Refund:       Rule(t.Refund),
		Origin:       origin,
		Scenario:     scenario,
	}
	// Validate has read the dates already.
	if t.DateAdded != "" {
		tx.DateAdded, _ = rechargestatus.ParseTime(t.DateAdded)
	}
	if t.DateRefunded != "" {
		at, _ := rechargestatus.ParseTime(t.DateRefunded)
		tx.DateRefunded = &at
	}
	if tx.Refund != nil {
		tx.Refund.To = recharge.StateRefunded
	}
	return tx, nil
}

func Rule(r *admin.Rule) *recharge.Rule {
	if r == nil {
		return nil
	}
	return &recharge.Rule{To: recharge.State(r.To), AfterEnquiries: r.AfterEnquiries, After: recharge.Duration(r.After)}
}

func AdminRule(r *recharge.Rule) *admin.Rule {
	if r == nil {
		return nil
	}
	return &admin.Rule{To: admin.State(r.To), AfterEnquiries: r.AfterEnquiries, After: admin.Duration(r.After)}
}

// Fixtures turns a fixtures set into what the service loads.
func Fixtures(set fixtures.Set) ([]recharge.Registration, []recharge.Transaction, error) {
	regs := make([]recharge.Registration, len(set.Registrations))
	for i, r := range set.Registrations {
		if _, err := RegistrationDialect(r); err != nil {
			return nil, nil, recharge.Errorf(recharge.EINVALID, "%s", err.Error())
		}
		regs[i] = recharge.Registration{ID: r.ID, Name: r.Name, Key: r.Key, PartnerID: r.PartnerID, Disabled: r.Disabled}
	}
	txs := make([]recharge.Transaction, len(set.Transactions))
	for i, t := range set.Transactions {
		tx, err := Transaction(t.Key, t.Transaction, recharge.OriginFixture, t.Scenario)
		if err != nil {
			return nil, nil, err
		}
		txs[i] = tx
	}
	return regs, txs, nil
}

// View shows t as the next enquiry would find it: transitions already due
// are applied, without storing them (the enquiry will).
func View(t recharge.Transaction, now time.Time, codes recharge.StatusCodes) admin.TransactionView {
	t.Settle(now)
	v := admin.TransactionView{
		Key:            admin.Key{RegistrationID: t.RegistrationID, ReferenceID: t.ReferenceID},
		State:          admin.State(t.State),
		Data:           t.Data(codes),
		Resolve:        AdminRule(t.Resolve),
		Refund:         AdminRule(t.Refund),
		Enquiries:      t.Enquiries,
		StateEnquiries: t.StateEnquiries,
		StateSince:     t.StateSince.UTC(),
		Origin:         admin.Origin(t.Origin),
		Scenario:       t.Scenario,
	}
	if v.Refund != nil {
		// A refund always goes to refunded; saying so adds nothing.
		v.Refund.To = ""
	}
	return v
}

// AdminError is the admin API's word for a domain error.
func AdminError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*admin.Error); ok {
		return err
	}
	msg := recharge.ErrorMessage(err)
	switch recharge.ErrorCode(err) {
	case recharge.EINVALID:
		return admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "%s", msg)
	case recharge.ENOTFOUND:
		return admin.Errorf(http.StatusNotFound, admin.CodeNotFound, "%s", msg)
	case recharge.ECONFLICT:
		return admin.Errorf(http.StatusConflict, admin.CodeConflict, "%s", msg)
	}
	return admin.Errorf(http.StatusInternalServerError, admin.CodeInternal, "%s", err.Error())
}

// RegistrationDialect reads the dialect a registration of the fixtures
// names; the zero Dialect when it names none.
func RegistrationDialect(r fixtures.Registration) (dialect.Dialect, error) {
	if r.Dialect == "" {
		return dialect.Dialect{}, nil
	}
	d, err := dialect.Parse(r.Dialect)
	if err != nil {
		return dialect.Dialect{}, fmt.Errorf("registration %s: %w", r.ID, err)
	}
	return d, nil
}
