package mockserver

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/adminhttp/ui"
)

// TestPagesAndSpecsAreServedWithoutTheToken reads every public page and
// document of a sandbox with an admin token, sending none: each answers what
// the binary embeds, as its document declares, while the state stays behind
// the token.
func TestPagesAndSpecsAreServedWithoutTheToken(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{AdminToken: "s3cret"})
	tests := []struct {
		path, contentType string
		body              []byte
	}{
		{"/__admin/", "text/html; charset=utf-8", ui.Index.Body},
		{"/__admin/ui", "text/html; charset=utf-8", ui.Dashboard.Body},
		{"/__admin/ui/app.js", "text/javascript; charset=utf-8", ui.Assets["app.js"].Body},
		{"/__admin/ui/app.css", "text/css; charset=utf-8", ui.Assets["app.css"].Body},
		{"/__admin/openapi/provider.yaml", "application/yaml", rechargestatus.SpecYAML},
		{"/__admin/openapi/admin.yaml", "application/yaml", admin.SpecYAML},
	}
	for _, tt := range tests {
		a := sb.send(http.MethodGet, tt.path, "127.0.0.1", nil, "")
		if a.status != http.StatusOK || a.header.Get("Content-Type") != tt.contentType || !bytes.Equal(a.body, tt.body) {
			t.Errorf("GET %s answered %d %q with %d bytes; want 200 %q with the %d bytes embedded",
				tt.path, a.status, a.header.Get("Content-Type"), len(a.body), tt.contentType, len(tt.body))
		}
		if a.header.Get("Content-Security-Policy") != ui.ContentSecurityPolicy || a.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s answered without the pages' security headers: %v", tt.path, a.header)
		}
	}
	for _, path := range []string{"/__admin/clock", "/__admin/transactions", "/__admin/requests"} {
		if a := sb.adminAs("", http.MethodGet, path, nil); a.status != http.StatusUnauthorized {
			t.Errorf("GET %s without the token answered %d, want 401", path, a.status)
		}
	}
	if a := sb.send(http.MethodGet, "/__admin/ui/other.js", "127.0.0.1", nil, ""); a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "asset") {
		t.Errorf("GET /__admin/ui/other.js answered %d %s, want 400 naming the asset", a.status, a.body)
	}
	if a := sb.send(http.MethodPost, "/__admin/ui", "127.0.0.1", nil, ""); a.status != http.StatusUnauthorized && a.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /__admin/ui answered %d %s, want 401 or 405", a.status, a.body)
	}
}

// TestPagesKeepTheHostCheck refuses the pages, like the rest of the admin
// API, to a Host a DNS-rebinding page would send, on a sandbox without an
// admin token.
func TestPagesKeepTheHostCheck(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	for _, path := range []string{"/__admin/", "/__admin/ui", "/__admin/openapi/admin.yaml"} {
		if a := sb.send(http.MethodGet, path, "attacker.example", nil, ""); a.status != http.StatusForbidden {
			t.Errorf("GET %s for Host attacker.example answered %d, want 403", path, a.status)
		}
		if a := sb.send(http.MethodGet, path, "localhost", nil, ""); a.status != http.StatusOK {
			t.Errorf("GET %s for Host localhost answered %d %s, want 200", path, a.status, a.body)
		}
	}
}
