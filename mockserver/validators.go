package mockserver

import (
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// requestValidators hold requests to the spec. kin-openapi decodes every
// header parameter an operation declares, sent or not, at a cost of
// allocations each; the sandbox's own headers (X-Mock-Fault, X-Mock-Dialect)
// are optional and rarely sent. A request that sends none of them is held
// to the spec without them, which finds what the whole spec finds: an
// optional parameter not sent has nothing to break.
type requestValidators struct {
	full *conformance.Validator
	// bare holds the spec without the sandbox's optional headers.
	bare *conformance.Validator
	// sandboxHeaders are their canonical names.
	sandboxHeaders []string
}

// sandboxHeaderPrefix starts the names of the request headers only the
// sandbox reads.
const sandboxHeaderPrefix = "X-Mock-"

func newRequestValidators(full *conformance.Validator) (*requestValidators, error) {
	bareDoc, dropped := withoutSandboxHeaders(full.Doc())
	bare, err := conformance.NewValidator(bareDoc)
	if err != nil {
		return nil, err
	}
	return &requestValidators{full: full, bare: bare, sandboxHeaders: dropped}, nil
}

// withoutSandboxHeaders is doc without the optional header parameters whose
// names start with sandboxHeaderPrefix, and their canonical names; doc
// itself is left as it is.
func withoutSandboxHeaders(doc *openapi3.T) (*openapi3.T, []string) {
	var dropped []string
	keep := func(params openapi3.Parameters) openapi3.Parameters {
		var out openapi3.Parameters
		for _, p := range params {
			if v := p.Value; v != nil && v.In == openapi3.ParameterInHeader && !v.Required && strings.HasPrefix(http.CanonicalHeaderKey(v.Name), sandboxHeaderPrefix) {
				if name := http.CanonicalHeaderKey(v.Name); !slices.Contains(dropped, name) {
					dropped = append(dropped, name)
				}
				continue
			}
			out = append(out, p)
		}
		return out
	}
	bare := *doc
	bare.Paths = openapi3.NewPaths()
	for path, item := range doc.Paths.Map() {
		copied := *item
		copied.Parameters = keep(item.Parameters)
		for method, op := range item.Operations() {
			opCopy := *op
			opCopy.Parameters = keep(op.Parameters)
			copied.SetOperation(method, &opCopy)
		}
		bare.Paths.Set(path, &copied)
	}
	return &bare, dropped
}

// forRequest is the validator of r: the bare one when r sends none of the
// sandbox's headers.
func (v *requestValidators) forRequest(r *http.Request) *conformance.Validator {
	for _, name := range v.sandboxHeaders {
		if len(r.Header[name]) > 0 {
			return v.full
		}
	}
	return v.bare
}
