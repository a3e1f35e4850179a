package framework

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// SandboxPromisesExtension lists, on the RechargeStatus operation of
// openapi.yaml, the promises only the sandbox makes: name → what it
// promises. A run against a real target does not hold the endpoint to them.
const SandboxPromisesExtension = "x-sandbox-promises"

// ExampleOf is the named example openapi.yaml gives for an answer of the
// RechargeStatus operation with HTTP status, as JSON.
func ExampleOf(doc *openapi3.T, status int, name string) ([]byte, error) {
	op, err := enquiryOperation(doc)
	if err != nil {
		return nil, err
	}
	resp := op.Responses.Status(status)
	if resp == nil || resp.Value == nil {
		return nil, fmt.Errorf("openapi.yaml declares no HTTP %d answer", status)
	}
	media := resp.Value.Content.Get("application/json")
	if media == nil || media.Examples[name] == nil || media.Examples[name].Value == nil {
		return nil, fmt.Errorf("openapi.yaml has no example %q of the HTTP %d answer", name, status)
	}
	return json.Marshal(media.Examples[name].Value.Value)
}

// SandboxPromises lists the names of the promises openapi.yaml marks as the
// sandbox's own.
func SandboxPromises(doc *openapi3.T) ([]string, error) {
	op, err := enquiryOperation(doc)
	if err != nil {
		return nil, err
	}
	promises, ok := op.Extensions[SandboxPromisesExtension].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi.yaml's RechargeStatus operation has no %s map", SandboxPromisesExtension)
	}
	names := make([]string, 0, len(promises))
	for name := range promises {
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

// SandboxPromise is what openapi.yaml says of the sandbox's promise name.
func SandboxPromise(doc *openapi3.T, name string) (string, error) {
	op, err := enquiryOperation(doc)
	if err != nil {
		return "", err
	}
	promises, _ := op.Extensions[SandboxPromisesExtension].(map[string]any)
	text, ok := promises[name].(string)
	if !ok {
		return "", fmt.Errorf("openapi.yaml's %s does not name %q", SandboxPromisesExtension, name)
	}
	return text, nil
}

func enquiryOperation(doc *openapi3.T) (*openapi3.Operation, error) {
	item := doc.Paths.Find(rechargestatus.EnquiryPath)
	if item == nil || item.Post == nil {
		return nil, fmt.Errorf("openapi.yaml has no POST %s", rechargestatus.EnquiryPath)
	}
	return item.Post, nil
}

// SandboxConstraintsExtension marks a schema of openapi.yaml whose
// constraints the page and the notes do not state: it lists the names of
// the x-sandbox-promises that hold them.
const SandboxConstraintsExtension = "x-sandbox-constraints"
