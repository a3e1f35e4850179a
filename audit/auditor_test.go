package audit

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// journalOf serves xs as a journal holding those from oldest on, and
// counts the exchanges it hands out.
func journalOf(xs []Exchange, oldest uint64, read *int) Journal {
	return func(after uint64, add func(Exchange)) uint64 {
		for _, x := range xs {
			if x.ID > after && x.ID >= oldest {
				*read++
				add(x)
			}
		}
		return oldest
	}
}

// TestAuditorReadsOnlyWhatIsNew: a second audit reads only the entries
// added since the first, finds what they add, and forgets what the journal
// forgot.
func TestAuditorReadsOnlyWhatIsNew(t *testing.T) {
	c := newClient()
	c.send(200, AnswerPending)
	a := NewAuditor()
	read := 0
	if r := a.Audit(Query{}, c.sandbox, journalOf(c.xs, 1, &read)); len(r.Findings) != 0 || r.Exchanges != 1 || read != 1 {
		t.Fatalf("first audit: %+v after reading %d, want one clean exchange read", r, read)
	}
	c.sleep(time.Second)
	c.send(200, AnswerPending)
	read = 0
	r := a.Audit(Query{}, c.sandbox, journalOf(c.xs, 1, &read))
	if read != 1 || r.Exchanges != 2 || len(r.Findings) != 1 || r.Findings[0].Rule != PollTooFast {
		t.Fatalf("second audit read %d: %+v; want one new exchange read and poll-too-fast found", read, r)
	}
	if r := a.Audit(Query{ReferenceID: "OTHER"}, c.sandbox, journalOf(c.xs, 1, &read)); r.Exchanges != 0 || len(r.Findings) != 0 {
		t.Errorf("another referenceid: %+v, want nothing", r)
	}
	if r := a.Audit(Query{Since: c.xs[1].Answered}, c.sandbox, journalOf(c.xs, 1, &read)); r.Exchanges != 1 || len(r.Findings) != 0 {
		t.Errorf("since the second answer: %+v, want one exchange and nothing found", r)
	}
	if r := a.Audit(Query{}, c.sandbox, journalOf(c.xs, 3, &read)); r.Exchanges != 0 || len(r.Findings) != 0 {
		t.Errorf("after the journal forgot both: %+v, want nothing", r)
	}
}

// TestReports: the text names each finding's rule, evidence and advice;
// JUnit fails the rule's case unless waived.
func TestReports(t *testing.T) {
	c := newClient()
	naiveClients[0].script(c)
	a := NewAuditor()
	read := 0
	r := a.Audit(Query{}, c.sandbox, journalOf(c.xs, 1, &read))
	var text bytes.Buffer
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ERROR poll-too-fast AOP-554/ORDER-1", "#2 ", "sent 1s after #1 answered pending", "advice: After a pending answer", "provider-notes.md:56"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, tc := range []struct {
		waivers  []Waiver
		failures int
	}{{nil, 1}, {[]Waiver{Waive(PollTooFast)}, 0}, {[]Waiver{{Rule: PollTooFast, ReferenceID: "ORDER-2"}}, 1}} {
		var out bytes.Buffer
		if err := WriteJUnit(&out, r, Warning, tc.waivers...); err != nil {
			t.Fatal(err)
		}
		var suite junitSuite
		if err := xml.Unmarshal(out.Bytes(), &suite); err != nil {
			t.Fatalf("JUnit: %v\n%s", err, out.String())
		}
		if suite.Tests != len(rules) || suite.Failures != tc.failures {
			t.Errorf("waivers %v: %d cases, %d failures; want %d, %d", tc.waivers, suite.Tests, suite.Failures, len(rules), tc.failures)
		}
	}
}
