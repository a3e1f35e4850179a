package conformance

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/aopay-sandbox/rechargestatus/internal/memo"
)

// Most requests a sandbox sees have one shape: a JSON object of a few string
// members, sent as application/json, without optional headers. For an
// operation whose whole contract is that shape, openapi3filter's work is
// decoding the body into interface{} and walking the schema over it, about
// two dozen allocations a request. The validator reads such a body itself,
// strictly, and hands each value to the library's own string check
// (openapi3.Schema.VisitJSONString); anything it is not sure of (another
// Content-Type, an escape in a string, an unknown or repeated member, a
// value the schema refuses) goes to the library, which decides
// and words it. So the fast path only ever accepts, and only what the
// library accepts: FuzzFastPathAgreesWithLibrary holds it to that.

// maxFastMembers bounds the members of a fast-path object.
const maxFastMembers = 8

// A member's schema remembers values it accepted, in acceptedSlots slots,
// each of at most acceptedLen bytes: a client polling one transaction sends
// the same identifiers again and again, and a pattern is the dearest check
// of the path. A value is kept in the body's own string when that is at
// most smallBody bytes, and copied out of it otherwise.
const (
	acceptedSlots = 1024
	acceptedLen   = 64
	smallBody     = 256
)

// stringObject is an operation whose request is a JSON object of string
// members and nothing else: no parameters, one media type, a schema of
// type, properties and required alone, each property a string schema of
// type, minLength, maxLength and pattern alone.
type stringObject struct {
	mediaType string
	names     []string
	schemas   []*openapi3.Schema
	// accepted are values each schema accepted.
	accepted []*memo.Map[string, struct{}]
	// required is a bit per name.
	required uint
}

// newStringObject is op's fast path, nil when op's contract is anything
// more than a string object. item is op's path item.
func newStringObject(item *openapi3.PathItem, op *openapi3.Operation) *stringObject {
	if len(item.Parameters) > 0 || len(op.Parameters) > 0 || op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	body := op.RequestBody.Value
	if !body.Required || len(body.Content) != 1 || body.Content["application/json"] == nil {
		return nil
	}
	media := body.Content["application/json"]
	if media.Schema == nil || media.Schema.Value == nil || len(media.Encoding) > 0 {
		return nil
	}
	object := media.Schema.Value
	if !onlyKeywords(object, "object") || len(object.Properties) == 0 || len(object.Properties) > maxFastMembers {
		return nil
	}
	so := &stringObject{mediaType: "application/json"}
	for name, ref := range object.Properties {
		if ref == nil || ref.Value == nil || !onlyKeywords(ref.Value, "string") {
			return nil
		}
		so.names = append(so.names, name)
		so.schemas = append(so.schemas, ref.Value)
		so.accepted = append(so.accepted, memo.New[string, struct{}](acceptedSlots, memo.String))
	}
	for _, name := range object.Required {
		i := so.index([]byte(name))
		if i < 0 {
			return nil
		}
		so.required |= 1 << i
	}
	return so
}

// onlyKeywords reports whether s holds no validation keyword but its type,
// which is kind alone, and, for a string, minLength, maxLength and pattern;
// for an object, properties and required. Annotations (description,
// examples, extensions) do not count.
func onlyKeywords(s *openapi3.Schema, kind string) bool {
	if s.Type == nil || !s.Type.Is(kind) || s.Always != nil || s.Discriminator != nil ||
		len(s.OneOf) > 0 || len(s.AnyOf) > 0 || len(s.AllOf) > 0 || s.Not != nil {
		return false
	}
	rest := *s
	rest.Type = nil
	rest.Examples, rest.Example, rest.Description, rest.Title, rest.Extensions = nil, nil, "", "", nil
	switch kind {
	case "string":
		rest.MinLength, rest.MaxLength, rest.Pattern = 0, nil, ""
	case "object":
		if s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil {
			return false
		}
		rest.Properties, rest.Required = nil, nil
	}
	return rest.IsEmpty()
}

// index is the index of name among so's, -1 when it is none of them.
func (so *stringObject) index(name []byte) int {
	for i, n := range so.names {
		if n == string(name) {
			return i
		}
	}
	return -1
}

