package conformance

import "github.com/getkin/kin-openapi/openapi3filter"

// The admin API serves pages, a script and a style (admin/openapi.yaml);
// their bodies are text, judged against a string schema as text/plain is.
// openapi3filter keeps its decoders by media type for the whole program.
func init() {
	for _, mediaType := range []string{"text/html", "text/css", "text/javascript"} {
		if openapi3filter.RegisteredBodyDecoder(mediaType) == nil {
			openapi3filter.RegisterBodyDecoder(mediaType, openapi3filter.PlainBodyDecoder)
		}
	}
}
