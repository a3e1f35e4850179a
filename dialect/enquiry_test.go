package dialect

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
)

func token(t testing.TB, partner string) string {
	t.Helper()
	tok, err := partnertoken.Sign("key", partner, "r1", time.Unix(1772710798, 0))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestReadEnquiry(t *testing.T) {
	up, _ := Lookup(Upstream)
	caseOnly := mustParse(t, "page;case-insensitive-fields")
	aliasesOnly := mustParse(t, "page;field-aliases")
	want := rechargestatus.Enquiry{ReferenceID: "R1", RegistrationID: "AOP-554"}
	tests := []struct {
		body string
		d    Dialect
	}{
		{`{"referenceid":"R1","RegistrationID":"AOP-554"}`, Default()},
		{`{"ReferenceId":"R1","registrationID":"AOP-554"}`, up},
		{`{"ReferanceId":"R1","RegisterID":"AOP-554"}`, up},
		{`{"REFERANCEID":"R1","registerid":"AOP-554"}`, up},
		{`{"REFERENCEID":"R1","registrationid":"AOP-554"}`, caseOnly},
		{`{"ReferanceId":"R1","RegisterID":"AOP-554"}`, aliasesOnly},
		// One spelt exactly wins over the others, wherever it is.
		{`{"referenceid":"R1","ReferenceId":"R2","RegistrationID":"AOP-554"}`, up},
		{`{"ReferenceId":"R2","referenceid":"R1","RegistrationID":"AOP-554"}`, up},
		// Else the last one.
		{`{"ReferenceId":"R2","ReferanceId":"R1","RegisterID":"AOP-554"}`, up},
		// Members the dialect does not know are left alone.
		{`{"referenceid":"R1","RegistrationID":"AOP-554","note":{"a":[1]}}`, up},
	}
	for _, tt := range tests {
		got, err := tt.d.ReadEnquiry([]byte(tt.body), "")
		if err != nil || got.Enquiry != want || got.TokenPartner != "" {
			t.Errorf("%s ReadEnquiry(%s) = %+v, %v; want %+v", tt.d, tt.body, got, err, want)
		}
	}
}

func TestReadEnquiryErrors(t *testing.T) {
	up, _ := Lookup(Upstream)
	tests := []struct {
		body  string
		d     Dialect
		field string
	}{
		{`{"ReferenceId":"R1","RegistrationID":"AOP-554"}`, Default(), "referenceid"},
		{`{"REFERENCEID":"R1","RegistrationID":"AOP-554"}`, mustParse(t, "page;field-aliases"), "referenceid"},
		{`{"ReferanceId":"R1","RegistrationID":"AOP-554"}`, mustParse(t, "page;case-insensitive-fields"), "referenceid"},
		{`{"referenceid":"R1","RegisterID":"AOP-554"}`, Default(), "RegistrationID"},
		{`{"referenceid":"R1"}`, up, "RegistrationID"},
		{`{"referenceid":"R1"}`, mustParse(t, "upstream;registration-from-token=false"), "RegistrationID"},
		{`{"ReferanceId":5,"RegistrationID":"AOP-554"}`, up, "referenceid"},
		{`{"referenceid":"R1","RegistrationID":null}`, up, "RegistrationID"},
		{`["referenceid"]`, up, ""},
		{`{"referenceid":"R1","RegistrationID":"AOP-554"} {}`, up, ""},
		{``, up, ""},
	}
	for _, tt := range tests {
		_, err := tt.d.ReadEnquiry([]byte(tt.body), "")
		var e *EnquiryError
		if !errors.As(err, &e) || e.Field != tt.field || e.Message == "" {
			t.Errorf("%s ReadEnquiry(%s): %v, want an EnquiryError of field %q", tt.d, tt.body, err, tt.field)
		}
	}
}

func TestRegistrationFromToken(t *testing.T) {
	up, _ := Lookup(Upstream)
	body := []byte(`{"referenceid":"RSUAT1772710798"}`)
	got, err := up.ReadEnquiry(body, token(t, "PARTNER-9"))
	if err != nil || got.TokenPartner != "PARTNER-9" || got.RegistrationID != "" || got.ReferenceID != "RSUAT1772710798" {
		t.Fatalf("ReadEnquiry = %+v, %v", got, err)
	}
	// A RegistrationID in the body wins over the token.
	got, err = up.ReadEnquiry([]byte(`{"referenceid":"R1","RegisterID":"AOP-554"}`), token(t, "PARTNER-9"))
	if err != nil || got.TokenPartner != "" || got.RegistrationID != "AOP-554" {
		t.Fatalf("ReadEnquiry = %+v, %v", got, err)
	}
	for _, tok := range []string{"", "not.a.jwt", token(t, "")} {
		if got, err := up.ReadEnquiry(body, tok); err == nil {
			t.Errorf("token %q names partner %+v", tok, got)
		}
	}
	if _, err := Default().ReadEnquiry(body, token(t, "PARTNER-9")); err == nil {
		t.Error("the page read a registration from the token")
	}
}

func TestCanonicalIsValidatedByTheSpec(t *testing.T) {
	up, _ := Lookup(Upstream)
	partners := func(partner string) (string, bool) {
		return map[string]string{"PARTNER-9": "AOP-554"}[partner], partner == "PARTNER-9"
	}
	tests := []struct {
		body, token, want string
	}{
		{`{"ReferanceId":"R1","RegisterID":"AOP-554"}`, "", `{"referenceid":"R1","RegistrationID":"AOP-554"}`},
		{`{"REFERENCEID":"R1","ReferenceId":"R2","referenceid":"R3","registrationID":"AOP-554"}`, "", `{"referenceid":"R3","RegistrationID":"AOP-554"}`},
		{`{"referenceid":"RSUAT1772710798"}`, token(t, "PARTNER-9"), `{"referenceid":"RSUAT1772710798","RegistrationID":"AOP-554"}`},
		{`{"referenceid" : "R1", "x" : [1, 2], "RegistrationID":"AOP-554"}`, "", `{"referenceid" : "R1", "x" : [1, 2], "RegistrationID":"AOP-554"}`},
	}
	for _, tt := range tests {
		got := up.Canonical([]byte(tt.body), tt.token, partners)
		if string(got) != tt.want {
			t.Errorf("Canonical(%s) = %s, want %s", tt.body, got, tt.want)
			continue
		}
		r := httptest.NewRequest(http.MethodPost, rechargestatus.EnquiryPath, bytes.NewReader(got))
		r.Header.Set("Content-Type", "application/json")
		if p := specValidator(t).CheckRequest(context.Background(), r, got); p != nil {
			t.Errorf("Canonical(%s) = %s, which openapi.yaml refuses: %s", tt.body, got, p.Message)
		}
	}
	// An unknown partner leaves the body for validation to refuse.
	body := []byte(`{"referenceid":"R1"}`)
	if got := up.Canonical(body, token(t, "STRANGER"), partners); !bytes.Equal(got, body) {
		t.Errorf("unknown partner: %s", got)
	}
}

// TestCanonicalCostsThePageNothing: the page's hot path gets its body back
// untouched and unparsed.
func TestCanonicalCostsThePageNothing(t *testing.T) {
	body := []byte(`{"ReferenceId":"R1","RegistrationID":"AOP-554"}`)
	if got := Default().Canonical(body, "", nil); &got[0] != &body[0] {
		t.Fatal("the page rewrote the body")
	}
	if n := testing.AllocsPerRun(100, func() { Default().Canonical(body, "", nil) }); n != 0 {
		t.Fatalf("Canonical under the page allocates %v times", n)
	}
}

func TestPeekRegistration(t *testing.T) {
	got := PeekRegistration([]byte(`{"REFERANCEID":"R1","registerId":"AOP-554"}`), "")
	if got.ReferenceID != "R1" || got.RegistrationID != "AOP-554" {
		t.Fatalf("PeekRegistration = %+v", got)
	}
	got = PeekRegistration([]byte(`{"referenceid":"R1"}`), token(t, "PARTNER-9"))
	if got.TokenPartner != "PARTNER-9" {
		t.Fatalf("PeekRegistration = %+v", got)
	}
	if got := PeekRegistration([]byte(`nonsense`), token(t, "PARTNER-9")); got != (Request{}) {
		t.Fatalf("PeekRegistration of nonsense = %+v", got)
	}
}

// FuzzReadEnquiry: whatever the body, reading never panics, and what a
// dialect reads is what the page reads of its Canonical body.
//
//	go test -run='^$' -fuzz='^FuzzReadEnquiry$' -fuzztime=30s ./dialect
func FuzzReadEnquiry(f *testing.F) {
	for _, s := range []string{`{"referenceid":"R1","RegistrationID":"AOP-554"}`, `{"ReferanceId":"R1","RegisterID":"A"}`,
		`{"REFERENCEID":"\u0000","registrationid":"x","RegistrationID":1}`, `{"a":{"b":[]}}`, `[`, `{"ReferenceId":"a","ReferenceId":"b","registrationID":"c"}`} {
		f.Add([]byte(s))
	}
	up, _ := Lookup(Upstream)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := up.ReadEnquiry(body, "")
		canonical := up.Canonical(body, "", nil)
		if err != nil {
			return
		}
		again, err := Default().ReadEnquiry(canonical, "")
		if err != nil || again != req {
			t.Fatalf("upstream reads %+v of %q; the page reads %+v, %v of its canonical %q", req, body, again, err, canonical)
		}
	})
}
