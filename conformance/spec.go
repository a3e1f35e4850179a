package conformance

import (
	"context"
	"fmt"
	"os"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// LoadSpec parses an OpenAPI document: the provider's
// (rechargestatus.SpecYAML) when path is empty, else the file at path, which
// it validates as well. The provider's is fixed when the binary is built,
// and TestEmbeddedSpecIsValid validates it.
func LoadSpec(path string) (*openapi3.T, error) {
	if path == "" {
		return parseSpec(rechargestatus.SpecYAML)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	doc, err := parseSpec(data)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid spec: %w", err)
	}
	return doc, nil
}

func parseSpec(data []byte) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("parse spec: %w", err)
	}
	return doc, nil
}

// newHostlessRouter finds operations by path and method whatever host a
// request was sent to. kin-openapi's router otherwise matches the `servers:`
// URLs too, so a request to 127.0.0.1 would never match
// https://api.aopay.co.in.
func newHostlessRouter(doc *openapi3.T) (routers.Router, error) {
	hostless := *doc
	hostless.Servers = nil
	return gorillamux.NewRouter(&hostless)
}
