// Package fieldcase accepts an enquiry's members in any letter case
// (`ReferenceID`, `registrationid`), as the provider's ASP.NET binding is
// believed to, by renaming them to the spec's spelling before validation.
package fieldcase

import (
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Renamer renames the members of an enquiry body that differ from the
// spec's names only in letter case.
type Renamer struct {
	names []string
}

// ForEnquiry reads the property names of the enquiry's request body from the
// spec, so a spec that renames them is followed.
func ForEnquiry(doc *openapi3.T) *Renamer {
	item := doc.Paths.Value(rechargestatus.EnquiryPath)
	if item == nil || item.Post == nil || item.Post.RequestBody == nil || item.Post.RequestBody.Value == nil {
		return &Renamer{}
	}
	media := item.Post.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil {
		return &Renamer{}
	}
	fc := &Renamer{}
	for name := range media.Schema.Value.Properties {
		fc.names = append(fc.names, name)
	}
	return fc
}

// Canonical returns body with its members renamed to the spec's spelling, or
// body itself when there is nothing to rename or it is not a JSON object
// (validation then words what is wrong with it). A member already spelt
// exactly wins over one spelt otherwise.
func (fc *Renamer) Canonical(body []byte) []byte {
	var members map[string]json.RawMessage
	if len(fc.names) == 0 || json.Unmarshal(body, &members) != nil || members == nil {
		return body
	}
	renamed := false
	for key, value := range members {
		for _, name := range fc.names {
			if key == name || !strings.EqualFold(key, name) {
				continue
			}
			if _, exact := members[name]; !exact {
				members[name] = value
			}
			delete(members, key)
			renamed = true
		}
	}
	if !renamed {
		return body
	}
	out, err := json.Marshal(members)
	if err != nil {
		return body
	}
	return out
}
