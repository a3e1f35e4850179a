package recharge

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

func newTestService(t *testing.T) (*Service, *VirtualClock) {
	t.Helper()
	clock := NewFrozenClock(t0)
	s := NewService(NewMemoryStore(), clock, 7)
	s.SetRegistrations([]Registration{
		{ID: "AOP-554"},
		{ID: "AOP-SECURE", Key: "k3y"},
		{ID: "AOP-OFF", Disabled: true},
	})
	return s, clock
}

func enquire(t *testing.T, s *Service, ref string) (Result, error) {
	t.Helper()
	return s.Enquire(context.Background(), Enquiry{RegistrationID: "AOP-554", ReferenceID: ref})
}

func TestEnquireByConvention(t *testing.T) {
	tests := []struct {
		ref      string
		states   []transaction.State // answered by successive enquiries
		notFound bool
		authMsg  string
		// rejected: answered as the JWT decoder's refusal of a Token.
		rejected bool
	}{
		{ref: "ORDER-1", states: []transaction.State{transaction.StateSuccess, transaction.StateSuccess}},
		{ref: "PENDING-1", states: []transaction.State{transaction.StatePending, transaction.StatePending, transaction.StatePending, transaction.StateSuccess, transaction.StateSuccess}},
		{ref: "PENDFAIL-1", states: []transaction.State{transaction.StatePending, transaction.StatePending, transaction.StatePending, transaction.StateFailed}},
		{ref: "PENDREFUND-1", states: []transaction.State{transaction.StatePending, transaction.StatePending, transaction.StatePending, transaction.StateFailed, transaction.StateFailed, transaction.StateFailed, transaction.StateRefunded}},
		{ref: "STUCK-1", states: []transaction.State{transaction.StatePending, transaction.StatePending, transaction.StatePending, transaction.StatePending, transaction.StatePending}},
		{ref: "FAILED-1", states: []transaction.State{transaction.StateFailed, transaction.StateFailed}},
		{ref: "REFUND-1", states: []transaction.State{transaction.StateRefunded}},
		{ref: "NOTFOUND-1", notFound: true},
		{ref: "AUTHFAIL-1", authMsg: rechargestatus.MessageAuthenticationFailed},
		{ref: "BADSIG-1", authMsg: rechargestatus.MessageInvalidSignatureEncoding, rejected: true},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			s, _ := newTestService(t)
			if tt.notFound || tt.authMsg != "" {
				res, err := enquire(t, s, tt.ref)
				if tt.authMsg != "" {
					if e, _ := err.(*transaction.Error); e == nil || e.Code != transaction.EUNAUTHORIZED || e.Message != tt.authMsg || e.TokenRejected != tt.rejected {
						t.Fatalf("got %#v, want unauthorized %q, token rejected %t", err, tt.authMsg, tt.rejected)
					}
				} else if err != nil || res.Found {
					t.Fatalf("got %+v %v, want not found", res, err)
				}
				if n, _ := s.Store.Count(context.Background()); n != 0 {
					t.Fatalf("%d transactions made, want none", n)
				}
				return
			}
			var txnid string
			for i, want := range tt.states {
				res, err := enquire(t, s, tt.ref)
				if err != nil || !res.Found {
					t.Fatalf("enquiry %d: %+v %v", i+1, res, err)
				}
				if res.Transaction.State != want {
					t.Fatalf("enquiry %d: %s, want %s", i+1, res.Transaction.State, want)
				}
				if txnid != "" && res.Transaction.TxnID != txnid {
					t.Fatalf("txnid changed from %s to %s", txnid, res.Transaction.TxnID)
				}
				txnid = res.Transaction.TxnID
				if err := res.Transaction.Validate(); err != nil {
					t.Fatalf("enquiry %d answers an invalid transaction: %v", i+1, err)
				}
			}
		})
	}
}

func TestUnknownNotFoundPolicy(t *testing.T) {
	s, _ := newTestService(t)
	s.Unknown = UnknownNotFound
	res, err := enquire(t, s, "ORDER-1")
	if err != nil || res.Found {
		t.Fatalf("got %+v %v, want not found", res, err)
	}
	if _, err := enquire(t, s, "BADSIG-1"); transaction.ErrorMessage(err) != rechargestatus.MessageInvalidSignatureEncoding {
		t.Fatalf("401 conventions apply whatever the policy: %v", err)
	}
}

func TestDurationDefaultRuleWithTheClock(t *testing.T) {
	s, clock := newTestService(t)
	s.DefaultRule = transaction.Rule{After: transaction.Duration(10 * time.Minute)}
	for range 5 {
		if res, _ := enquire(t, s, "PENDING-T"); res.Transaction.State != transaction.StatePending {
			t.Fatalf("resolved before the clock moved: %s", res.Transaction.State)
		}
	}
	clock.Advance(10 * time.Minute)
	if res, _ := enquire(t, s, "PENDING-T"); res.Transaction.State != transaction.StateSuccess {
		t.Fatalf("after 10 minutes: %s", res.Transaction.State)
	}
}

