package ui

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TestDashboardOffersTheTransitionsTheSandboxAllows holds the script's
// buttons to the domain's rule: a button for every transition
// transaction.CanTransition allows, and none for another.
func TestDashboardOffersTheTransitionsTheSandboxAllows(t *testing.T) {
	m := regexp.MustCompile(`(?m)^const TRANSITIONS = (\{.*\});$`).FindSubmatch(appJS)
	if m == nil {
		t.Fatal("app.js declares no `const TRANSITIONS = {...};` line")
	}
	var offered map[transaction.State][]transaction.State
	if err := json.Unmarshal(m[1], &offered); err != nil {
		t.Fatalf("TRANSITIONS is not JSON: %v", err)
	}
	states := []transaction.State{transaction.StatePending, transaction.StateSuccess, transaction.StateFailed, transaction.StateRefunded}
	for _, from := range states {
		for _, to := range states {
			allowed := transaction.CanTransition(from, to) == nil
			if has := slices.Contains(offered[from], to); has != allowed {
				t.Errorf("%s → %s: the dashboard offers it %v, the sandbox allows it %v", from, to, has, allowed)
			}
		}
	}
}

// TestPagesLoadOnlyTheirOwnFiles keeps the pages within the Content
// Security Policy and offline: no inline script or style, no handler
// attribute, nothing from another origin, and only assets that exist.
func TestPagesLoadOnlyTheirOwnFiles(t *testing.T) {
	refs := regexp.MustCompile(`(?:src|href)="([^"]*)"`)
	for name, page := range map[string][]byte{"index.html": indexHTML, "dashboard.html": dashboardHTML} {
		html := string(page)
		if regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|\son[a-z]+=|style="`).MatchString(html) {
			t.Errorf("%s has inline script or style, which the Content-Security-Policy blocks", name)
		}
		for _, m := range refs.FindAllStringSubmatch(html, -1) {
			ref := m[1]
			if !strings.HasPrefix(ref, "/__admin/") && ref != "data:," {
				t.Errorf("%s refers to %q, outside the sandbox's admin pages", name, ref)
			}
			if asset, ok := strings.CutPrefix(ref, "/__admin/ui/"); ok && Assets[asset].Body == nil {
				t.Errorf("%s loads %s, which is not among the Assets", name, ref)
			}
		}
	}
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "http://", "https://"} {
		if strings.Contains(string(appJS), bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}
