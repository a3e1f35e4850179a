package journal

import (
	"bytes"
	"encoding/json"
	"maps"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// Matcher is an admin.RequestMatcher read and checked once, ready to test
// journal entries.
type Matcher struct {
	m       admin.RequestMatcher
	headers []headerTest
	fields  []fieldTest
}

type headerTest struct {
	name   string
	equals *string
	re     *regexp.Regexp
}

func (h headerTest) want() string {
	if h.equals != nil {
		return strconv.Quote(*h.equals)
	}
	return "matching " + strconv.Quote(h.re.String())
}

func (h headerTest) accepts(v string) bool {
	if h.equals != nil {
		return v == *h.equals
	}
	return h.re.MatchString(v)
}

type fieldTest struct {
	pointer string
	tokens  []string
	want    any // as decodeJSON reads it
}

// invalid is a refusal of a matcher naming the field at fault.
func invalid(format string, args ...any) error {
	return admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, format, args...)
}

// Compile reads m, refusing what cannot match as it says: a status out of
// range, an unknown dialect, a header test that is not exactly one of equals
// and matches, a regular expression or JSON pointer that does not parse, a
// time window that ends before it starts. The refusal is an *admin.Error
// naming the field.
func Compile(m admin.RequestMatcher) (*Matcher, error) {
	c := &Matcher{m: m}
	if m.Status != 0 && (m.Status < 100 || m.Status > 599) {
		return nil, invalid("status %d must be an HTTP status from 100 to 599", m.Status)
	}
	if m.Dialect != "" {
		if _, err := dialect.Parse(m.Dialect); err != nil {
			return nil, invalid("dialect: %s", err.Error())
		}
	}
	if m.From != nil && m.To != nil && !m.To.After(*m.From) {
		return nil, invalid("to %s must be after from %s", m.To.Format(time.RFC3339Nano), m.From.Format(time.RFC3339Nano))
	}
	for _, name := range slices.Sorted(maps.Keys(m.Headers)) {
		t, err := headerTestOf(name, m.Headers[name])
		if err != nil {
			return nil, err
		}
		c.headers = append(c.headers, t)
	}
	for _, pointer := range slices.Sorted(maps.Keys(m.BodyFields)) {
		t, err := fieldTestOf(pointer, m.BodyFields[pointer])
		if err != nil {
			return nil, err
		}
		c.fields = append(c.fields, t)
	}
	return c, nil
}

func headerTestOf(name string, h admin.HeaderMatch) (headerTest, error) {
	field := "headers." + name
	switch {
	case name == "":
		return headerTest{}, invalid("headers: a header name must not be empty")
	case (h.Equals == nil) == (h.Matches == ""):
		return headerTest{}, invalid("%s needs exactly one of equals and matches", field)
	case h.Equals != nil:
		return headerTest{name: name, equals: h.Equals}, nil
	}
	re, err := regexp.Compile(h.Matches)
	if err != nil {
		return headerTest{}, invalid("%s.matches is not a regular expression: %s", field, err.Error())
	}
	return headerTest{name: name, re: re}, nil
}

func fieldTestOf(pointer string, want any) (fieldTest, error) {
	if pointer != "" && !strings.HasPrefix(pointer, "/") {
		return fieldTest{}, invalid("bodyFields key %q is not a JSON pointer such as /referenceid", pointer)
	}
	var tokens []string
	if pointer != "" {
		for _, raw := range strings.Split(pointer[1:], "/") {
			tokens = append(tokens, strings.NewReplacer("~1", "/", "~0", "~").Replace(raw))
		}
	}
	b, err := json.Marshal(want)
	if err != nil {
		return fieldTest{}, invalid("bodyFields %s: %s", pointer, err.Error())
	}
	v, _ := decodeJSON(b)
	return fieldTest{pointer: pointer, tokens: tokens, want: v}, nil
}

// decodeJSON reads one JSON value, numbers as json.Number.
func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return nil, false
	}
	return v, true
}

