package journal

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

var matchEpoch = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)

// matchJournal holds two enquiries that differ in every field a matcher
// reads: #1 a success of ORDER-1, #2 a 503 fault of ORDER-2.
func matchJournal() *Journal {
	j := New(0, 0)
	j.Add(admin.JournalEntry{
		Time: matchEpoch, Method: http.MethodPost, Path: "/api/AOP/RechargeStatus", Status: 200,
		RegistrationID: "AOP-554", ReferenceID: "ORDER-1", Scenario: "success", Dialect: "page",
		RequestHeaders: map[string][]string{"X-Trace-Id": {"trace-1"}},
	}, []byte(`{"referenceid":"ORDER-1","RegistrationID":"AOP-554","n":[1,{"a~b/c":2.0}]}`), nil)
	j.Add(admin.JournalEntry{
		Time: matchEpoch.Add(time.Minute), Method: http.MethodGet, Path: "/other", Status: 503,
		RegistrationID: "AOP-555", ReferenceID: "ORDER-2", Scenario: "fault:status", Fault: "rule f1: status=503;retryAfter=5",
		Dialect: "upstream; someKnob=1", RequestHeaders: map[string][]string{"X-Trace-Id": {"other", "trace-22"}},
	}, []byte(`not JSON`), nil)
	return j
}

func ptr[V any](v V) *V { return &v }

// TestEachMatcherFieldSelects holds every field of a matcher to the one
// entry it selects, and checks that the other is a near miss naming it.
func TestEachMatcherFieldSelects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		m       admin.RequestMatcher
		wantID  uint64 // the one entry matched
		missing string // the field the other entry misses
	}{
		{"method in any case", admin.RequestMatcher{Method: "post"}, 1, "method"},
		{"path", admin.RequestMatcher{Path: "/other"}, 2, "path"},
		{"status", admin.RequestMatcher{Status: 503}, 2, "status"},
		{"scenario", admin.RequestMatcher{Scenario: "success"}, 1, "scenario"},
		{"fault as journaled", admin.RequestMatcher{Fault: "rule f1: status=503;retryAfter=5"}, 2, "fault"},
		{"fault by source", admin.RequestMatcher{Fault: "rule f1"}, 2, "fault"},
		{"fault by kind", admin.RequestMatcher{Fault: "status"}, 2, "fault"},
		{"dialect by name", admin.RequestMatcher{Dialect: "UPSTREAM"}, 2, "dialect"},
		{"dialect whole", admin.RequestMatcher{Dialect: "page"}, 1, "dialect"},
		{"registrationId", admin.RequestMatcher{RegistrationID: "AOP-555"}, 2, "registrationId"},
		{"referenceId", admin.RequestMatcher{ReferenceID: "ORDER-1"}, 1, "referenceId"},
		{"header equals, name in any case", admin.RequestMatcher{Headers: map[string]admin.HeaderMatch{"x-trace-id": admin.HeaderEquals("trace-1")}}, 1, "headers.x-trace-id"},
		{"header matches one of its values", admin.RequestMatcher{Headers: map[string]admin.HeaderMatch{"X-Trace-Id": admin.HeaderMatches(`^trace-\d{2}$`)}}, 2, "headers.X-Trace-Id"},
		{"body field equals", admin.RequestMatcher{BodyFields: map[string]any{"/referenceid": "ORDER-1"}}, 1, "bodyFields./referenceid"},
		{"body field by escaped pointer, numbers by value", admin.RequestMatcher{BodyFields: map[string]any{"/n/1/a~0b~1c": 2}}, 1, "bodyFields./n/1/a~0b~1c"},
		{"from", admin.RequestMatcher{From: ptr(matchEpoch.Add(time.Second))}, 2, "from"},
		{"to", admin.RequestMatcher{To: ptr(matchEpoch.Add(time.Second))}, 1, "to"},
	}
	j := matchJournal()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compile(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			found := j.Find(c)
			if found.Count != 1 || len(found.Requests) != 1 || found.Requests[0].ID != tt.wantID {
				t.Fatalf("found %+v, want entry #%d alone", found, tt.wantID)
			}
			if found.NearMisses != nil {
				t.Fatalf("near misses %+v beside a match", found.NearMisses)
			}
			if n := j.CountMatching(c); n != 1 {
				t.Fatalf("count %d, want 1", n)
			}
			misses := j.NearMisses(c)
			if len(misses) != 1 || misses[0].Request.ID == tt.wantID {
				t.Fatalf("near misses %+v, want the other entry", misses)
			}
			if d := misses[0].Differences; len(d) != 1 || d[0].Field != tt.missing || d[0].Want == "" {
				t.Fatalf("differences %+v, want one of %s", d, tt.missing)
			}
		})
	}
}

