package admin

import (
	"iter"
	"net/url"
	"strconv"
)

// Pages of the transactions, fault rules and violations lists, as of the
// journal: the same limit, bounded alike.
const (
	// DefaultListPage is the items of a page when no limit is asked.
	DefaultListPage = DefaultJournalPage
	// MaxListPage is the most items a page holds.
	MaxListPage = MaxJournalPage
)

// PageQuery asks for one page of a list (GET /__admin/transactions,
// /__admin/faults, /__admin/violations): the first Limit items after the
// cursor After, in the list's order.
type PageQuery struct {
	// Limit is from 1 to MaxListPage; DefaultListPage when 0.
	Limit int
	// After is the Next of the page before, "" for the list's start. It
	// is opaque: only a Next is a valid one.
	After string
}

// values adds p's query parameters to q.
func (p PageQuery) values(q url.Values) {
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	setQuery(q, "after", p.After)
}

// pages walks a list page after page from first.After, each page of
// MaxListPage items, yielding each item once in the list's order; read
// returns a page's items and its Next, "" on the last page. An error is
// yielded once, and ends the walk.
func pages[T any](first PageQuery, read func(PageQuery) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		p := PageQuery{Limit: MaxListPage, After: first.After}
		for {
			items, next, err := read(p)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if next == "" || len(items) == 0 {
				return
			}
			p.After = next
		}
	}
}

// collect gathers what a walk yields; nothing but the error when one comes.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	out := []T{}
	for item, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	return out, nil
}
