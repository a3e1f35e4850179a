package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// libraryOnly is v without its fast paths: every request goes to
// openapi3filter.
func libraryOnly(v *Validator) *Validator {
	lib := *v
	lib.stringObjects = nil
	return &lib
}

// checked is what a validator makes of one request: its problem, the body
// as it read it, and what r.Body reads afterwards.
type checked struct {
	problem *RequestProblem
	value   any
	fields  [2]string
	found   [2]bool
	rest    []byte
	fast    bool
}

func checkEnquiry(t *testing.T, v *Validator, contentType, token string, body []byte) checked {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+rechargestatus.EnquiryPath, bytes.NewReader([]byte("consumed")))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		r.Header.Set(rechargestatus.TokenHeader, token)
	}
	read, p := v.CheckRequestBody(context.Background(), r, body)
	rest, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	c := checked{problem: p, value: read.Value(), rest: rest, fast: read.Plain()}
	if c.fast {
		checkPlain(t, body, read)
	}
	for i, name := range []string{"referenceid", "RegistrationID"} {
		c.fields[i], c.found[i] = read.String(name)
	}
	return c
}

// checkPlain holds a body the fast path read to what Body.Plain promises:
// valid JSON, one object and nothing after it, each value the bytes sent.
func checkPlain(t *testing.T, body []byte, read Body) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	var members map[string]json.RawMessage
	if !json.Valid(body) || dec.Decode(&members) != nil || dec.More() {
		t.Fatalf("the fast path read %q, which is not one JSON object alone", body)
	}
	for name, raw := range members {
		got, ok := read.String(name)
		if !ok || string(raw) != `"`+got+`"` {
			t.Fatalf("the fast path read %s as %q (%v) from %q: not the bytes sent", name, got, ok, raw)
		}
	}
}

// FuzzFastPathAgreesWithLibrary holds the validator's fast path to the
// library: for every request, the validator with it finds exactly what
// openapi3filter alone finds (the same problem, worded the same, the same
// decoded body), the fast path accepts only what the library accepts, and
// it takes every body of the shape it is for (the spec's members alone,
// strings without escapes) that the library accepts.
//
//	go test -run='^$' -fuzz='^FuzzFastPathAgreesWithLibrary$' -fuzztime=60s ./conformance
func FuzzFastPathAgreesWithLibrary(f *testing.F) {
	v := fuzzValidator(f)
	lib := libraryOnly(v)
	for _, s := range []struct{ contentType, token, body string }{
		{"application/json", "", `{"referenceid":"12345678","RegistrationID":"AOP-554"}`},
		{"application/json", "", ` { "RegistrationID" : "AOP-554" , "referenceid" : "ORDER-1" } `},
		{"application/json", "", `{"referenceid":"12345678"}`},
		{"application/json", "", `{"referenceid":"","RegistrationID":"AOP-554"}`},
		{"application/json", "", `{"referenceid":" ","RegistrationID":"AOP-554"}`},
		{"application/json", "", "{\"referenceid\":\"a\u200b\",\"RegistrationID\":\"AOP-554\"}"},
		{"application/json", "", "{\"referenceid\":\"\u200b\",\"RegistrationID\":\"AOP-554\"}"},
		{"application/json", "", "{\"referenceid\":\"\xc2\x85x\",\"RegistrationID\":\"AOP-554\"}"},
		{"application/json", "", "{\"referenceid\":\"\xff\",\"RegistrationID\":\"AOP-554\"}"},
		{"application/json", "", `{"referenceid":"` + strings.Repeat("9", 65) + `","RegistrationID":"AOP-554"}`},
		{"application/json", "", `{"referenceid":"` + strings.Repeat("é", 64) + `","RegistrationID":"AOP-554"}`},
		{"application/json", "", `{"referenceid":"😀` + strings.Repeat("x", 62) + `","RegistrationID":"AOP-554"}`},
		{"application/json", "", `{"referenceid":"1","RegistrationID":"AOP-554","referenceid":"2"}`},
		{"application/json", "", `{"referenceid":"1","RegistrationID":"AOP-554","extra":"x"}`},
		{"application/json", "", `{"referenceid":"1","RegistrationID":"AOP-554"}x`},
		{"application/json", "", `{"referenceid":"1","RegistrationID":"AOP-554",}`},
		{"application/json", "", `{"referenceid":"1\u0041","RegistrationID":"AOP-554"}`},
		{"application/json", "", `{"referenceid":1,"RegistrationID":"AOP-554"}`},
		{"application/json; charset=utf-8", "", `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"text/plain", "", `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"", "", `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"application/json", "t", `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"application/json", "", ``},
	} {
		f.Add(s.contentType, s.token, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, contentType, token string, body []byte) {
		got := checkEnquiry(t, v, contentType, token, body)
		want := checkEnquiry(t, lib, contentType, token, body)
		if want.fast {
			t.Fatal("the library-only validator took a fast path")
		}
		got.fast = false
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("with the fast path %+v (problem %+v)\nlibrary alone %+v (problem %+v)", got, got.problem, want, want.problem)
		}
		if want.problem != nil || contentType != "application/json" || token != "" {
			return
		}
		// The library accepts: re-spelt in the fast path's shape, the body
		// must take the fast path, to the same values.
		members, ok := want.value.(map[string]any)
		if !ok {
			return
		}
		for name, m := range members {
			if _, ok := m.(string); !ok || (name != "referenceid" && name != "RegistrationID") {
				return
			}
		}
		var plain bytes.Buffer
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(members); err != nil || bytes.ContainsRune(plain.Bytes(), '\\') {
			return
		}
		respelt := checkEnquiry(t, v, contentType, token, plain.Bytes())
		if !respelt.fast || respelt.problem != nil || !reflect.DeepEqual(respelt.value, want.value) {
			t.Fatalf("%s: the library accepts, the fast path does not take it: %+v", plain.Bytes(), respelt)
		}
	})
}

