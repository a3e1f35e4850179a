package mockserver

import (
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// fieldCase renames the members of an enquiry body that differ from the
// spec's names only in letter case (`ReferenceID`, `registrationid`), as the
// provider's ASP.NET binding is believed to accept them.
type fieldCase struct {
	names []string
}

// enquiryFieldCase reads the property names of the enquiry's request body
// from the spec, so a spec that renames them is followed.
func enquiryFieldCase(doc *openapi3.T) *fieldCase {
	item := doc.Paths.Value(rechargestatus.EnquiryPath)
	if item == nil || item.Post == nil || item.Post.RequestBody == nil || item.Post.RequestBody.Value == nil {
		return &fieldCase{}
	}
	media := item.Post.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil {
		return &fieldCase{}
	}
	fc := &fieldCase{}
	for name := range media.Schema.Value.Properties {
		fc.names = append(fc.names, name)
	}
	return fc
}

// canonical returns body with its members renamed to the spec's spelling, or
// body itself when there is nothing to rename or it is not a JSON object
// (validation then words what is wrong with it). A member already spelt
// exactly wins over one spelt otherwise.
func (fc *fieldCase) canonical(body []byte) []byte {
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