func TestAuthentication(t *testing.T) {
	s, clock := newTestService(t)
	now := clock.Now()
	good := func(reqid string) string {
		tok, err := partnertoken.Sign("k3y", "AOP-SECURE", reqid, now)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	wrongKey, _ := partnertoken.Sign("other", "AOP-SECURE", "r9", now)
	stale, _ := partnertoken.Sign("k3y", "AOP-SECURE", "r8", now.Add(-6*time.Minute))
	otherPartner, _ := partnertoken.Sign("k3y", "AOP-554", "r7", now)
	replayed := good("r-replay")
	tests := []struct {
		name, reg, token string
		wantCode         string
		wantMsg          string
		// rejected: the JWT decoder refused the Token, which dialects
		// answer apart from other authentication failures.
		rejected bool
	}{
		{name: "unknown registration", reg: "NOPE", wantCode: transaction.EUNAUTHORIZED, wantMsg: rechargestatus.MessageAuthenticationFailed},
		{name: "disabled registration", reg: "AOP-OFF", wantCode: transaction.EDISABLED},
		{name: "no token", reg: "AOP-SECURE", wantCode: transaction.EUNAUTHORIZED, wantMsg: rechargestatus.MessageAuthenticationFailed},
		{name: "two segments", reg: "AOP-SECURE", token: "a.b", wantCode: transaction.EUNAUTHORIZED, wantMsg: rechargestatus.MessageWrongSegments, rejected: true},
		{name: "signature not base64url", reg: "AOP-SECURE", token: good("r1")[:len(good("r1"))-4] + "!!!!", wantCode: transaction.EUNAUTHORIZED, wantMsg: rechargestatus.MessageInvalidSignatureEncoding, rejected: true},
		{name: "wrong key", reg: "AOP-SECURE", token: wrongKey, wantCode: transaction.EUNAUTHORIZED, wantMsg: rechargestatus.MessageSignatureFailed, rejected: true},
		{name: "expired", reg: "AOP-SECURE", token: stale, wantCode: transaction.EUNAUTHORIZED, wantMsg: rechargestatus.MessageExpiredToken, rejected: true},
		{name: "other partner", reg: "AOP-SECURE", token: otherPartner, wantCode: transaction.EUNAUTHORIZED, wantMsg: rechargestatus.MessageAuthenticationFailed},
		{name: "valid", reg: "AOP-SECURE", token: replayed},
		{name: "replayed reqid", reg: "AOP-SECURE", token: replayed, wantCode: transaction.EUNAUTHORIZED, wantMsg: rechargestatus.MessageAuthenticationFailed},
		{name: "key-less registration ignores tokens", reg: "AOP-554", token: "garbage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Enquire(context.Background(), Enquiry{RegistrationID: tt.reg, ReferenceID: "SEC-1", Token: tt.token})
			if transaction.ErrorCode(err) != tt.wantCode {
				t.Fatalf("code %q, want %q (%v)", transaction.ErrorCode(err), tt.wantCode, err)
			}
			if tt.wantMsg != "" && transaction.ErrorMessage(err) != tt.wantMsg {
				t.Fatalf("message %q, want %q", transaction.ErrorMessage(err), tt.wantMsg)
			}
			if e, _ := err.(*transaction.Error); e != nil && e.TokenRejected != tt.rejected {
				t.Fatalf("TokenRejected %t, want %t: %v", e.TokenRejected, tt.rejected, err)
			}
		})
	}
}

func TestConcurrentEnquiriesCountOnceEach(t *testing.T) {
	s, _ := newTestService(t)
	const workers, each = 16, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ref := "STUCK-shared"
				if i%2 == 1 {
					ref = fmt.Sprintf("ORDER-%d", w)
				}
				if _, err := enquire(t, s, ref); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	shared, err := s.Store.Get(context.Background(), transaction.Key{RegistrationID: "AOP-554", ReferenceID: "STUCK-shared"})
	if err != nil {
		t.Fatal(err)
	}
	if shared.Enquiries != workers*each/2 {
		t.Fatalf("shared transaction counted %d enquiries, want %d", shared.Enquiries, workers*each/2)
	}
	for w := range workers {
		own, err := s.Store.Get(context.Background(), transaction.Key{RegistrationID: "AOP-554", ReferenceID: fmt.Sprintf("ORDER-%d", w)})
		if err != nil || own.Enquiries != each/2 {
			t.Fatalf("worker %d: %d enquiries, %v", w, own.Enquiries, err)
		}
	}
}

