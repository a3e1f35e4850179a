package admin

import (
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// builtInAdminSpec is the admin document, loaded once: it is built in, and
// servers and their validators only read it.
var builtInAdminSpec = sync.OnceValues(LoadSpec)

// SandboxSpec is the document the mock validates its traffic with: provider,
// the description of the RechargeStatus endpoint it serves, joined with the
// admin API's own document. Neither may describe a path the other does.
func SandboxSpec(provider *openapi3.T) (*openapi3.T, error) {
	adminDoc, err := builtInAdminSpec()
	if err != nil {
		return nil, err
	}
	joined := *provider
	joined.Paths = openapi3.NewPaths()
	// openapi3filter looks the security schemes an operation names up in the
	// document its route came from; every other reference is resolved already.
	schemes := openapi3.SecuritySchemes{}
	for _, doc := range []*openapi3.T{provider, adminDoc} {
		for path, item := range doc.Paths.Map() {
			if joined.Paths.Value(path) != nil {
				return nil, fmt.Errorf("spec: %s is the admin API's (admin/openapi.yaml), not the provider's", path)
			}
			joined.Paths.Set(path, item)
		}
		if doc.Components == nil {
			continue
		}
		for name, scheme := range doc.Components.SecuritySchemes {
			if schemes[name] != nil {
				return nil, fmt.Errorf("spec: security scheme %s is the admin API's (admin/openapi.yaml), not the provider's", name)
			}
			schemes[name] = scheme
		}
	}
	components := openapi3.Components{}
	if provider.Components != nil {
		components = *provider.Components
	}
	components.SecuritySchemes = schemes
	joined.Components = &components
	return &joined, nil
}
