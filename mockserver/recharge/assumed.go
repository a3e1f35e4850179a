package recharge

import (
	"context"
	"errors"
	"sync/atomic"
)

// ErrStale is a Shared store's refusal of a write made on an AssumedVersion
// that is no longer the store's: another process changed the clock or the
// fault rules, reset the store, or the store lost the sandbox's state. The
// write was not made; the request is answered again once this process has
// reread the shared state.
var ErrStale = errors.New("the shared state changed since this process last read it")

// AssumedVersion is the version of a Shared store that an enquiry is
// answered on without reading the version first. The enquiry's write reads
// it instead, in the same atomic step, and is refused (ErrStale) when it
// moved; where the answer depends on the shared state without such a
// write, Confirm reads it. Either way the enquiry is answered on the state
// of one moment of its own, as when the version is read before it, at one
// round trip less.
type AssumedVersion struct {
	version   int64
	read      func(context.Context) (int64, error)
	reread    func(context.Context) error
	confirmed atomic.Bool
}

type assumedKey struct{}

// Assume is ctx carrying the assumption that the store's version is
// version; read reads the store's version when Confirm must, and reread
// brings this process's copy of the shared state up to date after
// ErrStale.
func Assume(ctx context.Context, version int64, read func(context.Context) (int64, error), reread func(context.Context) error) context.Context {
	return context.WithValue(ctx, assumedKey{}, &AssumedVersion{version: version, read: read, reread: reread})
}

// AssumedFrom is the assumption ctx carries, nil when it carries none.
func AssumedFrom(ctx context.Context) *AssumedVersion {
	a, _ := ctx.Value(assumedKey{}).(*AssumedVersion)
	return a
}

// Reread brings this process's copy of the shared state up to date, once
// a write found the assumption stale, and answers ctx without it: the
// request is answered again on the state just read, as when no version is
// assumed. An error leaves the state as it was, and the request meets the
// store's trouble when it is answered again.
func Reread(ctx context.Context) context.Context {
	a := AssumedFrom(ctx)
	if a == nil {
		return ctx
	}
	_ = a.reread(ctx)
	return context.WithValue(ctx, assumedKey{}, (*AssumedVersion)(nil))
}

// Expected is the version a write must find in the store; ok is false when
// there is nothing to check: no assumption, or one already confirmed.
func (a *AssumedVersion) Expected() (version int64, ok bool) {
	if a == nil || a.confirmed.Load() {
		return 0, false
	}
	return a.version, true
}

// Confirmed records that a write found the assumed version in the store.
func (a *AssumedVersion) Confirmed() {
	if a != nil {
		a.confirmed.Store(true)
	}
}

// Confirm reads the store's version unless it is known already, and
// answers ErrStale when it is not the one assumed, or the store lost the
// sandbox's state.
func (a *AssumedVersion) Confirm(ctx context.Context) error {
	if _, ok := a.Expected(); !ok {
		return nil
	}
	v, err := a.read(ctx)
	if errors.Is(err, ErrLost) {
		return ErrStale
	}
	if err != nil {
		return err
	}
	if v != a.version {
		return ErrStale
	}
	a.confirmed.Store(true)
	return nil
}
