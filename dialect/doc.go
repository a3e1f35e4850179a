// Package dialect knows the ways the provider behind RechargeStatus is known
// to answer, so the sandbox can answer them too and the contract suite and
// the proxy can name them when they meet them.
//
// The provider's page and openapi.yaml describe one way, the `page` dialect.
// provider-notes.md (a verbatim copy sits beside this file) records how the
// upstream aggregator whose API the provider resells answers where it differs:
// the `upstream` dialect. Whether the provider passes any of it through is not
// known; a client that only ever met the page's spelling should meet the rest
// in the sandbox before it meets it in production.
//
// A Dialect is a named bundle of Knobs (the HTTP status of a validation
// error, the key the code is spelt with, which body a failed authentication
// gets, ...). A knob set on its own overrides the bundle: on the command line
// (RegisterFlags), in the fixtures, or per request in the X-Mock-Dialect
// header, all in one syntax, `upstream;auth-failure-body=code5` (Parse).
// Choose applies the precedence: request header, then registration, then the
// command line.
//
// Each value of the upstream bundle carries the line of provider-notes.md it
// comes from (a Citation); where the notes say GUESS, or are silent and the
// sandbox had to choose, the citation says so. The tests hold every quoted
// line to the notes.
//
// For the mock: AppendAnswer and AppendError encode answers without
// reflection, in the dialect's spelling; ErrorAnswer words each failure the
// dialect's way; Canonical and ReadEnquiry read an enquiry under the
// dialect's field rules. For the suite and the proxy: Classify names the
// known dialects an answer matches, Normalize turns an answer of a known
// dialect into the page form it stands for, and Known configures
// conformance.Judge to name the dialects an answer matches and to hold it to
// an accepted dialect, and Explain says so in a report.
package dialect