func TestNearMissesAreClosestFirstAndSayWhatDiffered(t *testing.T) {
	t.Parallel()
	j := matchJournal()
	c, err := Compile(admin.RequestMatcher{Method: "POST", ReferenceID: "ORDER-2", Status: 404, BodyFields: map[string]any{"/referenceid": "ORDER-2"}})
	if err != nil {
		t.Fatal(err)
	}
	found := j.Find(c)
	if found.Count != 0 || len(found.Requests) != 0 || len(found.NearMisses) != 2 {
		t.Fatalf("found %+v, want no match and two near misses", found)
	}
	first, second := found.NearMisses[0], found.NearMisses[1]
	if first.Request.ID != 2 || len(first.Differences) != 3 || second.Request.ID != 1 || len(second.Differences) != 3 {
		// #2 misses method, status and its body (not JSON); #1 misses
		// status, referenceId and the body field: a tie, the latest first.
		t.Fatalf("near misses %+v", found.NearMisses)
	}
	want := []admin.Difference{
		{Field: "method", Want: "POST", Got: "GET"},
		{Field: "status", Want: "404", Got: "503"},
		{Field: "bodyFields./referenceid", Want: `"ORDER-2"`, Got: "a body that is not JSON"},
	}
	for i, d := range want {
		if first.Differences[i] != d {
			t.Errorf("difference %d = %+v, want %+v", i, first.Differences[i], d)
		}
	}
	if got := second.Differences[2]; got.Got != `"ORDER-1"` {
		t.Errorf("body field difference %+v, want got \"ORDER-1\"", got)
	}
}

func TestNearMissesAreBounded(t *testing.T) {
	t.Parallel()
	j := New(0, 0)
	for range admin.MaxNearMisses + 3 {
		j.Add(admin.JournalEntry{Method: http.MethodPost, Status: 200}, nil, nil)
	}
	c, _ := Compile(admin.RequestMatcher{Status: 503})
	if misses := j.NearMisses(c); len(misses) != admin.MaxNearMisses || misses[0].Request.ID != admin.MaxNearMisses+3 {
		t.Fatalf("%d near misses, the first #%d; want %d, the latest first", len(misses), misses[0].Request.ID, admin.MaxNearMisses)
	}
}

func TestCompileRefusesWhatCannotMatchAsWritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		m      admin.RequestMatcher
		naming string
	}{
		{"status out of range", admin.RequestMatcher{Status: 42}, "status"},
		{"unknown dialect", admin.RequestMatcher{Dialect: "legacy"}, "dialect"},
		{"header without a test", admin.RequestMatcher{Headers: map[string]admin.HeaderMatch{"X-A": {}}}, "headers.X-A"},
		{"header with two tests", admin.RequestMatcher{Headers: map[string]admin.HeaderMatch{"X-A": {Equals: ptr("a"), Matches: "a"}}}, "headers.X-A"},
		{"header regexp", admin.RequestMatcher{Headers: map[string]admin.HeaderMatch{"X-A": admin.HeaderMatches("(")}}, "headers.X-A.matches"},
		{"not a JSON pointer", admin.RequestMatcher{BodyFields: map[string]any{"referenceid": "1"}}, `"referenceid"`},
		{"window ending before it starts", admin.RequestMatcher{From: ptr(matchEpoch), To: ptr(matchEpoch)}, "to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.m)
			var e *admin.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Code != admin.CodeInvalid || !strings.Contains(e.Message, tt.naming) {
				t.Fatalf("Compile: %v, want 400 invalid naming %s", err, tt.naming)
			}
		})
	}
}

func TestFindListsTheLatestPageOfMatches(t *testing.T) {
	t.Parallel()
	j := New(admin.MaxJournalPage+10, 0)
	for range admin.MaxJournalPage + 10 {
		j.Add(admin.JournalEntry{Status: 200}, nil, nil)
	}
	c, _ := Compile(admin.RequestMatcher{})
	found := j.Find(c)
	if found.Count != admin.MaxJournalPage+10 || len(found.Requests) != admin.MaxJournalPage || found.Requests[0].ID != 11 || found.Requests[len(found.Requests)-1].ID != admin.MaxJournalPage+10 {
		t.Fatalf("count %d, %d listed from #%d", found.Count, len(found.Requests), found.Requests[0].ID)
	}
}
