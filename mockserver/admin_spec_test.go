package mockserver

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

// TestAdminRequestExamplesAreAccepted sends every request example that
// admin/openapi.yaml declares to a sandbox, so that what the spec shows a
// reader works as shown.
func TestAdminRequestExamplesAreAccepted(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	doc, err := admin.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	pathValues := strings.NewReplacer("{registrationId}", "AOP-554", "{referenceId}", "FAILED-1001")
	sent := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			media := op.RequestBody.Value.Content.Get("application/json")
			if media == nil || len(media.Examples) == 0 {
				t.Errorf("%s %s declares no request example", method, path)
				continue
			}
			for name, ex := range media.Examples {
				t.Run(op.OperationID+"/"+name, func(t *testing.T) {
					sb.admin(http.MethodPost, "/__admin/reset", nil)
					a := sb.admin(method, pathValues.Replace(path), ex.Value.Value)
					if a.status >= 300 {
						t.Fatalf("%s %s with example %s: %d %s", method, path, name, a.status, a.body)
					}
					sent++
				})
			}
		}
	}
	if sent < 10 {
		t.Fatalf("only %d admin request examples were sent", sent)
	}
}

// curlWithBody matches the README's `curl -X METHOD "$MOCK/path" ... -d '{...}'`.
var curlWithBody = regexp.MustCompile(`curl -X (\w+) "\$MOCK([^"]+)"[^\n]*?-d '([^']*)'`)

// indentedLine continues the command of the line before it.
var indentedLine = regexp.MustCompile(`\n\s+`)

// TestReadmeAdminExamplesWork runs every admin call with a body that the
// README shows, block by block from a reset sandbox, so the documentation
// cannot drift from what the sandbox accepts.
func TestReadmeAdminExamplesWork(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sb := newSandbox(t, Config{})
	blocks := strings.Split(string(readme), "```sh\n")[1:]
	calls := 0
	for i, block := range blocks {
		block, _, _ = strings.Cut(block, "```")
		block = strings.ReplaceAll(block, "\\\n", " ")
		block = indentedLine.ReplaceAllString(block, " ")
		matches := curlWithBody.FindAllStringSubmatch(block, -1)
		if len(matches) == 0 {
			continue
		}
		sb.admin(http.MethodPost, "/__admin/reset", nil)
		for _, m := range matches {
			method, path, body := m[1], m[2], m[3]
			if !strings.HasPrefix(path, "/__admin/") {
				continue
			}
			t.Run(fmt.Sprintf("block %d %s %s", i, method, path), func(t *testing.T) {
				a := sb.admin(method, path, body)
				if a.status >= 300 {
					t.Fatalf("README example %s %s %s: %d %s", method, path, body, a.status, a.body)
				}
			})
			calls++
		}
	}
	if calls < 20 {
		t.Fatalf("only %d README admin calls found", calls)
	}
}