// at is the value tokens point to in v.
func at(v any, tokens []string) (any, bool) {
	for _, tok := range tokens {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[tok]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) || (len(tok) > 1 && tok[0] == '0') {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// equalJSON compares JSON values, numbers by value (1 equals 1.0).
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, okx := new(big.Float).SetString(x.String())
		fy, oky := new(big.Float).SetString(y.String())
		return okx && oky && fx.Cmp(fy) == 0
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// differences lists every field of the matcher r misses, in the matcher's
// order; none when r matches.
func (c *Matcher) differences(r *record) []admin.Difference {
	e, m := &r.JournalEntry, &c.m
	var out []admin.Difference
	miss := func(field, want, got string) {
		out = append(out, admin.Difference{Field: field, Want: want, Got: got})
	}
	text := func(field, want, got string, same bool) {
		if want != "" && !same {
			miss(field, want, got)
		}
	}
	text("method", m.Method, e.Method, strings.EqualFold(m.Method, e.Method))
	text("path", m.Path, e.Path, m.Path == e.Path)
	if m.Status != 0 && m.Status != e.Status {
		miss("status", strconv.Itoa(m.Status), strconv.Itoa(e.Status))
	}
	text("scenario", m.Scenario, e.Scenario, m.Scenario == e.Scenario)
	text("fault", m.Fault, e.Fault, faultMatches(m.Fault, e.Fault))
	text("dialect", m.Dialect, e.Dialect, dialectMatches(m.Dialect, e.Dialect))
	text("registrationId", m.RegistrationID, e.RegistrationID, m.RegistrationID == e.RegistrationID)
	text("referenceId", m.ReferenceID, e.ReferenceID, m.ReferenceID == e.ReferenceID)
	for _, h := range c.headers {
		values := headerValues(e.RequestHeaders, h.name)
		if !slices.ContainsFunc(values, h.accepts) {
			miss("headers."+h.name, h.want(), strings.Join(values, ", "))
		}
	}
	if len(c.fields) > 0 {
		body, isJSON := decodeJSON(r.requestBody)
		for _, f := range c.fields {
			got, found := at(body, f.tokens)
			switch {
			case !isJSON:
				miss("bodyFields."+f.pointer, jsonText(f.want), "a body that is not JSON")
			case !found:
				miss("bodyFields."+f.pointer, jsonText(f.want), "")
			case !equalJSON(f.want, got):
				miss("bodyFields."+f.pointer, jsonText(f.want), jsonText(got))
			}
		}
	}
	if m.From != nil && e.Time.Before(*m.From) {
		miss("from", "at or after "+m.From.Format(time.RFC3339Nano), e.Time.Format(time.RFC3339Nano))
	}
	if m.To != nil && !e.Time.Before(*m.To) {
		miss("to", "before "+m.To.Format(time.RFC3339Nano), e.Time.Format(time.RFC3339Nano))
	}
	return out
}

// faultMatches reports whether the journal's fault got (such as "rule f1:
// status=503") is want whole, its source or its kind.
func faultMatches(want, got string) bool {
	if got == "" {
		return false
	}
	source, rule, _ := strings.Cut(got, ": ")
	kind, _, _ := strings.Cut(rule, "=")
	kind, _, _ = strings.Cut(kind, ";")
	return want == got || want == source || want == kind
}

// dialectMatches reports whether the dialect got (a spec as dialect.Parse
// reads it) is want whole or by name, in any letter case.
func dialectMatches(want, got string) bool {
	name, _, _ := strings.Cut(got, ";")
	return strings.EqualFold(want, got) || strings.EqualFold(want, strings.TrimSpace(name))
}

func headerValues(h map[string][]string, name string) []string {
	if v, ok := h[http.CanonicalHeaderKey(name)]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// Find lists the entries c matches, oldest first: the latest
// admin.MaxJournalPage of them within MaxPageBytes, keeping at least one,
// with their count; and the near misses when none matches.
func (j *Journal) Find(c *Matcher) admin.FoundRequests {
	j.mu.Lock()
	defer j.mu.Unlock()
	found := admin.FoundRequests{Requests: []admin.JournalEntry{}}
	var bytes int64
	full := false
	for i := j.n - 1; i >= 0; i-- {
		r := j.at(i)
		if len(c.differences(r)) > 0 {
			continue
		}
		found.Count++
		full = full || len(found.Requests) == admin.MaxJournalPage || (len(found.Requests) > 0 && bytes+r.size > MaxPageBytes)
		if !full {
			found.Requests = append(found.Requests, r.entry())
			bytes += r.size
		}
	}
	slices.Reverse(found.Requests)
	if found.Count == 0 {
		found.NearMisses = j.nearMisses(c)
	}
	return found
}

// CountMatching counts the entries c matches.
func (j *Journal) CountMatching(c *Matcher) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for i := range j.n {
		if len(c.differences(j.at(i))) == 0 {
			n++
		}
	}
	return n
}

// NearMisses lists the entries closest to matching c that do not: the
// fewest fields missed first, the latest first among equals, at most
// admin.MaxNearMisses.
func (j *Journal) NearMisses(c *Matcher) []admin.NearMiss {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.nearMisses(c)
}

func (j *Journal) nearMisses(c *Matcher) []admin.NearMiss {
	type miss struct {
		r     *record
		diffs []admin.Difference
	}
	var misses []miss
	for i := j.n - 1; i >= 0; i-- {
		r := j.at(i)
		if d := c.differences(r); len(d) > 0 {
			misses = append(misses, miss{r, d})
		}
	}
	sort.SliceStable(misses, func(a, b int) bool { return len(misses[a].diffs) < len(misses[b].diffs) })
	out := []admin.NearMiss{}
	for _, m := range misses[:min(len(misses), admin.MaxNearMisses)] {
		out = append(out, admin.NearMiss{Request: m.r.entry(), Differences: m.diffs})
	}
	return out
}
