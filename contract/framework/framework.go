// Package framework is what the contract suite's specs stand on, kept apart
// from the specs themselves: the run's configuration (flags and environment,
// read once), the HTTP client of the endpoint (timeouts, a request rate and
// cap, 429 answers waited out, answers bounded in size, redirects reported),
// exchanges and their dumps with every credential redacted, Gomega matchers,
// the malformed requests derived from openapi.yaml, a client of the mock's
// admin API, the preflight, the run's summary and reports, and Framework,
// each spec's view of the run.
//
// It holds no package state: a Suite is made for one run and handed to the
// specs that use it.
package framework

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Suite is what every spec of one run shares: its settings, the spec
// document, the clients of the endpoint and of the mock's admin API, and the
// judge, which remembers final transactions across the run.
type Suite struct {
	Config Config
	Doc    *openapi3.T
	Client *Client
	Admin  *admin.Client
	Judge  *conformance.Judge
	// tag makes this run's referenceids its own, so that runs against the
	// same mock do not meet each other's transactions.
	tag string
	seq atomic.Int64
}

// NewSuite prepares a run of cfg, which must be valid and name its base URL,
// against the spec doc; log receives a line per request when cfg is verbose.
func NewSuite(cfg Config, doc *openapi3.T, log io.Writer) (*Suite, error) {
	if cfg.BaseURL == "" {
		return nil, fmt.Errorf("no --base-url to check")
	}
	validator, err := conformance.NewValidator(doc)
	if err != nil {
		return nil, err
	}
	client := NewClient(cfg.BaseURL, clientOptions(cfg, log))
	return &Suite{
		Config: cfg,
		Doc:    doc,
		Client: client,
		Admin:  admin.NewClient(cfg.BaseURL, admin.WithToken(cfg.AdminToken), admin.WithHTTPClient(client.HTTPClient())),
		Judge:  conformance.NewJudge(validator, conformance.WithDialects(dialect.Known{})),
		tag:    NewRequestID()[:8] + strconv.Itoa(ginkgo.GinkgoParallelProcess()),
	}, nil
}

func clientOptions(cfg Config, log io.Writer) ClientOptions {
	header := http.Header{}
	var names []string
	for _, h := range []http.Header{cfg.Headers, cfg.SecretHeaders} {
		for name, values := range h {
			header[name] = append(header[name], values...)
			names = append(names, name)
		}
	}
	if cfg.AuthorisedKey != "" {
		header.Set(rechargestatus.AuthorisedKeyHeader, cfg.AuthorisedKey)
	}
	o := ClientOptions{
		Timeout:           cfg.Timeout,
		RPS:               cfg.EffectiveRPS(),
		MaxRequests:       cfg.EffectiveMaxRequests(),
		MaxAnswerBytes:    cfg.MaxAnswerBytes,
		WaitOutRateLimits: cfg.Target == TargetReal,
		Header:            header,
		Redactor:          NewRedactor(names, cfg.Secrets()),
		AcceptDialects:    cfg.AcceptDialects,
	}
	if cfg.PartnerKey != "" {
		o.Signer = &TokenSigner{Key: cfg.PartnerKey, PartnerID: cfg.PartnerID, RegistrationID: cfg.RegistrationID}
	}
	if cfg.Verbose {
		o.Log = log
	}
	return o
}

// Ref is a referenceid no one has enquired yet, starting with prefix (which
// picks a scenario of the mock's conventions).
func (s *Suite) Ref(prefix string) string {
	return fmt.Sprintf("%sCT%s-%d", prefix, s.tag, s.seq.Add(1))
}

// maxPolls bounds how many times a lifecycle spec enquires a pending
// transaction before it gives up on it resolving.
const maxPolls = 10

// Framework is one spec's view of the run: it sends the spec's requests,
// asserts what every answer must be, and undoes what the spec changed on the
// mock when the spec ends.
type Framework struct {
	suite *Suite
	// sentBefore is how many requests the run had sent when the spec began.
	sentBefore int64
}

