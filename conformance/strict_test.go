package conformance

import (
	"encoding/json"
	"slices"
	"testing"
	"unicode/utf8"
)

func TestReadStrictlyFindsWhatEncodingJSONForgives(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string // rule pointer
	}{
		{"the page's example", `{"status":true,"data":{"refid":"12345678","list":["a",{"b":1}]}}`, nil},
		{"invalid UTF-8 in data", "{\"status\":true,\"data\":{\"operatorname\":\"Air\xfftel\"}}", []string{RuleUTF8 + " /data/operatorname"}},
		{"an overlong encoding", "{\"message\":\"\xc0\xaf\"}", []string{RuleUTF8 + " /message"}},
		{"invalid UTF-8 in a name", "{\"st\xffatus\":true}", []string{RuleUTF8 + " /st\uFFFDatus"}},
		{"status twice", `{"status":false,"response_code":2,"message":"No Transaction found","status":true}`, []string{RuleDuplicateKey + " /status"}},
		{"refid twice", `{"data":{"refid":"WRONG","refid":"12345678"}}`, []string{RuleDuplicateKey + " /data/refid"}},
		{"in an array", "{\"a\":[1,{\"x\":1,\"x\":2},\"\xfe\"]}", []string{RuleDuplicateKey + " /a/1/x", RuleUTF8 + " /a/2"}},
		{"the same name in two objects", `{"a":{"x":1},"b":{"x":1}}`, nil},
		{"a name needing escape", `{"a/b":1,"a/b":2}`, []string{RuleDuplicateKey + " /a~1b"}},
		{"escaped text is valid", `{"m":"\u00e9\n"}`, nil},
		{"not JSON", `{"a":1,"a"`, []string{RuleDuplicateKey + " /a"}},
		{"not JSON at all", `<html>`, nil},
	} {
		var got []string
		for _, v := range ReadStrictly([]byte(tc.body)) {
			got = append(got, v.Rule+" "+v.Pointer)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzReadStrictly: the strict reading never panics, finds invalid UTF-8
// exactly when a JSON body holds some (JSON allows such bytes only inside
// strings), and finds no duplicate in a body encoding/json re-encodes from
// a map.
//
//	go test -run='^$' -fuzz='^FuzzReadStrictly$' -fuzztime=30s ./conformance
func FuzzReadStrictly(f *testing.F) {
	for _, seed := range []string{
		`{"status":true,"data":{"refid":"12345678"}}`,
		"{\"a\":\"\xff\"}",
		`{"a":1,"a":2}`,
		`[{"x":[1,{"y":"z"}]}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		found := map[string]bool{}
		for _, v := range ReadStrictly(body) {
			found[v.Rule] = true
		}
		if utf8.Valid(body) && found[RuleUTF8] {
			t.Fatalf("invalid UTF-8 found in valid UTF-8 %q", body)
		}
		if json.Valid(body) && !utf8.Valid(body) && !found[RuleUTF8] {
			t.Fatalf("invalid UTF-8 of %q not found", body)
		}
		var m map[string]any
		if json.Unmarshal(body, &m) == nil && m != nil {
			again, _ := json.Marshal(m)
			if vs := ReadStrictly(again); len(vs) > 0 {
				t.Fatalf("%s re-encoded as %s: %v", body, again, vs)
			}
		}
	})
}
