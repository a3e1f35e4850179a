package dialect

import (
	"fmt"
	"strings"
)

// Header picks the dialect of one request, in Parse's syntax. It is the
// sandbox's own, never sent to the provider.
const Header = "X-Mock-Dialect"

// Dialect is a named bundle of knobs, perhaps with some set on their own. The
// zero Dialect is no choice at all: Choose passes over it, and it answers as
// the page does. A Dialect is a small value, safe to copy and compare.
type Dialect struct {
	name string
	// spec is the name and the knobs set on their own, as Parse reads it.
	spec  string
	knobs Knobs
}

// Names lists the known dialects, the default first.
func Names() []string {
	out := make([]string, len(bundles))
	for i, b := range bundles {
		out[i] = b.name
	}
	return out
}

// Lookup is the known dialect named name, in any letter case.
func Lookup(name string) (Dialect, error) {
	for _, b := range bundles {
		if strings.EqualFold(name, b.name) {
			return b, nil
		}
	}
	return Dialect{}, fmt.Errorf("unknown dialect %q, want %s", name, orList(Names()))
}

// Default is the page dialect.
func Default() Dialect { return bundles[0] }

// Parse reads a dialect as the --dialect flag, the fixtures and the
// X-Mock-Dialect header write it: a name, then any knobs set on their own,
// `upstream;auth-failure-body=code5;pending-status=3`. A boolean knob named
// without a value is true.
func Parse(spec string) (Dialect, error) {
	name, rest, _ := strings.Cut(spec, ";")
	d, err := Lookup(strings.TrimSpace(name))
	if err != nil || rest == "" {
		return d, err
	}
	var o Overrides
	for part := range strings.SplitSeq(rest, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		knobName, value, hasValue := strings.Cut(part, "=")
		knobName, value = strings.TrimSpace(knobName), strings.TrimSpace(value)
		if !hasValue {
			value = "true"
		}
		if err := o.Set(knobName, value); err != nil {
			return Dialect{}, fmt.Errorf("dialect %s: %w", d.name, err)
		}
	}
	return d.With(o), nil
}

// Name is the dialect's name; page for the zero Dialect.
func (d Dialect) Name() string {
	if d.name == "" {
		return Page
	}
	return d.name
}

// String is the dialect as Parse reads it.
func (d Dialect) String() string {
	if d.spec == "" {
		return Page
	}
	return d.spec
}

// IsZero reports whether d is no choice at all.
func (d Dialect) IsZero() bool { return d.name == "" }

// Knobs are everything the dialect decides.
func (d Dialect) Knobs() Knobs {
	if d.name == "" {
		return pageKnobs
	}
	return d.knobs
}

// Overrides are knobs set on their own, each over whatever the bundle says.
// The zero value sets nothing.
type Overrides struct {
	values map[string]string
}

// Set sets the knob named name, or says why it cannot.
func (o *Overrides) Set(name, value string) error {
	var probe Knobs
	if err := probe.Set(name, value); err != nil {
		return err
	}
	if o.values == nil {
		o.values = make(map[string]string)
	}
	o.values[name] = value
	return nil
}

// Len is how many knobs o sets.
func (o Overrides) Len() int { return len(o.values) }

// With is d with the knobs o sets over its own; d itself when o sets none.
func (d Dialect) With(o Overrides) Dialect {
	if len(o.values) == 0 {
		return d
	}
	out := Dialect{name: d.Name(), knobs: d.Knobs()}
	set := map[string]string{}
	for _, part := range strings.Split(d.String(), ";")[1:] {
		name, value, _ := strings.Cut(part, "=")
		set[name] = value
	}
	for name, value := range o.values {
		set[name] = value
	}
	spec := []string{out.name}
	for _, kn := range knobTable {
		value, ok := set[kn.name]
		if !ok {
			continue
		}
		// Set cannot fail: every value was checked when it was set.
		_ = kn.set(&out.knobs, value)
		spec = append(spec, kn.name+"="+value)
	}
	out.spec = strings.Join(spec, ";")
	return out
}

// Choose picks the dialect of one request: the X-Mock-Dialect header when
// sent, else the registration's, else the server's. Pass an empty header when
// the server does not honour it, and a zero registration Dialect when the
// registration names none. The one that wins applies whole: knobs set on the
// command line belong to the server's dialect and do not reach a dialect the
// header or the registration names. The error is the header's, worded for
// the client that sent it.
func Choose(header string, registration, server Dialect) (Dialect, error) {
	if header != "" {
		d, err := Parse(header)
		if err != nil {
			return Dialect{}, fmt.Errorf("%s: %w", Header, err)
		}
		return d, nil
	}
	if !registration.IsZero() {
		return registration, nil
	}
	return server, nil
}