// read reads r and body as a request the library would accept for so's
// operation; ok is false when it cannot tell, and the library must.
func (so *stringObject) read(r *http.Request, body []byte) (b Body, ok bool) {
	b.object = so
	if ct := r.Header["Content-Type"]; len(ct) != 1 || ct[0] != so.mediaType {
		return b, false
	}
	// spans are where each value lies in body.
	var spans [maxFastMembers][2]int
	s := jsonScan{b: body}
	s.space()
	if !s.take('{') {
		return b, false
	}
	for first := true; ; first = false {
		s.space()
		if s.take('}') {
			break
		}
		if !first && (!s.take(',') || !s.space()) {
			return b, false
		}
		name, ok := s.plainString()
		if !ok {
			return b, false
		}
		i := so.index(name)
		if i < 0 || b.sent&(1<<i) != 0 {
			return b, false
		}
		s.space()
		if !s.take(':') {
			return b, false
		}
		s.space()
		value, ok := s.plainString()
		if !ok {
			return b, false
		}
		b.sent |= 1 << i
		spans[i] = [2]int{s.i - 1 - len(value), s.i - 1}
	}
	s.space()
	if s.i != len(s.b) || b.sent&so.required != so.required {
		return b, false
	}
	// One string holds every value.
	text := string(body)
	for i := range so.names {
		b.values[i] = text[spans[i][0]:spans[i][1]]
	}
	for i := range so.schemas {
		if b.sent&(1<<i) != 0 && !so.accepts(i, b.values[i], len(text) <= smallBody) {
			return b, false
		}
	}
	return b, true
}

// accepts reports whether the library accepts v for the i-th member; v
// lies in a body of at most smallBody bytes when small.
func (so *stringObject) accepts(i int, v string, small bool) bool {
	if _, ok := so.accepted[i].Load(v); ok {
		return true
	}
	if so.schemas[i].VisitJSONString(v) != nil {
		return false
	}
	switch {
	case len(v) > acceptedLen:
	case small:
		so.accepted[i].Store(v, struct{}{})
	default:
		so.accepted[i].Store(strings.Clone(v), struct{}{})
	}
	return true
}

// jsonScan reads JSON tokens from b strictly: only what it is sure of.
type jsonScan struct {
	b []byte
	i int
}

// space skips JSON whitespace; it always reports true, for chaining.
func (s *jsonScan) space() bool {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return true
		}
	}
	return true
}

func (s *jsonScan) take(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// plainString reads a string without escapes or control characters, of
// valid UTF-8, and returns what is between its quotes: exactly what
// decoding it gives.
func (s *jsonScan) plainString() ([]byte, bool) {
	if !s.take('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		}
		s.i++
	}
	return nil, false
}

// Body is a request body as the validator read it to validate it, so that
// the caller need not decode it again.
type Body struct {
	// value is the body as the library decoded it, when the library did.
	value any
	// object, values and sent are the body as the fast path read it:
	// values[i] is object's member i, sent when bit i of sent is set.
	object *stringObject
	values [maxFastMembers]string
	sent   uint
}

// Value is the body as the library decodes it: a JSON object as a
// map[string]any, numbers as json.Number; nil when there is none.
func (b *Body) Value() any {
	if b.object == nil {
		return b.value
	}
	out := make(map[string]any, len(b.object.names))
	for i, name := range b.object.names {
		if b.sent&(1<<i) != 0 {
			out[name] = b.values[i]
		}
	}
	return out
}

// String is the body's member name when the body is a JSON object and that
// member a string.
func (b *Body) String(name string) (string, bool) {
	if b.object == nil {
		members, _ := b.value.(map[string]any)
		s, ok := members[name].(string)
		return s, ok
	}
	i := b.object.index([]byte(name))
	if i < 0 || b.sent&(1<<i) == 0 {
		return "", false
	}
	return b.values[i], true
}

// Plain reports whether the validator read the body itself: then the
// body is one JSON object and nothing after it, valid JSON, and each of its
// values is exactly the bytes sent, since none holds an escape.
func (b *Body) Plain() bool { return b.object != nil }

// IsObject reports whether the body is a JSON object.
func (b *Body) IsObject() bool {
	if b.object != nil {
		return true
	}
	_, ok := b.value.(map[string]any)
	return ok
}
