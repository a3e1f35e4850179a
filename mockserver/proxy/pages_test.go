package proxy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// TestViolationListPages walks the kept violations two at a time: each is
// listed once, oldest first, and the last page has no next.
func TestViolationListPages(t *testing.T) {
	t.Parallel()
	upstream, _ := spoiltUpstream(t, editData(func(d map[string]any) { d["refid"] = "OTHER" }))
	rig := newProxyRig(t, upstream.URL, mockserver.Config{JournalSize: 5})
	for i := range 8 {
		rig.enquire("AOP-554", fmt.Sprintf("ORDER-%d", i), nil)
	}
	var got []string
	query := "?limit=2"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatalf("still paging after %d pages: %v", pages, got)
		}
		list := rig.violations(query)
		if len(list.Violations) > 2 || list.Total != 8 {
			t.Fatalf("page %s: %d violations, total %d; want at most 2 of 8", query, len(list.Violations), list.Total)
		}
		for _, v := range list.Violations {
			got = append(got, v.ReferenceID)
		}
		if list.Next == "" {
			break
		}
		query = "?limit=2&after=" + list.Next
	}
	if want := "ORDER-3 ORDER-4 ORDER-5 ORDER-6 ORDER-7"; strings.Join(got, " ") != want {
		t.Fatalf("paged %v, want %s", got, want)
	}
	rest, err := rig.srv.Admin().Violations(t.Context(), admin.ViolationQuery{PageQuery: admin.PageQuery{After: "6"}})
	if err != nil || len(rest.Violations) != 2 || rest.Violations[0].ReferenceID != "ORDER-6" {
		t.Fatalf("Admin().Violations after 6: %+v, %v; want ORDER-6 and ORDER-7", rest, err)
	}
	for _, bad := range []struct{ query, names string }{
		{"?limit=0", "limit"}, {"?limit=1001", "limit"}, {"?limit=two", "limit"},
		{"?after=x", "after"}, {"?after=", "after"}, {"?after=-1", "after"},
	} {
		status, body := rig.admin(http.MethodGet, "/__admin/violations"+bad.query, "")
		var e struct {
			Error struct{ Message string }
		}
		_ = json.Unmarshal(body, &e)
		if status != http.StatusBadRequest || !strings.Contains(e.Error.Message, bad.names) {
			t.Errorf("GET /__admin/violations%s: %d %s, want 400 naming %s", bad.query, status, body, bad.names)
		}
	}
}
