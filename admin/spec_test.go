package admin

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// TestSpecDescribesTheAdminAPI holds the document to the route table the
// mock and the Client are built on: the same operations, each at the same
// method and path under the same operationId, each behind the admin token
// but the public ones, which say they need none.
func TestSpecDescribesTheAdminAPI(t *testing.T) {
	doc, err := LoadSpec()
	if err != nil {
		t.Fatalf("LoadSpec: %v", err)
	}
	var documented, routed []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented = append(documented, method+" "+path+" "+op.OperationID)
			if IsPublic(Operation(op.OperationID)) {
				if op.Security == nil || len(*op.Security) != 0 {
					t.Errorf("%s %s is served without the admin token but does not say so (security: [])", method, path)
				}
				continue
			}
			if op.Security == nil || len(*op.Security) != 1 {
				t.Errorf("%s %s does not name the admin token alone", method, path)
			} else if _, ok := (*op.Security)[0]["adminToken"]; !ok {
				t.Errorf("%s %s does not name the admin token", method, path)
			}
		}
	}
	for _, r := range Routes() {
		routed = append(routed, r.Method+" "+r.Pattern+" "+string(r.Op))
	}
	slices.Sort(documented)
	slices.Sort(routed)
	if !slices.Equal(documented, routed) {
		t.Fatalf("admin/openapi.yaml describes\n%s\nthe route table routes\n%s", strings.Join(documented, "\n"), strings.Join(routed, "\n"))
	}
}

// TestTransactionDataIsTheProviders checks that the transactions the admin
// API shows carry the provider's data: the admin document's copies of the
// provider's schemas, which let it stand alone, are equal to them.
func TestTransactionDataIsTheProviders(t *testing.T) {
	doc, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	provider, err := conformance.LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	if data := doc.Components.Schemas["AdminTransaction"].Value.Properties["data"]; data.Ref != "#/components/schemas/TransactionData" {
		t.Errorf("AdminTransaction.data is %q; want the document's TransactionData", data.Ref)
	}
	for _, name := range []string{"TransactionData", "DecimalString", "ProviderDateTime"} {
		mine, theirs := doc.Components.Schemas[name], provider.Components.Schemas[name]
		if mine == nil || theirs == nil {
			t.Errorf("schema %s: admin document %v, provider's %v", name, mine != nil, theirs != nil)
			continue
		}
		got, err := json.Marshal(mine.Value)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(theirs.Value)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("admin/openapi.yaml's %s differs from openapi.yaml's:\n%s\n%s", name, got, want)
		}
	}
}

// TestDeclaredExamplesMatchTheirSchemas checks that every answer with a body
// shows at least one example, and that every example, of an answer, a
// request or a header, is valid against its schema.
func TestDeclaredExamplesMatchTheirSchemas(t *testing.T) {
	doc, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				for ct, media := range resp.Value.Content {
					if len(media.Examples) == 0 {
						t.Errorf("%s %s %s %s has no example", method, path, code, ct)
					}
					for name, ex := range media.Examples {
						checked++
						if err := media.Schema.Value.VisitJSON(ex.Value.Value, openapi3.VisitAsResponse()); err != nil {
							t.Errorf("%s %s %s %s example %q: %v", method, path, code, ct, name, err)
						}
					}
				}
			}
			if op.RequestBody == nil {
				continue
			}
			for ct, media := range op.RequestBody.Value.Content {
				if len(media.Examples) == 0 {
					t.Errorf("%s %s request %s has no example", method, path, ct)
				}
				for name, ex := range media.Examples {
					checked++
					if err := media.Schema.Value.VisitJSON(ex.Value.Value, openapi3.VisitAsRequest()); err != nil {
						t.Errorf("%s %s request %s example %q: %v", method, path, ct, name, err)
					}
				}
			}
		}
	}
	for name, header := range doc.Components.Headers {
		checked++
		if err := header.Value.Schema.Value.VisitJSON(header.Value.Example); err != nil {
			t.Errorf("header %s example %v: %v", name, header.Value.Example, err)
		}
	}
	if checked == 0 {
		t.Fatal("admin/openapi.yaml has no example")
	}
}

// TestProxyHeadersAreDocumented checks that the headers the proxy adds to
// the answers it relays are those admin/openapi.yaml describes.
func TestProxyHeadersAreDocumented(t *testing.T) {
	doc, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ContractViolationsHeader, UpstreamErrorHeader} {
		if doc.Components.Headers[name] == nil {
			t.Errorf("admin/openapi.yaml does not describe the proxy's header %s", name)
		}
	}
}

// TestSandboxHeadersAreDocumented checks that the headers the sandbox reads
// and writes on the provider's endpoint are described in admin/openapi.yaml
// and marked to be joined to the provider's operations.
func TestSandboxHeadersAreDocumented(t *testing.T) {
	doc, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{FaultHeader, dialect.Header} {
		p := doc.Components.Parameters[name]
		if p == nil || p.Value.Name != name || p.Value.In != openapi3.ParameterInHeader || p.Value.Required || !isMarked(p.Value.Extensions) {
			t.Errorf("admin/openapi.yaml does not describe the optional request header %s marked %s", name, providerOperationsExtension)
		}
	}
	if h := doc.Components.Headers[dialect.Header]; h == nil || !isMarked(h.Value.Extensions) {
		t.Errorf("admin/openapi.yaml does not describe the answer header %s marked %s", dialect.Header, providerOperationsExtension)
	}
}

// TestFaultListCapIsMaxFaultRules holds the document's cap on a list of
// fault rules to the one the sandbox enforces on PUT and POST alike.
func TestFaultListCapIsMaxFaultRules(t *testing.T) {
	doc, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	faults := doc.Components.Schemas["FaultList"].Value.Properties["faults"].Value
	if faults.MaxItems == nil || *faults.MaxItems != MaxFaultRules {
		t.Fatalf("FaultList.faults maxItems %v, want MaxFaultRules (%d)", faults.MaxItems, MaxFaultRules)
	}
}
