package conformance

import (
	"slices"
	"testing"
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
