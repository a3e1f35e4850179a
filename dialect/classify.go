package dialect

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// Evidence is a known trait of a dialect that an answer shows, and where the
// knowledge of it comes from.
type Evidence struct {
	Trait  string
	Source Citation
}

// Match is a known dialect an answer matches whole: it has the shape the
// dialect gives its answers, and in the page form it stands for it holds to
// the contract.
type Match struct {
	Dialect string
	// Evidence lists the dialect's traits the answer shows; none for the page.
	Evidence []Evidence
}

// String says which known dialect and why, citing the notes.
func (m Match) String() string {
	s := "the known " + m.Dialect + " dialect"
	if len(m.Evidence) == 0 {
		return s
	}
	traits := make([]string, len(m.Evidence))
	for i, e := range m.Evidence {
		traits[i] = e.Trait + " (" + e.Source.String() + ")"
	}
	return s + ": " + strings.Join(traits, "; ")
}

// MatchNames lists the dialects of ms.
func MatchNames(ms []Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Dialect
	}
	return out
}

// shape is what is known of a dialect's answers.
type shape struct {
	name string
	// traits reports whether an answer has the dialect's shape, and the
	// traits of the dialect it shows.
	traits func(status int, members []member) ([]Evidence, bool)
	// normalize rewrites an answer of the dialect in the page form it stands
	// for; nil when it is in page form already.
	normalize func(status int, members []member) []member
}

var shapes = []shape{
	{name: Page, traits: pageTraits},
	{name: Upstream, traits: upstreamTraits, normalize: normalizeUpstream},
}

func findShape(name string) (shape, bool) {
	for _, s := range shapes {
		if strings.EqualFold(s.name, name) {
			return s, true
		}
	}
	return shape{}, false
}

// pageTraits: the page's shape is the contract's to judge, all of it.
func pageTraits(int, []member) ([]Evidence, bool) { return nil, true }

// knownError is an error answer the upstream is known to give.
type knownError struct {
	status, code int
	// message, when set, is the only message known with this code.
	message string
	trait   string
	source  Citation
}

// upstreamErrors are the upstream's error answers, from its table of response
// codes and its captured 401 bodies; the more specific first.
var upstreamErrors = []knownError{
	{http.StatusNotFound, rechargestatus.CodeServiceDisabled, "", "HTTP 404, code 3",
		cite(36, 36, "| 404 | 3 | service is disabled |")},
	{http.StatusUnauthorized, rechargestatus.CodeValidation, "", "a validation error as HTTP 401, code 4",
		cite(37, 37, "| 401 | 4 | Validations Error |")},
	{http.StatusUnauthorized, rechargestatus.CodeUnableToProcess, rechargestatus.MessageAuthenticationFailed, "the captured 401 body with code 5",
		cite(43, 43, `{"status":false,"response_code":5,"message":"Authentication failed"}`)},
	{http.StatusUnauthorized, rechargestatus.CodeUnableToProcess, "", "HTTP 401, code 5",
		cite(38, 38, "| 401 | 5 | Unable to process request |")},
	{http.StatusPreconditionFailed, rechargestatus.CodeJWT, "", "a JWT failure as HTTP 412, code 6",
		cite(39, 39, "| 412 | 6 | Jwt Token Error |")},
	{http.StatusUnauthorized, rechargestatus.CodeAuthFailed, "", "HTTP 401, code 7",
		cite(40, 40, "| 401 | 7 | Authentication failed")},
	{http.StatusUnauthorized, codeAuthFailed25, messageAuthFailedCode25, "the captured 401 body with code 25",
		cite(44, 44, `{"status":false,"response_code":25,"message":"Authentication failed.","remarks":"Authentication failed."}`)},
}

