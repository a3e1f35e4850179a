package conformance

import (
	"net/http"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// openapi3filter decodes every header parameter an operation declares, sent
// or not, at a cost of allocations each. An optional header parameter that a
// request does not send has nothing to check (the validator sets no
// defaults, requestOptions.SkipSettingDefaults), so the validator holds each
// request to a variant of its operation without the optional header
// parameters it leaves out: what it finds is what the whole operation finds.

// maxSkippedHeaders bounds the optional header parameters of one operation
// the validator leaves out when not sent: it prepares a variant for each
// subset of them. Those past the bound are always decoded.
const maxSkippedHeaders = 4

// headerVariants are an operation's variants by the optional headers a
// request sends.
type headerVariants struct {
	// names are the canonical names of the optional header parameters.
	names []string
	// byMask is the variant for the names sent, bit i for names[i]; the
	// last is the operation itself.
	byMask []operationVariant
}

// operationVariant is an operation and its path item without some optional
// header parameters, and its route when its path has no parameters.
type operationVariant struct {
	item  *openapi3.PathItem
	op    *openapi3.Operation
	route *routers.Route
}

// newHeaderVariants prepares op's variants, nil when it declares no
// optional header parameter. fixed is op's route when its path has no
// parameters, nil otherwise.
func newHeaderVariants(item *openapi3.PathItem, op *openapi3.Operation, fixed *routers.Route) *headerVariants {
	names := optionalHeaders(item, op)
	if len(names) == 0 {
		return nil
	}
	if len(names) > maxSkippedHeaders {
		names = names[:maxSkippedHeaders]
	}
	hv := &headerVariants{names: names, byMask: make([]operationVariant, 1<<len(names))}
	for mask := range hv.byMask {
		var left []string
		for i, name := range names {
			if mask&(1<<i) == 0 {
				left = append(left, name)
			}
		}
		variant := operationVariant{item: item, op: op}
		if len(left) > 0 {
			itemCopy, opCopy := *item, *op
			itemCopy.Parameters = withoutHeaders(item.Parameters, left)
			opCopy.Parameters = withoutHeaders(op.Parameters, left)
			variant.item, variant.op = &itemCopy, &opCopy
		}
		if fixed != nil {
			route := *fixed
			route.PathItem, route.Operation = variant.item, variant.op
			variant.route = &route
		}
		hv.byMask[mask] = variant
	}
	return hv
}

// optionalHeaders are the canonical names of the header parameters op
// declares, itself or on its path item, none of them required.
func optionalHeaders(item *openapi3.PathItem, op *openapi3.Operation) []string {
	required := map[string]bool{}
	var names []string
	for _, params := range []openapi3.Parameters{op.Parameters, item.Parameters} {
		for _, p := range params {
			if p == nil || p.Value == nil || p.Value.In != openapi3.ParameterInHeader {
				continue
			}
			name := http.CanonicalHeaderKey(p.Value.Name)
			if _, seen := required[name]; !seen {
				names = append(names, name)
			}
			required[name] = required[name] || p.Value.Required
		}
	}
	optional := names[:0]
	for _, name := range names {
		if !required[name] {
			optional = append(optional, name)
		}
	}
	return optional
}

// withoutHeaders is params without the header parameters named.
func withoutHeaders(params openapi3.Parameters, names []string) openapi3.Parameters {
	var out openapi3.Parameters
	for _, p := range params {
		if p != nil && p.Value != nil && p.Value.In == openapi3.ParameterInHeader && slices.Contains(names, http.CanonicalHeaderKey(p.Value.Name)) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// forRequest is route's variant for the optional headers r sends. A header
// counts as sent when its key is there, as openapi3filter reads it.
func (hv *headerVariants) forRequest(route *routers.Route, r *http.Request) *routers.Route {
	mask := 0
	for i, name := range hv.names {
		if _, sent := r.Header[name]; sent {
			mask |= 1 << i
		}
	}
	variant := hv.byMask[mask]
	if variant.op == route.Operation {
		return route
	}
	if variant.route != nil {
		return variant.route
	}
	copied := *route
	copied.PathItem, copied.Operation = variant.item, variant.op
	return &copied
}
