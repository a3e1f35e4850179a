package dialect

import (
	"flag"
	"fmt"
	"slices"
	"strings"
)

// Flag names of the dialect's choice.
const (
	// FlagDialect names the dialect, in Parse's syntax.
	FlagDialect = "dialect"
	// FlagAcceptDialect lists known dialects the contract suite and the proxy
	// hold an endpoint to besides the page (Accept).
	FlagAcceptDialect = "accept-dialect"
)

// Flags are --dialect and one flag per knob on a flag.FlagSet. A knob flag
// that is set, on the command line or through FlagSet.Set (as environment
// fallbacks do), overrides the bundle --dialect names; one left alone takes
// the bundle's value.
type Flags struct {
	fs      *flag.FlagSet
	dialect dialectFlag
	knobs   map[flag.Value]*knobFlag
}

// RegisterFlags defines --dialect and the knob flags on fs. After fs.Parse,
// Flags.Dialect is the dialect they choose.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, dialect: dialectFlag{d: Default()}, knobs: map[flag.Value]*knobFlag{}}
	fs.Var(&f.dialect, FlagDialect, fmt.Sprintf("the provider's dialect to answer in: %s, knobs set on their own may follow, such as upstream;auth-failure-body=code5", orList(Names())))
	for i := range knobTable {
		kn := &knobTable[i]
		v := &knobFlag{knob: kn, value: kn.get(pageKnobs)}
		f.knobs[v] = v
		fs.Var(v, kn.name, fmt.Sprintf("%s; the dialect's when not set (%s)", kn.usage, valuesByDialect(kn)))
	}
	return f
}

func valuesByDialect(kn *knob) string {
	parts := make([]string, len(bundles))
	for i, b := range bundles {
		parts[i] = b.name + " " + kn.get(b.knobs)
	}
	return strings.Join(parts, ", ")
}

// Dialect is the dialect the parsed flags choose: --dialect's, with every
// knob flag that was set over it.
func (f *Flags) Dialect() Dialect {
	var o Overrides
	f.fs.Visit(func(fl *flag.Flag) {
		if kf, ok := f.knobs[fl.Value]; ok {
			// The value was checked when the flag was set.
			_ = o.Set(kf.knob.name, kf.value)
		}
	})
	return f.dialect.d.With(o)
}

type dialectFlag struct{ d Dialect }

func (v *dialectFlag) String() string {
	if v == nil {
		return ""
	}
	return v.d.String()
}

func (v *dialectFlag) Set(s string) error {
	d, err := Parse(s)
	if err != nil {
		return err
	}
	v.d = d
	return nil
}

type knobFlag struct {
	knob  *knob
	value string
}

func (v *knobFlag) String() string {
	if v == nil {
		return ""
	}
	return v.value
}

func (v *knobFlag) Set(s string) error {
	var probe Knobs
	if err := v.knob.set(&probe, s); err != nil {
		return err
	}
	v.value = s
	return nil
}

func (v *knobFlag) IsBoolFlag() bool { return v != nil && v.knob != nil && v.knob.boolean }

// Accept is the value of --accept-dialect: known dialects, comma-separated,
// that an endpoint is held to besides the page. Naming page adds nothing.
type Accept []string

func (a *Accept) String() string {
	if a == nil {
		return ""
	}
	return strings.Join(*a, ",")
}

// Set reads a comma-separated list of known dialect names.
func (a *Accept) Set(s string) error {
	var out Accept
	for name := range strings.SplitSeq(s, ",") {
		d, err := Lookup(strings.TrimSpace(name))
		if err != nil {
			return err
		}
		if d.name != Page && !slices.Contains(out, d.name) {
			out = append(out, d.name)
		}
	}
	*a = out
	return nil
}
