// Package rechargestatus is the wire contract of AOPay's RechargeStatus
// endpoint: the request and answer as they travel, the response codes and
// messages, the provider's time layout, the Token's header and messages, and
// openapi.yaml, the OpenAPI description of the endpoint, as bytes. It
// imports the standard library alone, so that every package of the sandbox
// may share it without the spec engine: conformance parses and validates
// with openapi.yaml, and partnertoken signs Tokens.
package rechargestatus

import _ "embed"

// SpecYAML is openapi.yaml as built into the binaries.
//
//go:embed openapi.yaml
var SpecYAML []byte

// EnquiryPath is the provider's path of the RechargeStatus operation.
const EnquiryPath = "/api/AOP/RechargeStatus"
