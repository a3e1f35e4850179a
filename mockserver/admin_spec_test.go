package mockserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

// TestAdminRequestExamplesAreAccepted sends every request example that
// admin/openapi.yaml declares to a sandbox, so that what the spec shows a
// reader works as shown.
func TestAdminRequestExamplesAreAccepted(t *testing.T) {
	t.Parallel()
	// A root, so that the recording examples that name a directory are
	// taken.
	sb := newSandbox(t, Config{RecordRoot: t.TempDir()})
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
					if op.OperationID == string(admin.OpStartRecording) {
						// One recording at a time: the next example starts its own.
						sb.admin(http.MethodPost, "/__admin/recordings/stop", nil)
					}
				})
			}
		}
	}
	if sent < 10 {
		t.Fatalf("only %d admin request examples were sent", sent)
	}
}