var (
	answerKeyTrait = Evidence{"the status answer spells the code responsecode", cite(18, 19,
		"The upstream's own status answer uses `responsecode` where this page uses `response_code`.")}
	errorKeyTrait = Evidence{"the error answer spells the code responsecode", guess(cite(18, 19,
		"The upstream's own status answer uses `responsecode` where this page uses `response_code`."),
		"the notes say so of the status answer; its captured 401 bodies spell response_code")}
)

func upstreamTraits(status int, members []member) ([]Evidence, bool) {
	hasPageKey := index(members, string(CodeKeyPage)) >= 0
	hasUpstreamKey := index(members, string(CodeKeyUpstream)) >= 0
	if hasPageKey == hasUpstreamKey {
		return nil, false
	}
	switch {
	case status == http.StatusOK && hasUpstreamKey:
		return []Evidence{answerKeyTrait}, true
	case status >= 400:
		var out []Evidence
		key := CodeKeyPage
		if hasUpstreamKey {
			key = CodeKeyUpstream
			out = append(out, errorKeyTrait)
		}
		code, _ := intMember(members, string(key))
		message, _ := stringMember(members, "message")
		for _, e := range upstreamErrors {
			if e.status == status && e.code == code && (e.message == "" || e.message == message) {
				return append(out, Evidence{e.trait, e.source}), true
			}
		}
	}
	return nil, false
}

// normalizeUpstream spells the code response_code, and the captured 401 with
// code 25 as the page's code 7.
func normalizeUpstream(status int, members []member) []member {
	out := make([]member, len(members))
	copy(out, members)
	for i := range out {
		if out[i].key == string(CodeKeyUpstream) {
			out[i].key = string(CodeKeyPage)
		}
	}
	if code, ok := intMember(out, string(CodeKeyPage)); ok && status == http.StatusUnauthorized && code == codeAuthFailed25 {
		out[index(out, string(CodeKeyPage))].value = json.RawMessage(strconv.Itoa(rechargestatus.CodeAuthFailed))
	}
	return out
}

func intMember(members []member, key string) (int, bool) {
	i := index(members, key)
	if i < 0 {
		return 0, false
	}
	var v int
	return v, json.Unmarshal(members[i].value, &v) == nil
}

func stringMember(members []member, key string) (string, bool) {
	i := index(members, key)
	if i < 0 {
		return "", false
	}
	var v string
	return v, json.Unmarshal(members[i].value, &v) == nil
}

// Classify names the known dialects an answer to an enquiry matches, judged
// by the invariants (conformance.Check) in the page form it stands for. An
// answer may match several (a 401 with code 7 is both the page's and the
// upstream's), or none.
func Classify(status int, header http.Header, body []byte) []Match {
	return classify(status, body, func(pageBody []byte) bool {
		return len(conformance.Check(rechargestatus.Enquiry{}, status, header, pageBody)) == 0
	})
}

// classify lists the dialects whose shape the answer has and whose page
// form holds.
func classify(status int, body []byte, holds func(pageBody []byte) bool) []Match {
	members, err := readObject(body)
	if err != nil {
		return nil
	}
	var out []Match
	for _, s := range shapes {
		evidence, ok := s.traits(status, members)
		if !ok {
			continue
		}
		pageBody := body
		if s.normalize != nil {
			pageBody = appendObject(nil, s.normalize(status, members))
		}
		if holds(pageBody) {
			out = append(out, Match{Dialect: s.name, Evidence: evidence})
		}
	}
	return out
}

// Normalize rewrites an answer of the known dialect named name in the page
// form it stands for, members in their order: the code spelt response_code,
// the upstream's captured 401 with code 25 as code 7. It reports false, and
// returns body, when the answer does not have that dialect's shape.
func Normalize(name string, status int, body []byte) ([]byte, bool) {
	s, ok := findShape(name)
	if !ok {
		return body, false
	}
	members, err := readObject(body)
	if err != nil {
		return body, false
	}
	if _, ok := s.traits(status, members); !ok {
		return body, false
	}
	if s.normalize == nil {
		return body, true
	}
	return appendObject(nil, s.normalize(status, members)), true
}
