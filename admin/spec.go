// Package admin holds the AOPay sandbox's admin API: its types, route table,
// typed client and OpenAPI document. The document describes the calls under
// /__admin/, /metrics and the headers the proxy adds to the answers it relays;
// the provider's endpoint is described apart, in the root package's
// openapi.yaml, from which this document borrows the transaction data.
package admin

import (
	"context"
	_ "embed"
	"fmt"
	"net/url"
	"path"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// SpecYAML is openapi.yaml as built into the binaries.
//
//go:embed openapi.yaml
var SpecYAML []byte

// specLocation is where SpecYAML sits in the repository, so that its
// references to ../openapi.yaml resolve to the provider's document.
var specLocation = &url.URL{Path: "admin/openapi.yaml"}

// LoadSpec parses and validates the embedded admin document, with its
// references to the provider's document resolved to the embedded one.
func LoadSpec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.ReadFromURIFunc = readProviderSpec
	doc, err := loader.LoadFromDataWithPath(SpecYAML, specLocation)
	if err != nil {
		return nil, fmt.Errorf("parse admin spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid admin spec: %w", err)
	}
	return doc, nil
}

// readProviderSpec answers the loader's reads of other documents: the
// provider's document, built in, and nothing else, so that loading never
// reaches the file system or the network.
func readProviderSpec(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
	if u.Scheme == "" && u.Host == "" && path.Clean(u.Path) == "openapi.yaml" {
		return rechargestatus.SpecYAML, nil
	}
	return nil, fmt.Errorf("admin spec refers to %s; it may refer only to ../openapi.yaml", u)
}