// TestFastPathTakesThePageExample guards the fast path itself: a change to
// the spec or the library that turned it off would leave every answer
// right and the mock twice as slow.
func TestFastPathTakesThePageExample(t *testing.T) {
	v, err := LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	got := checkEnquiry(t, v, "application/json", "", []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`))
	if got.problem != nil || !got.fast {
		t.Fatalf("the page's example: problem %+v, fast path %v", got.problem, got.fast)
	}
	if got.fields != [2]string{"12345678", "AOP-554"} || got.found != [2]bool{true, true} {
		t.Fatalf("members %q %v", got.fields, got.found)
	}
	if string(got.rest) != `{"referenceid":"12345678","RegistrationID":"AOP-554"}` {
		t.Fatalf("r.Body reads %q afterwards", got.rest)
	}
}

// TestFastPathRemembersOnlyWhatTheLibraryAccepted sends values the schema
// accepts and refuses, twice each, and looks at what is remembered.
func TestFastPathRemembersOnlyWhatTheLibraryAccepted(t *testing.T) {
	v, err := LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("9", acceptedLen+1)
	sent := []string{"12345678", "", "a\tb", "\u00e9", long}
	want, refused := map[string]bool{"RegistrationID=AOP-554": true}, 0
	for round := range 2 {
		for _, ref := range sent {
			body := []byte(`{"referenceid":"` + ref + `","RegistrationID":"AOP-554"}`)
			got, lib := checkEnquiry(t, v, "application/json", "", body), checkEnquiry(t, libraryOnly(v), "application/json", "", body)
			if (got.problem == nil) != (lib.problem == nil) {
				t.Fatalf("round %d, referenceid %q: problem %+v, the library's %+v", round, ref, got.problem, lib.problem)
			}
			switch {
			case lib.problem != nil:
				refused++
			case got.fast && len(ref) <= acceptedLen:
				want["referenceid="+ref] = true
			}
		}
	}
	if !want["referenceid=12345678"] || refused == 0 {
		t.Fatalf("the library accepted %v: the test's values are not what it needs", want)
	}
	remembered := map[string]bool{}
	for _, so := range v.stringObjects {
		for i, name := range so.names {
			for _, value := range append(sent, "AOP-554") {
				if _, ok := so.accepted[i].Load(value); ok {
					remembered[name+"="+value] = true
				}
			}
		}
	}
	if !reflect.DeepEqual(remembered, want) {
		t.Fatalf("remembered %v, want %v", remembered, want)
	}
}
