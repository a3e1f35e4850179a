package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// FixtureRegistration is the partner of the mock's built-in fixtures.
const FixtureRegistration = "AOP-554"

// maxPolls bounds how many times a lifecycle spec enquires a pending
// transaction before it gives up on it resolving.
const maxPolls = 10

// suiteRun is what every spec of one run shares, set up before the first.
type suiteRun struct {
	cfg    Config
	client *Client
	admin  *Admin
	judge  *Judge
	// tag makes this run's referenceids its own, so that runs against the
	// same mock do not meet each other's transactions.
	tag string
	seq atomic.Int64
}

var run *suiteRun

func setUpRun(cfg Config, doc *openapi3.T) {
	baseURL := cfg.BaseURL
	if baseURL == "" {
		url, stop, err := startMock()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(stop)
		baseURL = url
	}
	validator, err := conformance.NewValidator(doc)
	Expect(err).NotTo(HaveOccurred())
	adminDoc, err := admin.LoadSpec()
	Expect(err).NotTo(HaveOccurred())
	adminValidator, err := conformance.NewValidator(adminDoc)
	Expect(err).NotTo(HaveOccurred())
	var extra http.Header
	if cfg.AuthorisedKey != "" {
		extra = http.Header{"Authorisedkey": {cfg.AuthorisedKey}}
	}
	client := NewClient(baseURL, ClientOptions{
		Timeout:        cfg.Timeout,
		RPS:            cfg.EffectiveRPS(),
		TokenKey:       cfg.TokenKey,
		PartnerID:      cfg.PartnerID,
		RegistrationID: cfg.RegistrationID,
		Header:         extra,
		Log:            GinkgoWriter,
	})
	run = &suiteRun{
		cfg:    cfg,
		client: client,
		admin:  NewAdmin(client, cfg.AdminToken),
		judge:  &Judge{Validator: validator, Admin: adminValidator, History: conformance.NewHistory(0)},
		tag:    NewRequestID()[:8] + strconv.Itoa(GinkgoParallelProcess()),
	}
	fmt.Fprintf(GinkgoWriter, "checking %s as target %s; referenceids of this run carry CT%s\n", baseURL, cfg.Target, run.tag)
}

// ref is a referenceid no one has enquired yet, starting with prefix to pick
// a scenario of the mock's conventions.
func (r *suiteRun) ref(prefix string) string {
	return fmt.Sprintf("%sCT%s-%d", prefix, r.tag, r.seq.Add(1))
}

// enquire asks the status of q, carrying extra headers.
func (r *suiteRun) enquire(ctx context.Context, q rechargestatus.Enquiry, header http.Header) *Exchange {
	req := EnquiryRequest(q)
	for name, values := range header {
		req.Header[name] = values
	}
	return r.client.Do(ctx, req)
}

// expectAnswer asserts that ex honours the contract and returns its envelope.
func (r *suiteRun) expectAnswer(ex *Exchange) Answer {
	GinkgoHelper()
	Expect(ex).To(HonourContract(r.judge))
	a, err := ex.Answer()
	Expect(err).NotTo(HaveOccurred(), ex.Dump())
	return a
}

// expectFound asserts that ex honours the contract and found q's transaction.
func (r *suiteRun) expectFound(ex *Exchange) *Data {
	GinkgoHelper()
	a := r.expectAnswer(ex)
	Expect(ex).To(HaveStatus(http.StatusOK))
	Expect(a.ResponseCode).To(Equal(rechargestatus.CodeFound), "response_code\n\n%s", ex.Dump())
	Expect(a.Data).NotTo(BeNil(), "data\n\n%s", ex.Dump())
	return a.Data
}

// poll enquires q until its answer shows phase want, at most maxPolls times,
// and returns every answer's data in order.
func (r *suiteRun) poll(ctx context.Context, q rechargestatus.Enquiry, want conformance.Phase) []*Data {
	GinkgoHelper()
	var seen []*Data
	for len(seen) < maxPolls {
		d := r.expectFound(r.enquire(ctx, q, nil))
		seen = append(seen, d)
		if d.Phase() == want {
			return seen
		}
	}
	Fail(fmt.Sprintf("%s did not become %s in %d enquiries; phases seen: %v", q.ReferenceID, want, maxPolls, phases(seen)))
	return nil
}

// phases lists the distinct phases of a sequence of answers, in order.
func phases(seen []*Data) []conformance.Phase {
	var out []conformance.Phase
	for _, d := range seen {
		if p := d.Phase(); len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	return out
}

// txnIDs lists the distinct txnids of a sequence of answers.
func txnIDs(seen []*Data) []string {
	var out []string
	for _, d := range seen {
		if len(out) == 0 || out[len(out)-1] != d.TxnID {
			out = append(out, d.TxnID)
		}
	}
	return out
}

// exampleOf is the named example openapi.yaml gives for an answer of the
// RechargeStatus operation with HTTP status, as JSON.
func exampleOf(doc *openapi3.T, status int, name string) ([]byte, error) {
	op := doc.Paths.Find(rechargestatus.EnquiryPath).Post
	resp := op.Responses.Status(status)
	if resp == nil || resp.Value == nil {
		return nil, fmt.Errorf("openapi.yaml declares no HTTP %d answer", status)
	}
	media := resp.Value.Content.Get("application/json")
	if media == nil || media.Examples[name] == nil || media.Examples[name].Value == nil {
		return nil, fmt.Errorf("openapi.yaml has no example %q of the HTTP %d answer", name, status)
	}
	return json.Marshal(media.Examples[name].Value.Value)
}
