package rechargestatus

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/getkin/kin-openapi/openapi3"
)

// quickSchema accepts, without openapi3's schema visitor, the values of a
// plain object schema whose properties are strings bounded in length, such
// as a RechargeStatus enquiry. It only ever accepts: a value it does not
// accept goes through the visitor, which words the error.
type quickSchema struct {
	required   []string
	properties map[string]quickString
}

type quickString struct {
	minLength uint64
	maxLength *uint64
	pattern   *regexp.Regexp
}

// Keywords a quick schema may carry: any other (a format, an enum, a nested
// schema, one added by a later OpenAPI version) leaves the schema to the
// visitor.
var (
	quickObjectKeywords = map[string]bool{"type": true, "required": true, "properties": true, "description": true, "title": true, "example": true}
	quickStringKeywords = map[string]bool{"type": true, "minLength": true, "maxLength": true, "pattern": true, "description": true, "title": true, "example": true}
)

func onlyKeywords(s *openapi3.Schema, allowed map[string]bool) bool {
	b, err := json.Marshal(s)
	if err != nil {
		return false
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return false
	}
	for k := range keys {
		if !allowed[k] && !strings.HasPrefix(k, "x-") {
			return false
		}
	}
	return true
}

// compileQuick returns the quick form of s, or nil when s is not that simple.
func compileQuick(s *openapi3.Schema) *quickSchema {
	if s == nil || !s.Type.Is(openapi3.TypeObject) || !onlyKeywords(s, quickObjectKeywords) {
		return nil
	}
	q := &quickSchema{required: s.Required, properties: map[string]quickString{}}
	for name, ref := range s.Properties {
		p := ref.Value
		if p == nil || !p.Type.Is(openapi3.TypeString) || !onlyKeywords(p, quickStringKeywords) {
			return nil
		}
		rule := quickString{minLength: p.MinLength, maxLength: p.MaxLength}
		if p.Pattern != "" {
			// openapi3 compiles patterns with the regexp package too.
			re, err := regexp.Compile(p.Pattern)
			if err != nil {
				return nil
			}
			rule.pattern = re
		}
		q.properties[name] = rule
	}
	return q
}

// accepts reports whether v surely matches the schema.
func (q *quickSchema) accepts(v any) bool {
	obj, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, name := range q.required {
		if _, ok := obj[name]; !ok {
			return false
		}
	}
	for name, rule := range q.properties {
		value, present := obj[name]
		if !present {
			continue
		}
		s, ok := value.(string)
		if !ok {
			return false
		}
		// Lengths are counted as openapi3 counts them.
		length := uint64(0)
		for _, r := range s {
			if utf16.IsSurrogate(r) {
				length += 2
			} else {
				length++
			}
		}
		if length < rule.minLength || (rule.maxLength != nil && length > *rule.maxLength) {
			return false
		}
		if rule.pattern != nil && !rule.pattern.MatchString(s) {
			return false
		}
	}
	return true
}
