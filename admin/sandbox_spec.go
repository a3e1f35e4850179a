package admin

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

var builtInAdminSpec = sync.OnceValues(LoadSpec)

// BuiltInSpec is the admin document, loaded once: it is built in, and
// servers and their validators only read it.
func BuiltInSpec() (*openapi3.T, error) { return builtInAdminSpec() }

// providerOperationsExtension marks the header parameters and answer
// headers of the admin document that the sandbox reads and writes on the
// provider's operations: SandboxSpec joins them to each, so that the mock
// holds them to the admin document while the provider's stays free of them.
const providerOperationsExtension = "x-sandbox-provider-operations"

// SandboxSpec is the document the mock validates its traffic with: provider,
// the description of the RechargeStatus endpoint it serves, joined with the
// admin API's own document, whose headers marked with
// providerOperationsExtension are added to every operation of provider.
// Neither document may describe a path the other does; provider itself is
// left as it is.
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
			if doc == provider {
				item = withSandboxHeaders(item, adminDoc.Components)
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

// withSandboxHeaders is a copy of item whose operations also declare the
// request header parameters and answer headers of sandbox marked with
// providerOperationsExtension, in the order of their names.
func withSandboxHeaders(item *openapi3.PathItem, sandbox *openapi3.Components) *openapi3.PathItem {
	var params openapi3.Parameters
	for _, name := range slices.Sorted(maps.Keys(sandbox.Parameters)) {
		if p := sandbox.Parameters[name]; isMarked(p.Value.Extensions) {
			params = append(params, p)
		}
	}
	headers := openapi3.Headers{}
	for name, h := range sandbox.Headers {
		if isMarked(h.Value.Extensions) {
			headers[name] = h
		}
	}
	copied := *item
	for method, op := range item.Operations() {
		o := *op
		o.Parameters = append(slices.Clip(op.Parameters), params...)
		if op.Responses != nil && len(headers) > 0 {
			o.Responses = openapi3.NewResponsesWithCapacity(op.Responses.Len())
			for code, resp := range op.Responses.Map() {
				answer := *resp.Value
				answer.Headers = maps.Clone(resp.Value.Headers)
				if answer.Headers == nil {
					answer.Headers = openapi3.Headers{}
				}
				maps.Copy(answer.Headers, headers)
				o.Responses.Set(code, &openapi3.ResponseRef{Value: &answer})
			}
		}
		copied.SetOperation(method, &o)
	}
	return &copied
}

func isMarked(extensions map[string]any) bool {
	marked, _ := extensions[providerOperationsExtension].(bool)
	return marked
}
