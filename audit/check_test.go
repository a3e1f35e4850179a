package audit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// client scripts what a client sent and was answered, as the journal
// would hold it: every request after the one before was answered, unless
// sent together.
type client struct {
	xs              []Exchange
	sandbox, system time.Time
	id              uint64
	token           string
}

func newClient() *client {
	start := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	return &client{sandbox: start, system: start.Add(-time.Hour)}
}

// sleep waits d on the system clock, which moves the running sandbox
// clock as much.
func (c *client) sleep(d time.Duration) { c.sandbox, c.system = c.sandbox.Add(d), c.system.Add(d) }

// sleepFrozen waits d on the system clock while the sandbox clock stands.
func (c *client) sleepFrozen(d time.Duration) { c.system = c.system.Add(d) }

// advance moves the sandbox clock, as a test calling POST /__admin/clock.
func (c *client) advance(d time.Duration) { c.sandbox = c.sandbox.Add(d) }

const answerTime = 10 * time.Millisecond

// send journals one enquiry answered a, with status.
func (c *client) send(status int, a Answer, edit ...func(*Exchange)) {
	c.id++
	x := c.exchange(c.id-1, status, a)
	c.sleep(answerTime)
	x.Answered = c.sandbox
	for _, e := range edit {
		e(&x)
	}
	c.xs = append(c.xs, x)
}

func (c *client) exchange(after uint64, status int, a Answer) Exchange {
	return Exchange{
		ID: c.id, StartedAfter: after, RegistrationID: "AOP-554", ReferenceID: "ORDER-1",
		RemoteAddr: "127.0.0.1:50000", TokenDigest: c.token, Started: c.sandbox, SystemStarted: c.system,
		Duration: answerTime, Status: status, Answer: a,
	}
}

// sendTogether journals two enquiries in flight at once, from two
// connections (or one, when sameConn).
func (c *client) sendTogether(a Answer, sameConn bool) {
	after := c.id
	var pair []Exchange
	for i := range 2 {
		c.id++
		x := c.exchange(after, 200, a)
		if !sameConn {
			x.RemoteAddr = "127.0.0.1:5000" + string(rune('1'+i))
		}
		pair = append(pair, x)
	}
	c.sleep(answerTime)
	for _, x := range pair {
		x.Answered = c.sandbox
		c.xs = append(c.xs, x)
	}
}

func askingWait(d time.Duration) func(*Exchange) { return func(x *Exchange) { x.RetryAfter = d } }

func (c *client) check(now time.Time) []Finding { return Check(c.xs, DefaultThresholds(), now) }

// naiveClients each break one rule once; evidence lists the journal IDs
// the finding must show.
var naiveClients = []struct {
	rule        RuleID
	script      func(c *client)
	occurrences int
	evidence    []uint64
}{
	{PollTooFast, func(c *client) {
		c.send(200, AnswerPending)
		c.sleep(time.Second)
		c.send(200, AnswerPending)
		c.sleep(time.Second)
		c.send(200, AnswerPending)
	}, 2, []uint64{1, 2, 3}},
	{PollAfterFinal, func(c *client) {
		c.send(200, AnswerSuccess)
		c.sleep(time.Hour)
		c.send(200, AnswerSuccess)
	}, 1, []uint64{1, 2}},
	{IgnoresRetryAfter, func(c *client) {
		c.send(429, AnswerRateLimited, askingWait(5*time.Second))
		c.sleep(time.Second)
		c.send(200, AnswerSuccess)
	}, 1, []uint64{1, 2}},
	{NoBackoff, func(c *client) {
		for range 3 {
			c.send(500, AnswerFailure)
			c.sleep(time.Second)
		}
		c.send(200, AnswerSuccess)
	}, 1, []uint64{1, 2, 3, 4}},
	{RetriesAuthFailure, func(c *client) {
		c.token = "digest-1"
		for range 3 {
			c.send(401, AnswerRefused)
			c.sleep(time.Minute)
		}
	}, 1, []uint64{1, 3}},
	{ConcurrentDuplicate, func(c *client) {
		c.sendTogether(AnswerSuccess, false)
	}, 1, []uint64{1, 2}},
	{GaveUpPending, func(c *client) {
		c.send(200, AnswerPending)
		c.advance(3 * time.Hour)
	}, 1, []uint64{1}},
}