// New makes the framework of every spec of the container it is called in:
// before each spec it begins the spec's record, and registers with
// DeferCleanup the end of it, after the spec's own cleanups.
func New(s *Suite) *Framework {
	f := &Framework{suite: s}
	ginkgo.BeforeEach(func() {
		f.sentBefore = s.Client.Sent()
		ginkgo.DeferCleanup(f.end)
	})
	return f
}

// end reports how many requests the spec sent, in the JSON report.
func (f *Framework) end() {
	ginkgo.AddReportEntry("requests", f.suite.Client.Sent()-f.sentBefore, ginkgo.ReportEntryVisibilityNever)
}

// Config is the run's settings.
func (f *Framework) Config() Config { return f.suite.Config }

// Doc is the spec document.
func (f *Framework) Doc() *openapi3.T { return f.suite.Doc }

// Admin is the client of the mock's admin API.
func (f *Framework) Admin() *admin.Client { return f.suite.Admin }

// Ref is a referenceid no one has enquired yet, starting with prefix.
func (f *Framework) Ref(prefix string) string { return f.suite.Ref(prefix) }

// HonourContract is the matcher of the run's judge.
func (f *Framework) HonourContract() types.GomegaMatcher { return HonourContract(f.suite.Judge) }

// Do sends r.
func (f *Framework) Do(ctx context.Context, r Request) *Exchange { return f.suite.Client.Do(ctx, r) }

// Enquire asks the status of q's transaction, with extra headers.
func (f *Framework) Enquire(ctx context.Context, q rechargestatus.Enquiry, header http.Header) *Exchange {
	r := EnquiryRequest(q)
	for name, values := range header {
		r.Header[name] = values
	}
	return f.Do(ctx, r)
}

// ExpectAnswer asserts that ex honours the contract.
func (f *Framework) ExpectAnswer(ex *Exchange) {
	ginkgo.GinkgoHelper()
	gomega.Expect(ex).To(f.HonourContract())
}

// ExpectFound asserts that ex honours the contract and found the
// transaction asked for, and returns its data.
func (f *Framework) ExpectFound(ex *Exchange) *rechargestatus.Data {
	ginkgo.GinkgoHelper()
	f.ExpectAnswer(ex)
	gomega.Expect(ex).To(HaveStatus(http.StatusOK))
	gomega.Expect(ex).To(HaveResponseCode(gomega.Equal(rechargestatus.CodeFound)))
	a, err := ex.Answer()
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	gomega.Expect(a.Data).NotTo(gomega.BeNil(), "the answer has no data\n\n%s", ex.Dump())
	return a.Data
}

// ExpectRefusal asserts that ex refuses the request as the contract says any
// endpoint must: in time, with HTTP 4xx (never a 5xx: the fault is the
// client's), in the error envelope with status false and an error
// response_code that goes with the HTTP status.
func (f *Framework) ExpectRefusal(ex *Exchange) rechargestatus.ErrorAnswer {
	ginkgo.GinkgoHelper()
	gomega.Expect(ex).To(HaveAnswered())
	gomega.Expect(ex).NotTo(HaveStatusIn(500, 599), "a refused request is the client's fault, never the server's")
	gomega.Expect(ex).To(HaveStatusIn(400, 499), "a refused request is answered with HTTP 4xx")
	f.ExpectAnswer(ex)
	a, err := ex.ErrorAnswer()
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	return a
}

