package conformance

import (
	"net/http"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// QueryParameters names, sorted, the query parameters the operation r is
// routed to declares, on the operation or its path; ok is false when no
// operation takes r. A caller that refuses undeclared parameters reads them
// here, so that the document stays the one list of what each operation
// takes.
func (v *Validator) QueryParameters(r *http.Request) (names []string, ok bool) {
	route, _, err := v.findRoute(r)
	if err != nil || route.Operation == nil {
		return nil, false
	}
	for _, params := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range params {
			if p != nil && p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				names = append(names, p.Value.Name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), true
}
