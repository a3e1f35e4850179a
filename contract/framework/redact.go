package framework

import (
	"net/http"
	"net/url"
	"strings"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Redacted stands for a value the suite never shows.
const Redacted = "(redacted)"

// minSecretLength is the length below which a secret is not searched for in
// free text: replacing every "1" of a report would hide more than it protects.
const minSecretLength = 4

// Redactor hides credentials from everything the suite prints or reports:
// the values of secret headers and of the headers it was given, and any
// secret that an answer happens to echo.
type Redactor struct {
	names   map[string]bool
	secrets []string
}

// NewRedactor hides the values of the headers named, besides those
// rechargestatus.IsSecretHeader names, and every secret wherever it shows.
func NewRedactor(headerNames []string, secrets []string) *Redactor {
	r := &Redactor{names: map[string]bool{}}
	for _, name := range headerNames {
		r.names[http.CanonicalHeaderKey(name)] = true
	}
	for _, s := range secrets {
		if len(s) >= minSecretLength {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

// Header is value as it may be shown for a header named name.
func (r *Redactor) Header(name, value string) string {
	if rechargestatus.IsSecretHeader(name) || r != nil && r.names[http.CanonicalHeaderKey(name)] {
		return Redacted
	}
	return r.Text(value)
}

// Text is s with every secret replaced.
func (r *Redactor) Text(s string) string {
	if r == nil {
		return s
	}
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, Redacted)
	}
	return s
}

// URL is raw without a password, and without any secret.
func (r *Redactor) URL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		raw = u.Redacted()
	}
	return r.Text(raw)
}