// ExpectOwedAnswer asserts what every provider owes a request the page does
// not call well formed, or that only the sandbox refuses (c.Sandbox): an
// answer in time, never a 5xx, in the envelope and honouring the contract
// when it is JSON; and, to a request the page calls malformed, never a
// success with status true.
func (f *Framework) ExpectOwedAnswer(ex *Exchange, c NegativeCase) {
	ginkgo.GinkgoHelper()
	gomega.Expect(ex).To(HaveAnswered())
	gomega.Expect(ex).NotTo(HaveStatusIn(500, 599), "a refused request is the client's fault, never the server's")
	if !ex.isJSON() {
		return
	}
	f.ExpectAnswer(ex)
	if c.Sandbox != "" {
		return
	}
	a, err := ex.Answer()
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	succeeded := ex.Status >= 200 && ex.Status < 300 && a.Status
	gomega.Expect(succeeded).To(gomega.BeFalse(), "a malformed request is answered as a success: HTTP %d with status true", ex.Status)
}

// Poll enquires q until its answer shows phase want, at most maxPolls times,
// and returns every answer's data in order.
func (f *Framework) Poll(ctx context.Context, q rechargestatus.Enquiry, want conformance.Phase) []*rechargestatus.Data {
	ginkgo.GinkgoHelper()
	var seen []*rechargestatus.Data
	for len(seen) < maxPolls {
		d := f.ExpectFound(f.Enquire(ctx, q, nil))
		seen = append(seen, d)
		if PhaseOf(d) == want {
			return seen
		}
	}
	ginkgo.Fail(fmt.Sprintf("%s did not become %s in %d enquiries; phases seen: %v", q.ReferenceID, want, maxPolls, Phases(seen)))
	return nil
}

// Phases lists the distinct phases of a sequence of answers, in order.
func Phases(seen []*rechargestatus.Data) []conformance.Phase {
	var out []conformance.Phase
	for _, d := range seen {
		if p := PhaseOf(d); len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	return out
}

// TxnIDs lists the distinct txnids of a sequence of answers.
func TxnIDs(seen []*rechargestatus.Data) []string {
	var out []string
	for _, d := range seen {
		if len(out) == 0 || out[len(out)-1] != d.TxnID {
			out = append(out, d.TxnID)
		}
	}
	return out
}

// PutTransaction sets q's transaction up on the mock, and deletes it when
// the spec ends; the judge forgets what it knew of it, now and then.
func (f *Framework) PutTransaction(ctx context.Context, q rechargestatus.Enquiry, t transaction.Description) (admin.TransactionView, bool) {
	ginkgo.GinkgoHelper()
	f.suite.Judge.Forget(q)
	key := KeyOf(q)
	view, created, err := f.Admin().PutTransaction(ctx, key, t)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) {
		f.suite.Judge.Forget(q)
		_ = f.Admin().DeleteTransaction(ctx, key)
	})
	return view, created
}

// KeyOf is the admin API's key of q's transaction.
func KeyOf(q rechargestatus.Enquiry) transaction.Key {
	return transaction.Key{RegistrationID: q.RegistrationID, ReferenceID: q.ReferenceID}
}

// AddFault adds a fault rule to the mock, and deletes it when the spec ends.
func (f *Framework) AddFault(ctx context.Context, rule admin.FaultRule) admin.FaultRule {
	ginkgo.GinkgoHelper()
	added, err := f.Admin().AddFault(ctx, rule)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	gomega.Expect(added.ID).NotTo(gomega.BeEmpty(), "the mock gave the rule no id")
	ginkgo.DeferCleanup(func(ctx ginkgo.SpecContext) { _ = f.Admin().DeleteFault(ctx, added.ID) })
	return added
}

// Example is the named example openapi.yaml gives for an answer of the
// RechargeStatus operation with HTTP status, as JSON; the spec fails when
// there is none.
func (f *Framework) Example(status int, name string) []byte {
	ginkgo.GinkgoHelper()
	b, err := ExampleOf(f.Doc(), status, name)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	return b
}

// ExpectSandboxPromise fails the spec unless openapi.yaml marks name as a
// promise only the sandbox makes: a spec labelled LabelSandbox holds the
// endpoint to nothing the spec does not say is the sandbox's own.
func (f *Framework) ExpectSandboxPromise(name string) {
	ginkgo.GinkgoHelper()
	_, err := SandboxPromise(f.Doc(), name)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
}
