package admin

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// sandboxComponentSections are the sections of the admin document's
// components that WithSandboxHeaders reads: none of them refers to another
// part of the document.
var sandboxComponentSections = []string{"securitySchemes", "headers", "parameters"}

// SandboxComponents are the admin document's components that
// WithSandboxHeaders joins to the provider's, parsed once: its security
// schemes, answer headers and parameters. A mock that parses the provider's
// document may call it on another goroutine meanwhile.
func SandboxComponents() (*openapi3.Components, error) { return sandboxComponents() }

// sandboxComponents are parsed from their own sections of SpecYAML, a tenth
// of the document, so that a mock holds the provider's traffic to them
// without parsing the whole, which only admin requests need.
// TestSandboxComponentsAreTheDocuments holds them to the whole document's.
var sandboxComponents = sync.OnceValues(func() (*openapi3.Components, error) {
	sections, err := componentSections(SpecYAML, sandboxComponentSections)
	if err != nil {
		return nil, fmt.Errorf("parse admin spec: %w", err)
	}
	doc, err := parseSpec(sections)
	if err != nil {
		return nil, err
	}
	return doc.Components, nil
})

// componentSections is a document of the same OpenAPI version as spec, a
// YAML document in block style whose top-level keys start their lines, that
// holds the named sections of spec's components alone: each section's lines
// as spec has them, from the key two spaces in under `components:` to the
// next line indented as little.
func componentSections(spec []byte, names []string) ([]byte, error) {
	var version []byte
	sections := map[string][]byte{}
	inComponents := false
	name, start := "", 0
	for at := 0; at < len(spec); {
		end := len(spec)
		if n := bytes.IndexByte(spec[at:], '\n'); n >= 0 {
			end = at + n + 1
		}
		line := spec[at:end]
		content := bytes.TrimLeft(line, " ")
		indent := len(line) - len(content)
		content = bytes.TrimSpace(content)
		if len(content) > 0 && content[0] != '#' && indent <= 2 {
			if name != "" {
				sections[name], name = spec[start:at], ""
			}
			switch {
			case indent == 0:
				inComponents = bytes.Equal(content, []byte("components:"))
				if bytes.HasPrefix(content, []byte("openapi:")) {
					version = line
				}
			case inComponents:
				for _, n := range names {
					if len(content) == len(n)+1 && bytes.HasPrefix(content, []byte(n)) && content[len(n)] == ':' {
						name, start = n, at
					}
				}
			}
		}
		at = end
	}
	if name != "" {
		sections[name] = spec[start:]
	}
	if version == nil {
		return nil, fmt.Errorf("no openapi version")
	}
	doc := append(bytes.Clone(version), "info:\n  title: components\n  version: '1'\npaths: {}\ncomponents:\n"...)
	for _, n := range names {
		s, ok := sections[n]
		if !ok {
			return nil, fmt.Errorf("no components.%s", n)
		}
		doc = append(doc, s...)
		if !bytes.HasSuffix(doc, []byte("\n")) {
			doc = append(doc, '\n')
		}
	}
	return doc, nil
}
