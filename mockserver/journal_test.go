package mockserver

import (
	"net/http"
	"strings"
	"testing"
)

func TestJournalHeadersAreRedactedAndBounded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("v", 3<<10)
	tests := []struct {
		name         string
		header       http.Header
		wantSame     bool
		wantRedacted []string
		wantMaxBytes int
	}{
		{name: "plain and small, kept as is", header: http.Header{"Content-Type": {"application/json"}}, wantSame: true},
		{name: "Set-Cookie of an upstream", header: http.Header{"Set-Cookie": {"session=s3cr3t; HttpOnly"}, "Content-Type": {"application/json"}}, wantRedacted: []string{"Set-Cookie"}},
		{name: "request secrets", header: http.Header{"Token": {"t"}, "Authorisedkey": {"k"}, "Proxy-Authorization": {"Basic eA=="}}, wantRedacted: []string{"Token", "Authorisedkey", "Proxy-Authorization"}},
		{name: "larger than the bound", header: http.Header{"A": {big, big}, "B": {big}, "C": {big}, "Token": {big}}, wantRedacted: []string{"Token"}, wantMaxBytes: journalHeaderLimit + 4*len("…[truncated]")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.header.Clone()
			got := journalHeaders(tt.header)
			if !reflectEqualHeaders(tt.header, before) {
				t.Fatalf("journalHeaders changed its argument: %v", tt.header)
			}
			if tt.wantSame && !reflectEqualHeaders(got, before) {
				t.Fatalf("kept %v, want %v", got, before)
			}
			for _, name := range tt.wantRedacted {
				if v := got[name]; len(v) != 1 || v[0] != "[REDACTED]" {
					t.Fatalf("%s kept as %q", name, v)
				}
			}
			size := 0
			for k, v := range got {
				size += len(k)
				for _, s := range v {
					size += len(s)
				}
			}
			if tt.wantMaxBytes > 0 && size > tt.wantMaxBytes {
				t.Fatalf("kept %d bytes of headers, want at most %d", size, tt.wantMaxBytes)
			}
		})
	}
}

func reflectEqualHeaders(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") || len(v) != len(b[k]) {
			return false
		}
	}
	return true
}
