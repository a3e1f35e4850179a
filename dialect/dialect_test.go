package dialect

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func mustParse(t *testing.T, spec string) Dialect {
	t.Helper()
	d, err := Parse(spec)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	return d
}

func TestBundles(t *testing.T) {
	if got := Names(); !slices.Equal(got, []string{Page, Upstream}) {
		t.Fatalf("Names() = %v", got)
	}
	for _, name := range Names() {
		d, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Knobs().Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if d.Name() != name || d.String() != name {
			t.Errorf("Lookup(%q) is named %q, written %q", name, d.Name(), d.String())
		}
	}
	if Default().Name() != Page || (Dialect{}).Knobs() != pageKnobs || Default().Knobs() != pageKnobs {
		t.Fatal("the default, and the zero Dialect, are not the page")
	}
	// Every knob is a dialect's to decide: the two bundles differ in each
	// one the notes say differs, and a zero Knobs decides nothing.
	if (Knobs{}).Validate() == nil {
		t.Fatal("zero Knobs validate")
	}
	for _, kn := range knobTable {
		var k Knobs
		if err := k.Set(kn.name, kn.get(upstreamKnobs)); err != nil {
			t.Errorf("knob %s: %v", kn.name, err)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		spec string
		want func(k *Knobs)
		// canonical is how String writes it back.
		canonical string
	}{
		{"page", func(*Knobs) {}, "page"},
		{" Upstream ", func(k *Knobs) { *k = upstreamKnobs }, "upstream"},
		{"upstream;auth-failure-body=code5", func(k *Knobs) { *k = upstreamKnobs; k.AuthFailureBody = AuthCode5 }, "upstream;auth-failure-body=code5"},
		{"page; pending-status = 3 ;validation-status=401;", func(k *Knobs) { k.PendingStatus = "3"; k.ValidationStatus = 401 },
			"page;validation-status=401;pending-status=3"},
		{"page;case-insensitive-fields", func(k *Knobs) { k.CaseInsensitiveFields = true }, "page;case-insensitive-fields=true"},
		{"upstream;answer-code-key=response_code;answer-code-key=responsecode", func(k *Knobs) { *k = upstreamKnobs },
			"upstream;answer-code-key=responsecode"},
	}
	for _, tt := range tests {
		d := mustParse(t, tt.spec)
		want := pageKnobs
		tt.want(&want)
		if d.Knobs() != want {
			t.Errorf("Parse(%q).Knobs() = %+v, want %+v", tt.spec, d.Knobs(), want)
		}
		if d.String() != tt.canonical {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.spec, d.String(), tt.canonical)
		}
		if again := mustParse(t, d.String()); again != d {
			t.Errorf("Parse(%q) does not read back its own String %q", tt.spec, d.String())
		}
	}
	for _, bad := range []string{"", "provider", "upstream;nope=1", "upstream;validation-status=402",
		"page;pending-status=1", "page;pending-status=", "page;auth-failure-body=code6", "page;field-aliases=maybe"} {
		if d, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", bad, d)
		}
	}
}

func TestWithKeepsEarlierOverrides(t *testing.T) {
	var o Overrides
	if err := o.Set(KnobJWTFailure, string(JWTCode7)); err != nil {
		t.Fatal(err)
	}
	d := mustParse(t, "upstream;pending-status=3").With(o)
	k := d.Knobs()
	if k.PendingStatus != "3" || k.JWTFailure != JWTCode7 || k.AnswerCodeKey != CodeKeyUpstream {
		t.Fatalf("knobs %+v", k)
	}
	if d.String() != "upstream;pending-status=3;jwt-failure=code7" {
		t.Fatalf("String() = %q", d.String())
	}
	if err := o.Set("jwt", "code7"); err == nil {
		t.Fatal("an unknown knob was set")
	}
	if o.Len() != 1 {
		t.Fatalf("a refused knob counts: %d", o.Len())
	}
}

