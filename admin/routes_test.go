package admin

import (
	"net/http"
	"testing"
)

func TestRoutePathEscapesEachValueAsOneSegment(t *testing.T) {
	tests := []struct {
		op     Operation
		values []string
		want   string
	}{
		{OpHealth, nil, "/__admin/health"},
		{OpGetTransaction, []string{"AOP-554", "a/b c"}, "/__admin/transactions/AOP-554/a%2Fb%20c"},
		{OpTransition, []string{"R?", "#1"}, "/__admin/transactions/R%3F/%231/transition"},
		{OpDeleteFault, []string{"f1"}, "/__admin/faults/f1"},
		{OpMetrics, nil, "/metrics"},
	}
	for _, tt := range tests {
		if got := RouteOf(tt.op).Path(tt.values...); got != tt.want {
			t.Errorf("%s.Path(%q) = %q, want %q", tt.op, tt.values, got, tt.want)
		}
	}
}

func TestRoutesAreOnePerOperationAndMethodAndPattern(t *testing.T) {
	seen := map[string]Operation{}
	for _, r := range Routes() {
		if r.Op == "" || r.Pattern == "" || http.StatusText(0) == r.Method || !IsAdminPath(r.Pattern) {
			t.Errorf("incomplete route %+v", r)
		}
		k := r.Method + " " + r.Pattern
		if other, dup := seen[k]; dup {
			t.Errorf("%s serves both %s and %s", k, other, r.Op)
		}
		seen[k] = r.Op
		if RouteOf(r.Op) != r {
			t.Errorf("RouteOf(%s) = %+v, want %+v", r.Op, RouteOf(r.Op), r)
		}
	}
	if len(seen) != len(routeByOp) {
		t.Errorf("%d routes for %d operations", len(seen), len(routeByOp))
	}
}
