package framework

import (
	"strings"
	"testing"
)

func TestCompareJSONShowsBothInTheAnswersOrder(t *testing.T) {
	want := []byte(`{"b":{"y":2,"x":1},"a":[1,{"q":1,"p":2}],"c":"only expected"}`)
	got := []byte(`{"a":[1,{"p":2,"q":3}],"b":{"x":1,"y":2},"d":"only actual"}`)
	same, explanation := CompareJSON(want, got)
	if same {
		t.Fatal("different documents compared equal")
	}
	if !strings.HasPrefix(explanation, "differs at /a/1/q, /d, /c\n") {
		t.Errorf("explanation starts %q", strings.SplitN(explanation, "\n", 2)[0])
	}
	expected, actual, ok := strings.Cut(strings.SplitN(explanation, "expected:\n", 2)[1], "\nactual:\n")
	if !ok {
		t.Fatalf("no expected and actual:\n%s", explanation)
	}
	order := func(doc string) string {
		var keys []string
		for _, line := range strings.Split(doc, "\n") {
			if k, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && strings.HasPrefix(k, `"`) {
				keys = append(keys, k)
			}
		}
		return strings.Join(keys, " ")
	}
	if got, want := order(expected), `"a" "p" "q" "b" "x" "y" "c"`; got != want {
		t.Errorf("expected shown in key order %s, want the answer's: %s\n%s", got, want, expected)
	}
	if got, want := order(actual), `"a" "p" "q" "b" "x" "y" "d"`; got != want {
		t.Errorf("actual shown in key order %s, want its own: %s\n%s", got, want, actual)
	}
}

func TestCompareJSONByValue(t *testing.T) {
	for _, tc := range []struct {
		want, got string
		same      bool
	}{
		{`{"a":1,"b":[true,null]}`, `{"b":[true,null],"a":1.0}`, true},
		{`{"a":"1"}`, `{"a":1}`, false},
		{`[1,2]`, `[1,2,3]`, false},
		{`{"a":{}}`, `{"a":[]}`, false},
		{`{"a":1}`, `{"a":1} {"b":2}`, false},
		{`{"a":1}`, `not json`, false},
	} {
		if same, explanation := CompareJSON([]byte(tc.want), []byte(tc.got)); same != tc.same {
			t.Errorf("%s against %s: same %v, want %v (%s)", tc.want, tc.got, same, tc.same, explanation)
		}
	}
}
