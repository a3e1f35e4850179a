// Package rechargestatus holds the OpenAPI description of AOPay's RechargeStatus
// endpoint and the validation every other package of the sandbox shares: the
// mock validates its traffic with it, the contract suite and the proxy judge
// other endpoints with it.
package rechargestatus

import (
	"context"
	_ "embed"
	"fmt"
	"os"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// SpecYAML is openapi.yaml as built into the binaries.
//
//go:embed openapi.yaml
var SpecYAML []byte

// EnquiryPath is the provider's path of the RechargeStatus operation.
const EnquiryPath = "/api/AOP/RechargeStatus"

// LoadSpec parses and validates an OpenAPI document: the embedded one when path
// is empty, else the file at path.
func LoadSpec(path string) (*openapi3.T, error) {
	data := SpecYAML
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read spec: %w", err)
		}
		data = b
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("parse spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid spec: %w", err)
	}
	return doc, nil
}

// NewRouter finds operations by path and method whatever host a request was
// sent to. kin-openapi's router otherwise matches the `servers:` URLs too, so a
// request to 127.0.0.1 would never match https://api.aopay.co.in.
func NewRouter(doc *openapi3.T) (routers.Router, error) {
	hostless := *doc
	hostless.Servers = nil
	return gorillamux.NewRouter(&hostless)
}
