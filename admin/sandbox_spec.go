package admin

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// builtInAdminSpec is parsed without validating it: it is fixed when the
// binary is built, and TestBuiltInSpecIsValid validates it.
var builtInAdminSpec = sync.OnceValues(func() (*openapi3.T, error) { return parseSpec(SpecYAML) })

// BuiltInSpec is the admin document, loaded once: it is built in, and
// servers and their validators only read it.
func BuiltInSpec() (*openapi3.T, error) { return builtInAdminSpec() }

// providerOperationsExtension marks the header parameters and answer
// headers of the admin document that the sandbox reads and writes on the
// provider's operations: WithSandboxHeaders joins them to each, so that the
// mock holds them to the admin document while the provider's stays free of
// them.
const providerOperationsExtension = "x-sandbox-provider-operations"

// SandboxSpec is the document the mock validates its traffic with: provider,
// the description of the RechargeStatus endpoint it serves, joined with the
// admin API's own document, as WithSandboxHeaders joins them, with the
// admin document's paths besides. The mock itself holds the two sets of
// paths apart (WithSandboxHeaders, BuiltInSpec); SandboxSpec validates
// both at once.
func SandboxSpec(provider *openapi3.T) (*openapi3.T, error) {
	joined, err := WithSandboxHeaders(provider)
	if err != nil {
		return nil, err
	}
	adminDoc, err := builtInAdminSpec()
	if err != nil {
		return nil, err
	}
	for path, item := range adminDoc.Paths.Map() {
		joined.Paths.Set(path, item)
	}
	return joined, nil
}

// WithSandboxHeaders is the document the mock validates the provider's
// traffic with: provider, the description of the RechargeStatus endpoint it
// serves, with the header parameters and answer headers of the admin
// document marked with providerOperationsExtension added to every
// operation, and the admin document's security schemes beside its own. It
// may describe no path of the admin API; provider itself is left as it is.
// It reads those parts of the admin document alone (sandboxComponents), so
// that a mock starts without parsing the whole.
func WithSandboxHeaders(provider *openapi3.T) (*openapi3.T, error) {
	sandbox, err := sandboxComponents()
	if err != nil {
		return nil, err
	}
	joined := *provider
	joined.Paths = openapi3.NewPaths()
	for path, item := range provider.Paths.Map() {
		if IsAdminPath(path) {
			return nil, fmt.Errorf("spec: %s is the admin API's (admin/openapi.yaml), not the provider's", path)
		}
		joined.Paths.Set(path, withSandboxHeaders(item, sandbox))
	}
	// openapi3filter looks the security schemes an operation names up in the
	// document its route came from; every other reference is resolved already.
	schemes := openapi3.SecuritySchemes{}
	if provider.Components != nil {
		maps.Copy(schemes, provider.Components.SecuritySchemes)
	}
	for name, scheme := range sandbox.SecuritySchemes {
		if schemes[name] != nil {
			return nil, fmt.Errorf("spec: security scheme %s is the admin API's (admin/openapi.yaml), not the provider's", name)
		}
		schemes[name] = scheme
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
