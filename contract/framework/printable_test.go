package framework

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAnswersBeyondTheHeaderBoundAreNotRead: a header of about 10 MB, or
// 10,000 headers, is an error of the exchange, and its dump stays small.
func TestAnswersBeyondTheHeaderBoundAreNotRead(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/huge":
			w.Header().Set("X-Huge", strings.Repeat("a", 10<<20))
		case "/many":
			for i := range 10000 {
				w.Header().Set(fmt.Sprintf("X-Header-%d", i), "value")
			}
		}
		_, _ = w.Write([]byte(`{}`))
	})
	c := NewClient(url, ClientOptions{Timeout: 5 * time.Second})
	for _, path := range []string{"/huge", "/many"} {
		ex := c.Do(t.Context(), Request{Method: http.MethodGet, Path: path})
		if ex.Err == nil || !strings.Contains(ex.Err.Error(), "header") {
			t.Errorf("%s: HTTP %d, error %v; want the header refused", path, ex.Status, ex.Err)
		}
		if n := len(ex.Dump()); n > 4096 {
			t.Errorf("%s: the dump is %d bytes", path, n)
		}
	}
}

// TestDumpsAreBoundedAndEscaped: what a dump shows of an answer is cut,
// saying what it left out, and no control character of it reaches a
// terminal raw.
func TestDumpsAreBoundedAndEscaped(t *testing.T) {
	header := http.Header{"X-Long": {strings.Repeat("v", 10000)}, "X-Title": {"\x1b]0;owned\x07"}}
	for i := range 10000 {
		header.Set(fmt.Sprintf("X-Header-%05d", i), "value")
	}
	body := "\x1b[2J\x1b[H{\"message\":\"cleared\u0085\"}" + strings.Repeat(" ", 10000)
	ex := &Exchange{Method: http.MethodPost, URL: "http://endpoint/x", Status: 200, Header: header, Body: []byte(body)}
	dump := ex.Dump()
	if len(dump) > 16<<10 {
		t.Errorf("the dump of 10,000 headers and a 10 kB body is %d bytes", len(dump))
	}
	for _, want := range []string{`\x1b[2J\x1b[H{"message":"cleared\u0085"}`, "more header lines", "more bytes"} {
		if !strings.Contains(dump, want) {
			t.Errorf("the dump lacks %q:\n%.2000s", want, dump)
		}
	}
	if strings.ContainsAny(dump, "\x1b\x07") || strings.Contains(dump, "\u0085") {
		t.Errorf("a control character reached the dump raw")
	}
	m := HaveStatus(201)
	_, _ = m.Match(ex)
	if msg := m.FailureMessage(ex); strings.Contains(msg, "\x1b") {
		t.Errorf("a failure message holds a raw ESC")
	}
}

func TestPrintableKeepsTextAndEscapesControls(t *testing.T) {
	for in, want := range map[string]string{
		"plain é ✓":    "plain é ✓",
		"a\nb\tc":      `a\nb\x09c`,
		"\x1b[31mred":  `\x1b[31mred`,
		"bad \xff\xfe": `bad \xff\xfe`,
		"del \x7f":     `del \x7f`,
	} {
		if got := printable(in, false); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
	if got := printable("line\n\tnext\x1b", true); got != "line\n\tnext\\x1b" {
		t.Errorf("keeping lines: %q", got)
	}
}
