package dialect

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// acceptingJudge is a judge of the known dialects, and the dialects its
// exchanges accept besides the page.
type acceptingJudge struct {
	*conformance.Judge
	accept Accept
}

func newJudge(t *testing.T, accept ...string) acceptingJudge {
	t.Helper()
	j := acceptingJudge{Judge: conformance.NewJudge(specValidator(t), conformance.WithDialects(Known{}))}
	if len(accept) > 0 {
		if err := j.accept.Set(strings.Join(accept, ",")); err != nil {
			t.Fatal(err)
		}
	}
	return j
}

func judge(t *testing.T, j acceptingJudge, status int, body []byte) conformance.Verdict {
	t.Helper()
	reqBody := []byte(`{"referenceid":"` + scenarioRef + `","RegistrationID":"AOP-554"}`)
	r := httptest.NewRequest(http.MethodPost, rechargestatus.EnquiryPath, bytes.NewReader(reqBody))
	r.Header.Set("Content-Type", "application/json")
	q := rechargestatus.Enquiry{ReferenceID: scenarioRef, RegistrationID: "AOP-554"}
	return j.Judge.Judge(context.Background(), conformance.Exchange{Enquiry: q, Request: r, RequestBody: reqBody,
		Status: status, Header: jsonHeader, Body: body, Accept: j.accept})
}

// TestJudgeHoldsThePageAndNamesTheUpstream: by default an upstream answer
// fails, and the verdict names the known dialect and cites the notes; with
// the upstream accepted, every upstream answer holds.
func TestJudgeHoldsThePageAndNamesTheUpstream(t *testing.T) {
	up, _ := Lookup(Upstream)
	for _, sc := range scenarios() {
		// Judges of their own: the scenarios are one transaction in
		// states its history would not allow together.
		strict, lenient := newJudge(t), newJudge(t, Upstream)
		status, body := sc.render(up)
		v := judge(t, strict, status, body)
		if len(v.Findings) > 0 {
			explained := Explain(v)
			if !strings.Contains(explained, "known upstream dialect") || !strings.Contains(explained, NotesFile+":") || !strings.Contains(explained, "--accept-dialect upstream") {
				t.Errorf("%s: %s fails with %v but is explained %q", sc.name, body, v.Findings, explained)
			}
		}
		if v.JudgedAs != "" {
			t.Errorf("%s: judged as %s without accepting it", sc.name, v.JudgedAs)
		}
		if v := judge(t, lenient, status, body); len(v.Findings) > 0 {
			t.Errorf("%s: %s fails with the upstream accepted: %v", sc.name, body, v.Findings)
		}
	}
	status, body := scenarios()[0].render(up)
	if v := judge(t, newJudge(t), status, body); len(v.Findings) == 0 {
		t.Fatalf("the upstream's status answer %s holds to the page's contract", body)
	}
	if v := judge(t, newJudge(t, Upstream), status, body); v.JudgedAs != Upstream || !strings.Contains(Explain(v), "accepts") {
		t.Fatalf("the upstream's status answer is judged as %q, explained %q", v.JudgedAs, Explain(v))
	}
}

// TestJudgeAcceptsNoBrokenAnswer: accepting a dialect accepts its answers,
// not anything that resembles one.
func TestJudgeAcceptsNoBrokenAnswer(t *testing.T) {
	for _, body := range []string{
		`{"responsecode":1,"status":true,"message":"Transaction Enquiry Successful"}`,
		`{"responsecode":1,"status":true,"data":{"txnid":"1","operatorname":"x","canumber":"x","amount":"ten","comm":"0","tds":"0","status":"1","refid":"` + scenarioRef + `","operatorid":"","dateadded":"2026-03-05 17:09:59","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}`,
	} {
		v := judge(t, newJudge(t, Upstream), http.StatusOK, []byte(body))
		if len(v.Findings) == 0 || v.JudgedAs != "" || len(v.Matches) > 0 || Explain(v) != "" {
			t.Errorf("%s: verdict %+v, explained %q; want findings, no match", body, v, Explain(v))
		}
	}
	// The page's answers are judged as they came, accepted dialect or not.
	status, body := scenarios()[0].render(Default())
	if v := judge(t, newJudge(t, Upstream), status, body); len(v.Findings) > 0 || v.JudgedAs != "" {
		t.Errorf("the page's answer: %+v", v)
	}
	var a Accept
	if err := a.Set("aggregator"); err == nil {
		t.Error("an unknown dialect was accepted")
	}
}

// TestJudgeRemembersFinalAnswersAcrossSpellings: the history sees the page
// form, so a final transaction that changes is caught whichever dialect
// spelt it.
func TestJudgeRemembersFinalAnswersAcrossSpellings(t *testing.T) {
	lenient := newJudge(t, Upstream)
	up, _ := Lookup(Upstream)
	success := scenarios()[0]
	status, body := success.render(up)
	if v := judge(t, lenient, status, body); len(v.Findings) > 0 {
		t.Fatalf("first answer: %v", v.Findings)
	}
	changed := bytes.Replace(body, []byte(`"amount":"500.00"`), []byte(`"amount":"501.00"`), 1)
	v := judge(t, lenient, status, changed)
	if len(v.Findings) == 0 || v.Findings[0].Rule != conformance.RuleFinalStable {
		t.Fatalf("a final transaction changed its amount unnoticed: %+v", v)
	}
}
