package admin_test

import (
	"bytes"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// TestClientReadsBothSpecs reads the documents from a sandbox with an admin
// token through a client without one: they are served to anyone who may
// reach the sandbox.
func TestClientReadsBothSpecs(t *testing.T) {
	t.Parallel()
	c := admin.NewClient(sandbox(t, mockserver.Config{AdminToken: "s3cret"}))
	provider, err := c.ProviderSpec(t.Context())
	if err != nil || !bytes.Equal(provider, rechargestatus.SpecYAML) {
		t.Errorf("ProviderSpec: %d bytes, %v; want the %d bytes of openapi.yaml", len(provider), err, len(rechargestatus.SpecYAML))
	}
	adminDoc, err := c.AdminSpec(t.Context())
	if err != nil || !bytes.Equal(adminDoc, admin.SpecYAML) {
		t.Errorf("AdminSpec: %d bytes, %v; want the %d bytes of admin/openapi.yaml", len(adminDoc), err, len(admin.SpecYAML))
	}
	if _, err := c.Clock(t.Context()); admin.ErrorCode(err) != admin.CodeUnauthorized {
		t.Errorf("Clock without the token: %v, want unauthorized", err)
	}
}
