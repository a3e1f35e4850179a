package recharge_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

func TestAnAssumedVersionIsConfirmedOnlyByTheStoresOwn(t *testing.T) {
	ctx := context.Background()
	errDown := errors.New("connection refused")
	for _, c := range []struct {
		name      string
		stored    int64
		readErr   error
		want      error
		confirmed bool
	}{
		{name: "the same version", stored: 7, confirmed: true},
		{name: "another version", stored: 8, want: recharge.ErrStale},
		{name: "a store that lost the sandbox", readErr: recharge.ErrLost, want: recharge.ErrStale},
		{name: "a store that does not answer", readErr: errDown, want: errDown},
	} {
		t.Run(c.name, func(t *testing.T) {
			reads := 0
			read := func(context.Context) (int64, error) { reads++; return c.stored, c.readErr }
			a := recharge.AssumedFrom(recharge.Assume(ctx, 7, read, nil))
			if err := a.Confirm(ctx); !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Fatalf("Confirm: %v, want %v", err, c.want)
			}
			_, pending := a.Expected()
			if pending == c.confirmed {
				t.Fatalf("after Confirm a write must still check the version: %t, want %t", pending, !c.confirmed)
			}
			if err := a.Confirm(ctx); c.confirmed && (err != nil || reads != 1) {
				t.Fatalf("a confirmed version read again: %d reads, %v", reads, err)
			}
		})
	}
}

func TestAWriteThatFoundTheVersionConfirmsIt(t *testing.T) {
	ctx := context.Background()
	read := func(context.Context) (int64, error) {
		t.Error("the version was read though a write had found it")
		return 0, nil
	}
	ctx = recharge.Assume(ctx, 3, read, nil)
	a := recharge.AssumedFrom(ctx)
	if v, ok := a.Expected(); !ok || v != 3 {
		t.Fatalf("Expected before a write: %d, %t; want 3, true", v, ok)
	}
	a.Confirmed()
	if err := a.Confirm(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRereadDropsTheAssumption(t *testing.T) {
	ctx := context.Background()
	if got := recharge.Reread(ctx); got != ctx {
		t.Fatal("Reread changed a context without an assumption")
	}
	reread := 0
	ctx = recharge.Assume(ctx, 3, nil, func(context.Context) error { reread++; return nil })
	after := recharge.Reread(ctx)
	if reread != 1 {
		t.Fatalf("the shared state was reread %d times, want once", reread)
	}
	if _, ok := recharge.AssumedFrom(after).Expected(); ok {
		t.Fatal("a write after Reread still checks the version it assumed before")
	}
	if err := recharge.AssumedFrom(after).Confirm(after); err != nil {
		t.Fatalf("Confirm without an assumption: %v", err)
	}
}
