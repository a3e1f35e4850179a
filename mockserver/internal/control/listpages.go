package control

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// pageLimit is p's limit, DefaultListPage when it asks none; an error
// naming limit when it is out of bounds.
func pageLimit(p admin.PageQuery) (int, error) {
	switch {
	case p.Limit == 0:
		return admin.DefaultListPage, nil
	case p.Limit < 0 || p.Limit > admin.MaxListPage:
		return 0, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "limit %d must be from 1 to %d", p.Limit, admin.MaxListPage)
	}
	return p.Limit, nil
}

// badCursor is the error of an after that no page gave.
func badCursor(after, what string) error {
	return admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "after %q is not a cursor of the %s: pass the next of a page, or nothing for the first", after, what)
}

// A transaction cursor is its key, the registration and the reference
// joined by a NUL byte (which no registration holds), in base64url: opaque,
// and safe in a query.
func transactionCursor(k transaction.Key) string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.RegistrationID + "\x00" + k.ReferenceID))
}

func parseTransactionCursor(after string) (*transaction.Key, error) {
	if after == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(after)
	reg, ref, found := strings.Cut(string(b), "\x00")
	if err != nil || !found {
		return nil, badCursor(after, "transactions")
	}
	return &transaction.Key{RegistrationID: reg, ReferenceID: ref}, nil
}

// ListTransactionPage reads the store a bounded chunk at a time from the
// cursor, keeping the transactions whose view f selects, until the page
// and one more are found: the page costs what it holds, not what the
// store holds, unless f's state is rare.
func (c *Control) ListTransactionPage(ctx context.Context, f admin.TransactionFilter, p admin.PageQuery) (admin.TransactionList, error) {
	limit, err := pageLimit(p)
	if err != nil {
		return admin.TransactionList{}, err
	}
	if f.State != "" && !f.State.Valid() {
		return admin.TransactionList{}, invalidState(f.State)
	}
	after, err := parseTransactionCursor(p.After)
	if err != nil {
		return admin.TransactionList{}, err
	}
	chunk := limit + 1
	if f.State != "" {
		// Most of a chunk may be left out: bigger chunks, fewer listings.
		chunk = admin.MaxListPage + 1
	}
	now := c.clock.Now()
	views := []admin.TransactionView{}
	for len(views) <= limit {
		sel := recharge.Filter{RegistrationID: f.RegistrationID, After: after, Limit: chunk}
		txs, err := c.store.List(ctx, sel)
		if err != nil {
			return admin.TransactionList{}, admin.ErrorOf(err)
		}
		txs = recharge.PageOf(txs, sel)
		for _, t := range txs {
			// The state is the one the next enquiry will find.
			if v := viewOf(t, now, c.codes); f.State == "" || v.State == f.State {
				views = append(views, v)
			}
		}
		if len(txs) < chunk {
			break
		}
		after = &txs[len(txs)-1].Key
	}
	list := admin.TransactionList{Transactions: views}
	if len(views) > limit {
		list.Transactions = views[:limit]
		list.Next = transactionCursor(views[limit-1].Key)
	}
	return list, nil
}

// ListFaultPage pages the rules by their IDs: the cursor is the ID of the
// last rule listed.
func (c *Control) ListFaultPage(_ context.Context, p admin.PageQuery) (admin.FaultList, error) {
	limit, err := pageLimit(p)
	if err != nil {
		return admin.FaultList{}, err
	}
	rules := c.faults.List()
	if p.After != "" {
		i := 0
		for i < len(rules) && rules[i].ID != p.After {
			i++
		}
		if i == len(rules) {
			return admin.FaultList{}, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "after %q names no fault rule in force: pass the next of a page, or nothing for the first", p.After)
		}
		rules = rules[i+1:]
	}
	list := admin.FaultList{Faults: rules}
	if len(rules) > limit {
		list.Faults = rules[:limit]
		list.Next = rules[limit-1].ID
	}
	return list, nil
}

// ListViolationPage pages the violations by the number each has among
// those found since the start or the last clear.
func (c *Control) ListViolationPage(ctx context.Context, q admin.ViolationQuery) (admin.ViolationList, error) {
	limit, err := pageLimit(q.PageQuery)
	if err != nil {
		return admin.ViolationList{}, err
	}
	return c.violationsAfter(ctx, q, limit)
}

// violationsAfter lists at most limit violations q selects after q.After.
func (c *Control) violationsAfter(ctx context.Context, q admin.ViolationQuery, limit int) (admin.ViolationList, error) {
	var after uint64
	if q.After != "" {
		var err error
		if after, err = strconv.ParseUint(q.After, 10, 64); err != nil {
			return admin.ViolationList{}, badCursor(q.After, "violations")
		}
	}
	p := c.findingsProxy()
	if p == nil {
		return admin.ViolationList{Violations: []admin.Violation{}}, nil
	}
	list, err := p.ViolationPage(ctx, q, after, limit)
	return list, admin.ErrorOf(err)
}