func evidenceIDs(f Finding) []uint64 {
	var ids []uint64
	for _, e := range f.Evidence {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestEachNaiveClientBreaksItsRuleOnce: each scripted client is found out
// by its rule, once, with the journal entries that show it, and by no
// other rule.
func TestEachNaiveClientBreaksItsRuleOnce(t *testing.T) {
	for _, nc := range naiveClients {
		t.Run(string(nc.rule), func(t *testing.T) {
			c := newClient()
			nc.script(c)
			got := c.check(c.sandbox)
			if len(got) != 1 || got[0].Rule != nc.rule || got[0].Occurrences != nc.occurrences {
				t.Fatalf("findings %+v, want one of %s, occurring %d time(s)", got, nc.rule, nc.occurrences)
			}
			if ids := evidenceIDs(got[0]); !slices.Equal(ids, nc.evidence) {
				t.Errorf("evidence %v, want entries %v", ids, nc.evidence)
			}
			rule, _ := RuleOf(nc.rule)
			if got[0].Severity != rule.Severity || got[0].Advice != rule.Advice || got[0].Message == "" {
				t.Errorf("finding %+v does not carry its rule's severity, advice and a message", got[0])
			}
		})
	}
}

// TestPatientClientsAreClean: clients that wait as the rules ask are never
// flagged, whichever clock they wait on.
func TestPatientClientsAreClean(t *testing.T) {
	clean := map[string]func(c *client){
		"advances the sandbox clock between polls": func(c *client) {
			c.send(200, AnswerPending)
			c.advance(30 * time.Minute)
			c.send(200, AnswerPending)
			c.advance(30 * time.Minute)
			c.send(200, AnswerSuccess)
		},
		"sleeps out Retry-After with the sandbox clock frozen": func(c *client) {
			c.send(503, AnswerRateLimited, askingWait(2*time.Second))
			c.sleepFrozen(2 * time.Second)
			c.send(200, AnswerSuccess)
		},
		"backs off exponentially": func(c *client) {
			for _, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
				c.send(502, AnswerFailure)
				c.sleep(d)
			}
			c.send(200, AnswerSuccess)
		},
		"stops at two failures": func(c *client) {
			c.send(500, AnswerFailure)
			c.send(0, AnswerNone)
			c.send(200, AnswerFailed)
		},
		"polls a failed transaction for its refund": func(c *client) {
			c.send(200, AnswerFailed)
			c.advance(time.Hour)
			c.send(200, AnswerFailed)
			c.advance(time.Hour)
			c.send(200, AnswerRefunded)
		},
		"signs a new Token after a refusal": func(c *client) {
			for i := range 3 {
				c.token = "digest-" + string(rune('a'+i))
				c.send(401, AnswerRefused)
			}
		},
		"resends refused credentials once": func(c *client) {
			c.send(412, AnswerRefused)
			c.send(412, AnswerRefused)
		},
		"overlaps on one connection only": func(c *client) {
			c.sendTogether(AnswerSuccess, true)
		},
		"retries a request it gave up on while it hangs": func(c *client) {
			c.id++
			hung := c.exchange(0, 0, AnswerNone)
			c.sleep(time.Second)
			c.id++
			retry := c.exchange(0, 200, AnswerSuccess)
			retry.RemoteAddr = "127.0.0.1:50001"
			c.sleep(answerTime)
			hung.Answered, retry.Answered = c.sandbox, c.sandbox
			c.xs = append(c.xs, hung, retry)
		},
		"polls pending within the window": func(c *client) {
			c.send(200, AnswerPending)
			c.advance(time.Hour)
		},
	}
	for name, script := range clean {
		t.Run(name, func(t *testing.T) {
			c := newClient()
			script(c)
			if got := c.check(c.sandbox); len(got) != 0 {
				t.Errorf("findings %+v, want none", got)
			}
		})
	}
}

// TestHammeringIsNoBackoff: waits of a few milliseconds that happen to
// double are no backoff.
func TestHammeringIsNoBackoff(t *testing.T) {
	c := newClient()
	for _, d := range []time.Duration{time.Millisecond, 3 * time.Millisecond, 9 * time.Millisecond} {
		c.send(503, AnswerFailure)
		c.sleep(d)
	}
	c.send(200, AnswerSuccess)
	if got := c.check(c.sandbox); len(got) != 1 || got[0].Rule != NoBackoff {
		t.Errorf("findings %+v, want no-backoff", got)
	}
}

// TestThresholdsMove: the same client is flagged or not as its threshold
// says.
func TestThresholdsMove(t *testing.T) {
	c := newClient()
	c.send(200, AnswerPending)
	c.sleep(10 * time.Minute)
	c.send(200, AnswerPending)
	if got := Check(c.xs, Thresholds{MinPollInterval: 5 * time.Minute}, c.sandbox); len(got) != 0 {
		t.Errorf("with minPollInterval 5m: %+v, want none", got)
	}
	if got := Check(c.xs, Thresholds{}, c.sandbox); len(got) != 1 || got[0].Rule != PollTooFast {
		t.Errorf("with the default 30m: %+v, want poll-too-fast", got)
	}
}

// TestCitationsQuoteTheNotes holds each rule's citation to the notes.
func TestCitationsQuoteTheNotes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "dialect", dialect.NotesFile))
	if err != nil {
		t.Fatal(err)
	}
	cited := 0
	for _, r := range Rules() {
		if r.Notes != nil {
			cited++
			if !r.Notes.QuotedIn(string(b)) {
				t.Errorf("%s cites %s, which does not say %q", r.ID, r.Notes.Lines(), r.Notes.Quote)
			}
			if !strings.Contains(r.Basis, r.Notes.Lines()) {
				t.Errorf("%s's basis %q does not name %s", r.ID, r.Basis, r.Notes.Lines())
			}
		}
		if r.Basis == "" || r.Advice == "" || r.Explanation == "" {
			t.Errorf("%s lacks a basis, an advice or an explanation", r.ID)
		}
	}
	if cited < 4 {
		t.Errorf("%d rules cite the notes, want 4", cited)
	}
}
