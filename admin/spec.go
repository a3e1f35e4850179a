// Package admin holds the AOPay sandbox's admin API: its types, route table,
// typed client and OpenAPI document. The document describes the calls under
// /__admin/, /metrics, the headers the sandbox reads and writes on the
// provider's endpoint and those the proxy adds to the answers it relays; the
// provider's endpoint is described apart, in the root package's
// openapi.yaml. The document stands alone: it repeats the provider's schemas
// of the transaction data it shows, and a test holds the copies equal.
package admin

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// SpecYAML is openapi.yaml as built into the binaries.
//
//go:embed openapi.yaml
var SpecYAML []byte

// LoadSpec parses and validates the embedded admin document.
func LoadSpec() (*openapi3.T, error) {
	doc, err := parseSpec(SpecYAML)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid admin spec: %w", err)
	}
	return doc, nil
}

func parseSpec(data []byte) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("parse admin spec: %w", err)
	}
	return doc, nil
}