func TestTransition(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	if _, err := enquire(t, s, "STUCK-1"); err != nil {
		t.Fatal(err)
	}
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "STUCK-1"}
	if _, err := s.Transition(ctx, key, transaction.StateRefunded); transaction.ErrorCode(err) != transaction.ECONFLICT {
		t.Fatalf("refund of a pending transaction: %v", err)
	}
	if tx, err := s.Transition(ctx, key, transaction.StateFailed); err != nil || tx.State != transaction.StateFailed {
		t.Fatalf("fail: %+v %v", tx, err)
	}
	tx, err := s.Transition(ctx, key, transaction.StateRefunded)
	if err != nil || tx.State != transaction.StateRefunded || tx.RefundTxnID == "" || tx.DateRefunded == nil {
		t.Fatalf("refund: %+v %v", tx, err)
	}
	if _, err := s.Transition(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "nope"}, transaction.StateSuccess); transaction.ErrorCode(err) != transaction.ENOTFOUND {
		t.Fatalf("missing transaction: %v", err)
	}
}

func TestResetAndReload(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	regs := []Registration{{ID: "AOP-554"}}
	fixture := func(ref string, st transaction.State) Transaction {
		return Transaction{Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: ref}, State: st}
	}
	if err := s.Reset(ctx, regs, []Transaction{fixture("F1", transaction.StatePending), fixture("F2", transaction.StateSuccess)}); err != nil {
		t.Fatal(err)
	}
	if _, err := enquire(t, s, "AUTO-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "F1"}, transaction.StateSuccess); err != nil {
		t.Fatal(err)
	}
	// The edited file drops F2, redefines F1 and adds F3.
	err := s.Reload(ctx, []Registration{{ID: "AOP-554"}, {ID: "AOP-NEW"}}, []Transaction{fixture("F1", transaction.StateFailed), fixture("F3", transaction.StateFailed)})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := s.Store.List(ctx, Filter{})
	got := map[string]transaction.State{}
	for _, tx := range all {
		got[tx.ReferenceID] = tx.State
	}
	want := map[string]transaction.State{"AUTO-1": transaction.StateSuccess, "F1": transaction.StateSuccess, "F3": transaction.StateFailed}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after reload %v, want %v", got, want)
	}
	if _, ok := s.Registration("AOP-NEW"); !ok {
		t.Fatal("reload did not add the new registration")
	}
	if err := s.Reset(ctx, regs, []Transaction{fixture("F1", transaction.StatePending)}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Store.Count(ctx); n != 1 {
		t.Fatalf("after reset %d transactions, want 1", n)
	}
	bad := fixture("BAD", transaction.StateSuccess)
	bad.Amount = "ten"
	if err := s.Reset(ctx, regs, []Transaction{bad}); err == nil {
		t.Fatal("an invalid fixture was accepted")
	}
	if all, _ := s.Store.List(ctx, Filter{}); len(all) != 1 || all[0].ReferenceID != "F1" {
		t.Fatalf("a refused reset changed the store: %v", all)
	}
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	k := transaction.Key{RegistrationID: "R", ReferenceID: "1"}
	if _, err := s.Get(ctx, k); transaction.ErrorCode(err) != transaction.ENOTFOUND {
		t.Fatalf("get missing: %v", err)
	}
	if err := s.Delete(ctx, k); transaction.ErrorCode(err) != transaction.ENOTFOUND {
		t.Fatalf("delete missing: %v", err)
	}
	_ = s.Put(ctx, Transaction{Key: k, State: transaction.StateSuccess})
	_ = s.Put(ctx, Transaction{Key: transaction.Key{RegistrationID: "R", ReferenceID: "0"}, State: transaction.StatePending})
	_ = s.Put(ctx, Transaction{Key: transaction.Key{RegistrationID: "Q", ReferenceID: "9"}, State: transaction.StatePending})
	list, _ := s.List(ctx, Filter{State: transaction.StatePending})
	if len(list) != 2 || list[0].RegistrationID != "Q" || list[1].ReferenceID != "0" {
		t.Fatalf("filtered, ordered list: %+v", list)
	}
	if list, _ := s.List(ctx, Filter{RegistrationID: "R"}); len(list) != 2 {
		t.Fatalf("by registration: %d", len(list))
	}
	_, err := s.Update(ctx, k, func(cur Transaction, found bool) (Transaction, error) {
		return cur, transaction.Errorf(transaction.ECONFLICT, "no")
	})
	if transaction.ErrorCode(err) != transaction.ECONFLICT {
		t.Fatalf("update error: %v", err)
	}
	if got, _ := s.Get(ctx, k); got.State != transaction.StateSuccess {
		t.Fatal("a failed update wrote")
	}
	if err := s.SaveSetting(ctx, "clock", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := s.LoadSetting(ctx, "clock"); !ok || string(v) != "x" {
		t.Fatalf("setting: %q %v", v, ok)
	}
}