func TestChoosePrecedence(t *testing.T) {
	server := mustParse(t, "page;pending-status=9")
	registration := mustParse(t, "upstream;auth-failure-body=code5")
	tests := []struct {
		header       string
		registration Dialect
		want         string
	}{
		{"", Dialect{}, "page;pending-status=9"},
		{"", registration, "upstream;auth-failure-body=code5"},
		{"upstream", registration, "upstream"},
		{"page", registration, "page"},
		{"upstream;jwt-failure=code7", Dialect{}, "upstream;jwt-failure=code7"},
	}
	for _, tt := range tests {
		got, err := Choose(tt.header, tt.registration, server)
		if err != nil || got.String() != tt.want {
			t.Errorf("Choose(%q, %v, %v) = %v, %v; want %s", tt.header, tt.registration, server, got, err, tt.want)
		}
	}
	if _, err := Choose("nonsense", registration, server); err == nil {
		t.Fatal("an unknown dialect in the header was chosen")
	}
}

func parseFlags(t *testing.T, args []string, env map[string]string) (Dialect, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := RegisterFlags(fs)
	for name, value := range env {
		// As an environment fallback does: before the command line.
		if err := fs.Set(name, value); err != nil {
			return Dialect{}, err
		}
	}
	if err := fs.Parse(args); err != nil {
		return Dialect{}, err
	}
	return f.Dialect(), nil
}

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "page"},
		{[]string{"--dialect", "upstream"}, nil, "upstream"},
		// A knob set on its own overrides the bundle, wherever it is on the line.
		{[]string{"--validation-status", "400", "--dialect", "upstream"}, nil, "upstream;validation-status=400"},
		{[]string{"--case-insensitive-fields"}, nil, "page;case-insensitive-fields=true"},
		{[]string{"--dialect=upstream", "--case-insensitive-fields=false", "--pending-status", "3"}, nil,
			"upstream;pending-status=3;case-insensitive-fields=false"},
		{[]string{"--auth-failure-body", "code7"}, map[string]string{"dialect": "upstream", "auth-failure-body": "code5"}, "upstream;auth-failure-body=code7"},
		// Setting a knob to the bundle's own value is still setting it.
		{[]string{"--validation-status", "400"}, nil, "page;validation-status=400"},
		{[]string{"--dialect", "upstream;error-code-key=responsecode"}, nil, "upstream;error-code-key=responsecode"},
	}
	for _, tt := range tests {
		d, err := parseFlags(t, tt.args, tt.env)
		if err != nil || d.String() != tt.want {
			t.Errorf("flags %q env %v: %v, %v; want %s", tt.args, tt.env, d, err, tt.want)
		}
	}
	for _, bad := range [][]string{{"--dialect", "aopay"}, {"--validation-status", "500"}, {"--jwt-failure", "412"}, {"--field-aliases=yes please"}} {
		if d, err := parseFlags(t, bad, nil); err == nil {
			t.Errorf("flags %q: %v, want an error", bad, d)
		}
	}
}

func TestFlagsKeepTheirNamesAndDefaults(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	RegisterFlags(fs)
	// The names and defaults aopay-mock has always had.
	for name, def := range map[string]string{"validation-status": "400", "pending-status": "2", "case-insensitive-fields": "false", "dialect": "page"} {
		f := fs.Lookup(name)
		if f == nil || f.DefValue != def {
			t.Errorf("flag --%s: %+v, want default %q", name, f, def)
		}
	}
	for _, name := range KnobNames() {
		if fs.Lookup(name) == nil {
			t.Errorf("knob %s has no flag", name)
		}
	}
}

func TestAccept(t *testing.T) {
	var a Accept
	if err := a.Set("upstream, page,UPSTREAM"); err != nil || !slices.Equal(a, Accept{Upstream}) {
		t.Fatalf("Accept = %v, %v", a, err)
	}
	if err := a.Set("upstream,unknown"); err == nil {
		t.Fatal("an unknown dialect was accepted")
	}
}
