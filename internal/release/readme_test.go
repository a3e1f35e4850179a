package release

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/contract"
)

// The addresses the README's commands are written for: a mock on its
// default address, and the provider.
const (
	readmeBaseURL = "http://127.0.0.1:8080"
	providerURL   = "https://api.aopay.co.in"
	// readmeAdminToken stands for the reader's $AOPAY_MOCK_ADMIN_TOKEN.
	readmeAdminToken = "readme-admin-token"
	// mixedUpRefid is what the fake provider behind the README's proxy
	// answers as data.refid, whatever was asked: the mistake the README's
	// violations example shows.
	mixedUpRefid = "ORDER-41"
)

// readmeVariableFields are the answer fields that read the clock, so no
// README can show their value: the virtual clock's reading (`now` of
// /__admin/clock) and the moment a violation was seen (`time`). The test
// checks that they are there and hold RFC 3339 times, not what they hold.
var readmeVariableFields = []string{"now", "time"}

// readmeRun is the state a README is run with, from its first command to its
// last: its variables, the mocks its commands reach, the paths they use.
type readmeRun struct {
	t         *testing.T
	bin       builtBinaries
	df        dockerfile
	validator *conformance.Validator
	vars      map[string]string
	exported  map[string]string
	// mockEnv is what the current section exported for aopay-mock.
	mockEnv map[string]string
	// open and secured are the mocks the section's commands talk to unless
	// one of them started its own: without an admin token, and with
	// $AOPAY_MOCK_ADMIN_TOKEN.
	open, secured string
	// section is the mock a command of the current section started, which
	// the section's later commands talk to, as a reader would.
	section *runningMock
	// paths maps the README's relative paths to temporary ones, the same
	// for every command, so that what one writes the next reads.
	paths      map[string]string
	tmp        string
	provider   *httptest.Server
	imageTag   string
	loadBinary string
}

type runningMock struct {
	url        string
	adminToken string
	stop       func()
}

// TestReadmeCommands runs, or checks without running, every command of the
// README's ```sh blocks in the README's order, so that an edit breaking one
// fails here:
//
//   - curl: sent as curl would send it, to a live mock in place of
//     http://127.0.0.1:8080; the answer must not be a 5xx (nor a 4xx from
//     the admin API), must follow its OpenAPI document (openapi.yaml or
//     admin/openapi.yaml), and must equal the answer the README shows
//     after it, if any (`# {...}` or a ```json block);
//   - aopay-mock, go run ./cmd/aopay-mock: started on a free port with the
//     README's paths moved to temporary ones and the provider to a local
//     stand-in, serving the section's later commands, then stopped by
//     SIGTERM, which it must survive cleanly;
//   - aopay-contract, go test ./contract, ginkgo: the suite run against a
//     live mock (or in process, as written), which must pass;
//   - docker: checked against the Dockerfile and docker-compose.yml, and
//     what the container would run, run with the built binaries;
//   - go test -race ./...: must be what .ci/run runs; benchmarks and load
//     measurements: their package, subcommand and flags must exist;
//   - kill -SIG in a comment: the signal must be handled.
//
// Anything else fails, saying where to teach the test about it.
func TestReadmeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several mocks and runs the contract suite")
	}
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeShellBlocks(t, string(readme))
	if len(blocks) < 20 {
		t.Fatalf("README.md has %d ```sh blocks; the parser must have missed some", len(blocks))
	}
	// Admin calls are checked against the admin API's document, enquiries
	// against the provider's, as the mock checks them.
	provider, err := rechargestatus.LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	sandboxDoc, err := admin.SandboxSpec(provider)
	if err != nil {
		t.Fatal(err)
	}
	validator, err := conformance.NewValidator(sandboxDoc)
	if err != nil {
		t.Fatal(err)
	}
	r := &readmeRun{
		t:         t,
		bin:       binaries(t),
		df:        loadDockerfile(t),
		validator: validator,
		vars:      map[string]string{"AOPAY_MOCK_ADMIN_TOKEN": readmeAdminToken},
		exported:  map[string]string{},
		paths:     map[string]string{},
		tmp:       t.TempDir(),
	}
	if r.bin.contract == "" {
		t.Skip(r.bin.contractSkip)
	}
	r.checkDefaultAddr()
	r.provider = mixedUpProvider(t, blocks)

	// A section is a subtest: a mock one of its commands starts serves its
	// later commands and stops when it ends.
	type section struct {
		name   string
		blocks []shellBlock
	}
	var sections []section
	for _, b := range blocks {
		if n := len(sections); n == 0 || sections[n-1].name != b.section {
			sections = append(sections, section{name: b.section})
		}
		sections[len(sections)-1].blocks = append(sections[len(sections)-1].blocks, b)
	}
	commands := 0
	for _, s := range sections {
		t.Run(cmpOr(s.name, "introduction"), func(t *testing.T) {
			r.t = t
			defer r.endSection()
			// Fresh mocks for each section, since nothing resets a moved
			// clock and a section must not depend on another.
			r.open = r.startShared("")
			r.secured = r.startShared(readmeAdminToken)
			r.mockEnv = map[string]string{}
			for _, b := range s.blocks {
				cmds, err := parseShell(b.text, b.line)
				if err != nil {
					t.Errorf("README.md: %v", err)
					continue
				}
				if b.output != "" && len(cmds) > 0 {
					cmds[len(cmds)-1].output = b.output
				}
				r.reset(r.open, "")
				r.reset(r.secured, readmeAdminToken)
				for _, c := range cmds {
					commands++
					t.Logf("README.md:%d: %s", c.line, c)
					r.run(c)
				}
			}
		})
	}
	r.t = t
	if commands < 60 {
		t.Errorf("ran %d README commands; the parser must have missed some", commands)
	}
}

// expand is a word's value: the README's own variables, then the reader's
// environment as the test stands for it.
func (r *readmeRun) expand(w shellWord) string {
	var b strings.Builder
	for _, p := range w {
		if p.variable == "" {
			b.WriteString(p.lit)
			continue
		}
		v, ok := r.vars[p.variable]
		if !ok {
			r.t.Fatalf("$%s is used but neither the README nor this test sets it", p.variable)
		}
		b.WriteString(v)
	}
	return b.String()
}

func (r *readmeRun) run(c shellCommand) {
	t := r.t
	args := make([]string, len(c.words))
	for i, w := range c.words {
		args[i] = r.expand(w)
	}
	if c.output != "" && args[0] != "curl" {
		t.Fatalf("README shows an answer after %q, which is not a curl command", args)
	}
	switch {
	case args[0] == "export":
		r.export(args[1:])
	case isAssignment(args[0]) && len(args) == 1:
		r.assign(args[0])
	case args[0] == "curl":
		r.curl(args[1:], c)
	case args[0] == "kill":
		t.Fatalf("kill is not run; the README names signals in comments only")
	case args[0] == "go":
		r.goCommand(args[1:])
	case args[0] == "ginkgo":
		r.ginkgo(args[1:])
	case args[0] == filepath.Base(mockBinary):
		r.mock(args[1:], r.mockEnv, true)
	case args[0] == filepath.Base(contractBinary):
		r.contract(args[1:])
	case args[0] == "docker":
		r.docker(args[1:])
	default:
		t.Fatalf("README command %q is not covered: teach TestReadmeCommands (internal/release/readme_test.go) to run or check it", args)
	}
	for _, comment := range c.comments {
		r.checkSignalComment(comment)
	}
}

func isAssignment(word string) bool { return assignment.MatchString(word) }

func (r *readmeRun) assign(word string) {
	name, value, _ := strings.Cut(word, "=")
	if name == "MOCK" && value != readmeBaseURL {
		r.t.Errorf("MOCK=%s, but the mock's default address is %s", value, readmeBaseURL)
	}
	r.vars[name] = value
}

// export checks that the program the variable is for reads it; "..." stands
// for a secret the reader fills in, which this test has none of.
func (r *readmeRun) export(args []string) {
	if len(args) == 0 {
		r.t.Fatal("export of nothing")
	}
	for _, a := range args {
		if !isAssignment(a) {
			r.t.Fatalf("export %q: want NAME=value", a)
		}
		name, value, _ := strings.Cut(a, "=")
		var bin string
		switch {
		case strings.HasPrefix(name, contract.EnvPrefix):
			bin = r.bin.contract
		case strings.HasPrefix(name, "AOPAY_MOCK_"):
			bin = r.bin.mock
		default:
			r.t.Fatalf("export %s: a variable of neither aopay-mock nor aopay-contract", name)
		}
		_, usage := runExit(r.t, bin, nil, "--help")
		if !strings.Contains(usage, name) {
			r.t.Errorf("export %s: %s --help does not name it, so nothing reads it", name, filepath.Base(bin))
		}
		if name == "AOPAY_MOCK_ADMIN_TOKEN" && value == "..." {
			// The reader's own token, which $AOPAY_MOCK_ADMIN_TOKEN stands for.
			value = readmeAdminToken
		}
		if strings.HasPrefix(name, "AOPAY_MOCK_") && value != "..." {
			r.mockEnv[name] = value
		}
		if value != "..." {
			r.exported[name] = value
			r.vars[name] = value
		}
	}
}

// signalComment finds `kill -SIG` in a comment.
var signalComment = regexp.MustCompile(`kill -([A-Z0-9]+)`)

// checkSignalComment checks that a signal a comment tells the reader to send
// is one aopay-mock handles, by name.
func (r *readmeRun) checkSignalComment(comment string) {
	m := signalComment.FindStringSubmatch(comment)
	if m == nil {
		return
	}
	src, err := os.ReadFile(filepath.Join(repoRoot(r.t), "mockserver", "cli", "cli.go"))
	if err != nil {
		r.t.Fatal(err)
	}
	if !strings.Contains(string(src), "syscall.SIG"+m[1]) {
		r.t.Errorf("the README says `kill -%s`, which mockserver/cli does not handle", m[1])
	}
}

// checkDefaultAddr holds the README's base URL to aopay-mock's default
// address, since every command of the README assumes it.
func (r *readmeRun) checkDefaultAddr() {
	_, usage := runExit(r.t, r.bin.mock, nil, "--help")
	want := fmt.Sprintf("--addr (AOPAY_MOCK_ADDR, default %q)", strings.TrimPrefix(readmeBaseURL, "http://"))
	if !strings.Contains(usage, want) {
		r.t.Errorf("aopay-mock --help does not say %s: the README's %s is not where the mock listens by default\n%s", want, readmeBaseURL, usage)
	}
}

// startShared starts a mock for the section's commands, stopped with it.
func (r *readmeRun) startShared(adminToken string) string {
	env := map[string]string{"AOPAY_MOCK_ADDR": "127.0.0.1:0", "AOPAY_MOCK_LOG_FORMAT": "json", "AOPAY_MOCK_LOG_LEVEL": "warn"}
	if adminToken != "" {
		env["AOPAY_MOCK_ADMIN_TOKEN"] = adminToken
	}
	addr, stop := startMock(r.t, r.bin.mock, envList(os.Environ(), env))
	r.t.Cleanup(stop)
	return "http://" + addr
}

// reset starts a block afresh, as the README's failure recipes say to.
func (r *readmeRun) reset(base, adminToken string) {
	header := http.Header{}
	if adminToken != "" {
		header.Set("Authorization", "Bearer "+adminToken)
	}
	status, body := r.send(http.MethodPost, base+"/__admin/reset", header, nil)
	if status != http.StatusOK {
		r.t.Fatalf("reset of %s: %d %s", base, status, body)
	}
}

func (r *readmeRun) endSection() {
	if r.section != nil {
		r.section.stop()
		r.section = nil
	}
}

// target is the mock a command reaches: the one its section started, else a
// shared one, with an admin token when the command sends one.
func (r *readmeRun) target(sendsToken bool) (base, adminToken string) {
	if r.section != nil {
		return r.section.url, r.section.adminToken
	}
	if sendsToken {
		return r.secured, readmeAdminToken
	}
	return r.open, ""
}

func (r *readmeRun) send(method, target string, header http.Header, body []byte) (int, []byte) {
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header = header
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, target, err)
	}
	return resp.StatusCode, answer
}

// curl sends what curl would with the flags the README uses.
func (r *readmeRun) curl(args []string, c shellCommand) {
	t := r.t
	var (
		method, rawURL string
		data           []byte
		hasData        bool
		follow         bool
		header         = http.Header{}
	)
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() string {
			if i+1 >= len(args) {
				t.Fatalf("curl %s needs a value", a)
			}
			i++
			return args[i]
		}
		switch a {
		case "-X", "--request":
			method = value()
		case "-H", "--header":
			name, v, ok := strings.Cut(value(), ":")
			if !ok {
				t.Fatalf("curl header %q has no colon", args[i])
			}
			header.Add(strings.TrimSpace(name), strings.TrimSpace(v))
		case "-d", "--data", "--data-raw":
			if hasData {
				data = append(data, '&')
			}
			data = append(data, value()...)
			hasData = true
		case "-L", "--location":
			follow = true
		case "-s", "--silent", "-S", "--show-error", "-i", "--include", "-v", "--verbose":
		default:
			if strings.HasPrefix(a, "-") {
				t.Fatalf("curl flag %s is not interpreted: teach readme_test.go's curl what it does", a)
			}
			if rawURL != "" {
				t.Fatalf("curl with two URLs, %q and %q", rawURL, a)
			}
			rawURL = a
		}
	}
	if method == "" {
		method = http.MethodGet
		if hasData {
			method = http.MethodPost
		}
	}
	if hasData && header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rest, ok := strings.CutPrefix(rawURL, readmeBaseURL)
	if !ok {
		t.Fatalf("curl %q: the URL is not on the mock's address %s", rawURL, readmeBaseURL)
	}
	sendsToken := header.Get("Authorization") != ""
	base, adminToken := r.target(sendsToken)
	if sendsToken && header.Get("Authorization") != "Bearer "+adminToken {
		t.Fatalf("curl sends Authorization %q, want Bearer $AOPAY_MOCK_ADMIN_TOKEN", header.Get("Authorization"))
	}
	target := base + rest
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	r.prepare(method, u, c.output, base)

	req, err := http.NewRequest(method, target, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	client := &http.Client{Timeout: 10 * time.Second}
	if !follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	t.Logf("%s %s → %d %s", method, u.RequestURI(), resp.StatusCode, body[:min(len(body), 300)])
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s answered %d: %s", method, u.RequestURI(), resp.StatusCode, body)
	}
	// The README's admin examples are meant to work; the RechargeStatus
	// examples may pick an error on purpose (X-Mock-Fault).
	if u.Path != rechargestatus.EnquiryPath && resp.StatusCode >= 400 {
		t.Errorf("%s %s answered %d: %s", method, u.RequestURI(), resp.StatusCode, body)
	}
	if u.Path != "/metrics" {
		for _, v := range r.validator.CheckResponse(context.Background(), req, data, resp.StatusCode, resp.Header, body) {
			t.Errorf("the answer breaks its OpenAPI document: %s", v)
		}
	}
	if c.output != "" {
		checkShownAnswer(t, c.output, body)
	}
}

// prepare makes, before a command whose shown answer reports past traffic,
// the traffic it reports, so that the answer can be compared.
func (r *readmeRun) prepare(method string, u *url.URL, output, base string) {
	if output == "" || method != http.MethodGet {
		return
	}
	var shown struct {
		Count      *int `json:"count"`
		Violations []struct {
			RegistrationID string `json:"registrationId"`
			ReferenceID    string `json:"referenceId"`
		} `json:"violations"`
	}
	if err := json.Unmarshal([]byte(output), &shown); err != nil {
		r.t.Fatalf("the README's answer of %s is not JSON: %v\n%s", u.Path, err, output)
	}
	q := u.Query()
	switch u.Path {
	case "/__admin/requests/count":
		if shown.Count == nil || q.Get("referenceId") == "" {
			return
		}
		registration := cmpOr(q.Get("registrationId"), "AOP-554")
		for range *shown.Count {
			r.enquire(base, registration, q.Get("referenceId"))
		}
	case "/__admin/violations":
		for _, v := range shown.Violations {
			r.enquire(base, v.RegistrationID, v.ReferenceID)
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (r *readmeRun) enquire(base, registration, reference string) {
	body, _ := json.Marshal(map[string]string{"referenceid": reference, "RegistrationID": registration})
	req, err := http.NewRequest(http.MethodPost, base+rechargestatus.EnquiryPath, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		r.t.Fatalf("enquiry of %s/%s: %v", registration, reference, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("enquiry of %s/%s: %d %s", registration, reference, resp.StatusCode, answer)
	}
	for _, v := range r.validator.CheckResponse(context.Background(), req, body, resp.StatusCode, resp.Header, answer) {
		r.t.Errorf("enquiry of %s/%s: the answer breaks openapi.yaml: %s", registration, reference, v)
	}
}

// checkShownAnswer compares an answer with the one the README shows, as
// JSON, but for readmeVariableFields.
func checkShownAnswer(t *testing.T, shown string, got []byte) {
	t.Helper()
	var want, have any
	if err := json.Unmarshal([]byte(shown), &want); err != nil {
		t.Fatalf("the README's answer is not JSON: %v\n%s", err, shown)
	}
	if err := json.Unmarshal(got, &have); err != nil {
		t.Fatalf("the answer is not JSON: %v\n%s", err, got)
	}
	dropVariableFields(t, want, "README")
	dropVariableFields(t, have, "answer")
	wantJSON, _ := json.Marshal(want)
	haveJSON, _ := json.Marshal(have)
	if !bytes.Equal(wantJSON, haveJSON) {
		t.Errorf("the answer differs from the one the README shows (%s aside)\nREADME: %s\ngot:    %s", strings.Join(readmeVariableFields, ", "), wantJSON, haveJSON)
	}
}

func dropVariableFields(t *testing.T, v any, where string) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for _, name := range readmeVariableFields {
			value, ok := v[name]
			if !ok {
				continue
			}
			s, _ := value.(string)
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				t.Errorf("%s: %q is %v, want an RFC 3339 time", where, name, value)
			}
			delete(v, name)
		}
		for _, child := range v {
			dropVariableFields(t, child, where)
		}
	case []any:
		for _, child := range v {
			dropVariableFields(t, child, where)
		}
	}
}

// mixedUpProvider stands for AOPay behind the README's proxy: it answers
// every enquiry with the first answer the README shows (the provider page's
// example), but with data.refid mixedUpRefid.
func mixedUpProvider(t *testing.T, blocks []shellBlock) *httptest.Server {
	t.Helper()
	i := slices.IndexFunc(blocks, func(b shellBlock) bool { return b.output != "" })
	if i < 0 {
		t.Fatal("the README shows no answer after a command block")
	}
	var answer map[string]any
	if err := json.Unmarshal([]byte(blocks[i].output), &answer); err != nil {
		t.Fatalf("README.md:%d: the answer shown is not JSON: %v", blocks[i].line, err)
	}
	data, ok := answer["data"].(map[string]any)
	if !ok {
		t.Fatalf("README.md:%d: the answer shown has no data: %s", blocks[i].line, blocks[i].output)
	}
	data["refid"] = mixedUpRefid
	body, _ := json.Marshal(answer)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// localPath maps a path the README writes to one under the test's directory,
// the same one each time.
func (r *readmeRun) localPath(p string) string {
	if filepath.IsAbs(p) {
		r.t.Fatalf("the README names the absolute path %s; a reader's machine may not have it", p)
	}
	clean := filepath.Clean(p)
	if mapped, ok := r.paths[clean]; ok {
		return mapped
	}
	mapped := filepath.Join(r.tmp, strings.ReplaceAll(clean, string(filepath.Separator), "_"))
	r.paths[clean] = mapped
	return mapped
}

// mockPathFlags are the aopay-mock flags naming a file or directory.
var mockPathFlags = []string{"--state", "--fixtures", "--record", "--spec"}

// mock runs `aopay-mock ARGS` on a free port, with the README's paths
// moved to temporary ones and the provider to a local stand-in: a
// subcommand to its end, the server until the section ends (or at once
// unless keep), when it must stop cleanly on SIGTERM. env is the process's
// AOPAY_MOCK_ variables.
func (r *readmeRun) mock(args []string, env map[string]string, keep bool) {
	t := r.t
	args = slices.Clone(args)
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "version":
			r.checkVersion(r.bin.mock, env, args)
		case "healthcheck":
			t.Fatalf("aopay-mock healthcheck is run by TestImageHealthcheck; teach TestReadmeCommands to run it against a live mock")
		default:
			t.Fatalf("aopay-mock %s: no such subcommand", args[0])
		}
		return
	}
	adminToken := env["AOPAY_MOCK_ADMIN_TOKEN"]
	var state string
	for i := 0; i < len(args); i++ {
		name, value, inline := strings.Cut(args[i], "=")
		if !inline {
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				value = args[i+1]
			}
		}
		replace := func(v string) {
			if inline {
				args[i] = name + "=" + v
			} else {
				args[i+1] = v
			}
		}
		switch {
		case slices.Contains(mockPathFlags, name):
			local := r.localPath(value)
			replace(local)
			switch name {
			case "--state":
				state = local
			case "--record":
				if err := os.MkdirAll(local, 0o755); err != nil {
					t.Fatal(err)
				}
			case "--fixtures":
				// What the README loads, an earlier command of it wrote.
				if !holdsFixtures(local) {
					t.Errorf("--fixtures %s: no earlier README command wrote fixtures there", value)
				}
			}
		case name == "--proxy-upstream":
			if value != providerURL {
				t.Fatalf("--proxy-upstream %s: the README's proxy examples front the provider, %s", value, providerURL)
			}
			replace(r.provider.URL)
		case name == "--admin-token":
			adminToken = value
		case name == "--addr":
			t.Fatalf("--addr %s: teach TestReadmeCommands to check the address a README example chooses", value)
		}
	}
	vars := map[string]string{}
	for k, v := range env {
		vars[k] = v
	}
	vars["AOPAY_MOCK_ADDR"] = "127.0.0.1:0"
	if vars["AOPAY_MOCK_LOG_FORMAT"] == "" {
		vars["AOPAY_MOCK_LOG_FORMAT"] = "json"
	}
	if format := argAfter(args, "--log-format"); format != "" && format != "json" {
		t.Fatalf("--log-format %s: the test reads the listening line as JSON", format)
	}
	r.endSection()
	addr, stop := startMock(r.t, r.bin.mock, envList(os.Environ(), vars), args...)
	if state != "" {
		if _, err := os.Stat(state); err != nil {
			t.Errorf("--state %s: no state file once listening: %v", state, err)
		}
	}
	r.reset("http://"+addr, adminToken)
	if !keep {
		stop()
		return
	}
	r.section = &runningMock{url: "http://" + addr, adminToken: adminToken, stop: stop}
}

// holdsFixtures tells whether --fixtures path would load anything: a file,
// or a directory with a file of the fixtures format.
func holdsFixtures(path string) bool {
	info, err := os.Stat(path)
	if err != nil {
		return false
	}
	if !info.IsDir() {
		return true
	}
	for _, ext := range []string{".yaml", ".yml", ".json"} {
		if found, _ := filepath.Glob(filepath.Join(path, "*"+ext)); len(found) > 0 {
			return true
		}
	}
	return false
}

func argAfter(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}

func (r *readmeRun) checkVersion(bin string, env map[string]string, args []string) {
	code, out := runExit(r.t, bin, envList(os.Environ(), env), args...)
	if code != 0 || !strings.Contains(out, stampedVersion) {
		r.t.Errorf("%s %q: exit %d, output %q; want 0 and the stamped version %s", filepath.Base(bin), args, code, out, stampedVersion)
	}
}

// contract runs aopay-contract with the README's arguments, against a live
// mock in place of the README's URLs (the provider's included: --target
// real against the mock is the read-only run the README shows), or in
// process without --base-url. The whole suite takes a second or two against
// a loopback mock.
func (r *readmeRun) contract(args []string) {
	t := r.t
	args = slices.Clone(args)
	reports := t.TempDir()
	var written []string
	for i := 0; i < len(args); i++ {
		if i+1 >= len(args) {
			break
		}
		switch args[i] {
		case "--base-url":
			if args[i+1] != readmeBaseURL && args[i+1] != providerURL {
				t.Fatalf("--base-url %s: neither the mock's %s nor the provider's %s", args[i+1], readmeBaseURL, providerURL)
			}
			base, _ := r.target(false)
			args[i+1] = base
		case "--junit-report", "--json-report":
			path := filepath.Join(reports, filepath.Base(args[i+1]))
			args[i+1] = path
			written = append(written, path)
		}
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, contract.EnvPrefix) })
	env = append(env, contract.EnvPrefix+"NO_COLOR=true")
	for k, v := range r.exported {
		env = append(env, k+"="+v)
	}
	code, out := runExit(t, r.bin.contract, env, args...)
	if code != 0 {
		t.Fatalf("aopay-contract %q: exit %d, want 0\n%s", args, code, out)
	}
	t.Logf("aopay-contract %q:\n%s", args, out[max(0, len(out)-400):])
	for _, path := range written {
		if info, err := os.Stat(path); err != nil || info.Size() == 0 {
			t.Errorf("aopay-contract %q wrote no report %s: %v", args, path, err)
		}
	}
}

// goCommand covers the README's go commands: run of a command of the
// module, the test suite as CI runs it, and the contract suite.
func (r *readmeRun) goCommand(args []string) {
	t := r.t
	if len(args) < 2 {
		t.Fatalf("go %q: not covered", args)
	}
	switch args[0] {
	case "run":
		pkg, rest := args[1], args[2:]
		switch pkg {
		case "./cmd" + mockBinary:
			r.mock(rest, nil, true)
		case "./cmd" + contractBinary:
			r.contract(rest)
		case "./cmd/" + loadCommand:
			r.load(rest)
		default:
			t.Fatalf("go run %s: not covered; teach TestReadmeCommands to run it", pkg)
		}
	case "build":
		r.goBuild(args[1:])
	case "test":
		if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-bench") }) {
			r.checkBenchmarks(args[1:])
			return
		}
		if slices.Contains(args, "./...") {
			r.checkCIRuns(append([]string{"go"}, args...))
			return
		}
		pkg, rest := args[1], args[2:]
		if pkg != "./contract" && pkg != "./contract/..." {
			t.Fatalf("go test %q: not covered; teach TestReadmeCommands to run it", args[1:])
		}
		if len(rest) == 0 {
			r.contract(nil)
			return
		}
		if rest[0] != "-args" {
			t.Fatalf("go test %s %q: the suite's flags go after -args", pkg, rest)
		}
		r.contract(rest[1:])
	default:
		t.Fatalf("go %s: not covered; teach TestReadmeCommands to run or check it", args[0])
	}
}

// goBuild stands for `go build -o PATH ./cmd/aopay-mock`: PATH becomes
// the binary built as the Dockerfile builds it, for the commands after it.
func (r *readmeRun) goBuild(args []string) {
	t := r.t
	if len(args) != 3 || args[0] != "-o" {
		t.Fatalf("go build %q: not covered; teach TestReadmeCommands to check it", args)
	}
	var built string
	switch args[2] {
	case "./cmd" + mockBinary:
		built = r.bin.mock
	case "./cmd" + contractBinary:
		built = r.bin.contract
	default:
		t.Fatalf("go build %s: not covered; teach TestReadmeCommands to check it", args[2])
	}
	out := r.localPath(args[1])
	os.Remove(out)
	if err := os.Symlink(built, out); err != nil {
		t.Fatal(err)
	}
}

// loadCommand is the load and measurement tool of the Performance section.
const loadCommand = "aopay-load"

// quickLoadRuns are the aopay-load subcommands quick enough to run here;
// the others measure for seconds at full CPU, so only their flags are
// checked against their usage.
var quickLoadRuns = []string{"startup"}

// load covers `go run ./cmd/aopay-load SUBCOMMAND FLAGS`.
func (r *readmeRun) load(args []string) {
	t := r.t
	if len(args) == 0 {
		t.Fatalf("%s without a subcommand", loadCommand)
	}
	if r.loadBinary == "" {
		r.loadBinary = filepath.Join(r.tmp, loadCommand)
		cmd := exec.Command("go", "build", "-o", r.loadBinary, "./cmd/"+loadCommand)
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			r.loadBinary = ""
			t.Fatalf("go build ./cmd/%s: %v\n%s", loadCommand, err, out)
		}
	}
	sub, flags := args[0], slices.Clone(args[1:])
	_, usage := runExit(t, r.loadBinary, nil, sub, "--help")
	if !strings.Contains(usage, "Usage of "+loadCommand+" "+sub) {
		t.Fatalf("%s %s: no such subcommand\n%s", loadCommand, sub, usage)
	}
	for i, f := range flags {
		if !strings.HasPrefix(f, "-") {
			if i > 0 && strings.HasPrefix(flags[i-1], "-") && strings.HasPrefix(f, "./") {
				flags[i] = r.localPath(f)
			}
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if !strings.Contains(usage, "\n  -"+name+" ") && !strings.Contains(usage, "\n  -"+name+"\n") {
			t.Errorf("%s %s %s: its usage names no such flag\n%s", loadCommand, sub, f, usage)
		}
	}
	if !slices.Contains(quickLoadRuns, sub) {
		return
	}
	if code, out := runExit(t, r.loadBinary, nil, append([]string{sub}, flags...)...); code != 0 {
		t.Errorf("%s %s %q: exit %d, want 0\n%s", loadCommand, sub, flags, code, out)
	}
}

// checkBenchmarks holds `go test -run='^$' -bench=RE PKG` to a package
// whose benchmarks RE selects, without running them: they measure.
func (r *readmeRun) checkBenchmarks(args []string) {
	t := r.t
	var bench *regexp.Regexp
	var pkg string
	for _, a := range args {
		name, value, _ := strings.Cut(a, "=")
		switch name {
		case "-bench":
			var err error
			if bench, err = regexp.Compile(value); err != nil {
				t.Fatalf("%s: %v", a, err)
			}
		case "-run":
			if value != "^$" {
				t.Errorf("%s: a benchmark command that runs tests too", a)
			}
		case "-benchmem", "-benchtime", "-count", "-cpu":
		default:
			if strings.HasPrefix(a, "-") || pkg != "" {
				t.Fatalf("go test %s: not covered", a)
			}
			pkg = a
		}
	}
	files, err := filepath.Glob(filepath.Join(repoRoot(t), filepath.FromSlash(pkg), "*_test.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("go test %s: no test files (%v)", pkg, err)
	}
	var found []string
	fset := token.NewFileSet()
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Benchmark") && bench.MatchString(fn.Name.Name) {
				found = append(found, fn.Name.Name)
			}
		}
	}
	if len(found) == 0 {
		t.Errorf("go test -bench=%s %s: no benchmark of %s matches", bench, pkg, pkg)
	}
}

// checkCIRuns holds a test command to the one .ci/run runs, so that the
// README's promise ("every test") is what CI keeps; running it here would
// run this test again. .ci/run adds -count=1, which only defeats the test
// cache.
func (r *readmeRun) checkCIRuns(readmeArgs []string) {
	ci, err := os.ReadFile(filepath.Join(repoRoot(r.t), ".ci", "run"))
	if err != nil {
		r.t.Fatal(err)
	}
	var runs []string
	for _, line := range strings.Split(string(ci), "\n") {
		words := strings.Fields(line)
		if len(words) < 2 || words[0] != "go" || words[1] != "test" {
			continue
		}
		runs = append(runs, line)
		words = slices.DeleteFunc(words, func(w string) bool { return w == "-count=1" })
		if slices.Equal(words, readmeArgs) {
			return
		}
	}
	r.t.Errorf("%q is not what .ci/run runs; its go test commands are %q", strings.Join(readmeArgs, " "), runs)
}

// ginkgo maps the Ginkgo CLI's flags the README uses to aopay-contract's.
func (r *readmeRun) ginkgo(args []string) {
	t := r.t
	sep := slices.Index(args, "--")
	if sep < 0 {
		sep = len(args)
	}
	var suite []string
	for _, a := range args[:sep] {
		switch a {
		case "-v", "--v":
			suite = append(suite, "--verbose")
		case "./contract", "./contract/...":
		default:
			t.Fatalf("ginkgo %s: not covered; teach TestReadmeCommands what it means to aopay-contract", a)
		}
	}
	if !slices.Contains(args[:sep], "./contract") && !slices.Contains(args[:sep], "./contract/...") {
		t.Fatalf("ginkgo %q runs no ./contract", args)
	}
	if sep < len(args) {
		suite = append(suite, args[sep+1:]...)
	}
	r.contract(suite)
}

// docker checks a docker command against the Dockerfile and
// docker-compose.yml (there is no Docker engine here), and runs what the
// container would run with the built binaries.
func (r *readmeRun) docker(args []string) {
	t := r.t
	if len(args) == 0 {
		t.Fatal("docker with no command")
	}
	switch args[0] {
	case "build":
		r.dockerBuild(args[1:])
	case "run":
		r.dockerRun(args[1:])
	case "compose":
		r.dockerCompose(args[1:])
	default:
		t.Fatalf("docker %s: not covered; teach TestReadmeCommands to check it", args[0])
	}
}

func (r *readmeRun) dockerBuild(args []string) {
	t := r.t
	declared := map[string]bool{}
	for _, a := range r.df.metaArgs {
		for _, kv := range a.Args {
			declared[kv.Key] = true
		}
	}
	for _, s := range r.df.stages {
		for _, a := range commandsOf[*instructions.ArgCommand](s) {
			for _, kv := range a.Args {
				declared[kv.Key] = true
			}
		}
	}
	var context string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--build-arg":
			i++
			name, _, _ := strings.Cut(args[i], "=")
			if !declared[name] {
				t.Errorf("--build-arg %s: the Dockerfile declares no ARG %s", args[i], name)
			}
		case "-t", "--tag":
			i++
			r.imageTag = args[i]
		default:
			if strings.HasPrefix(args[i], "-") || context != "" {
				t.Fatalf("docker build %s: not covered", args[i])
			}
			context = args[i]
		}
	}
	if context != "." {
		t.Errorf("docker build context %q, want the repository, .", context)
	}
	if r.imageTag == "" {
		t.Fatal("docker build names no -t tag, so the docker run examples cannot name the image")
	}
	compose := loadCompose(t)
	repo, _, _ := strings.Cut(compose.Services["mock"].Image, ":")
	if tag, _, _ := strings.Cut(r.imageTag, ":"); tag != repo {
		t.Errorf("docker build -t %s, but docker-compose.yml names the image %s", r.imageTag, repo)
	}
}

func (r *readmeRun) dockerRun(args []string) {
	t := r.t
	if r.imageTag == "" {
		t.Fatal("docker run before any docker build -t")
	}
	exposed := map[string]bool{}
	for _, e := range commandsOf[*instructions.ExposeCommand](r.df.final()) {
		for _, p := range e.Ports {
			exposed[strings.TrimSuffix(p, "/tcp")] = true
		}
	}
	volumes := map[string]bool{}
	for _, v := range commandsOf[*instructions.VolumeCommand](r.df.final()) {
		for _, p := range v.Volumes {
			volumes[p] = true
		}
	}
	entrypoints := commandsOf[*instructions.EntrypointCommand](r.df.final())
	if len(entrypoints) == 0 {
		t.Fatal("the image has no ENTRYPOINT")
	}
	entrypoint := entrypoints[len(entrypoints)-1].CmdLine[0]
	vars := map[string]string{}
	stateVolume := ""
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		flag := args[i]
		value := func() string {
			i++
			if i >= len(args) {
				t.Fatalf("docker run %s needs a value", flag)
			}
			return args[i]
		}
		switch flag {
		case "--rm":
		case "-p", "--publish":
			p := value()
			container := p[strings.LastIndex(p, ":")+1:]
			if !exposed[container] {
				t.Errorf("-p %s: the image exposes %v, not %s", p, keys(exposed), container)
			}
		case "-v", "--volume":
			source, target := mount(value())
			if !volumes[target] {
				t.Errorf("-v %s:%s: the image's volumes are %v", source, target, keys(volumes))
			}
			stateVolume = source
		case "-e", "--env":
			k, v, _ := strings.Cut(value(), "=")
			vars[k] = v
		case "--network":
			if n := value(); n != "host" {
				t.Fatalf("--network %s: not covered", n)
			}
		case "--entrypoint":
			entrypoint = value()
		default:
			t.Fatalf("docker run %s: not covered; teach TestReadmeCommands what it does", flag)
		}
	}
	if i >= len(args) || args[i] != r.imageTag {
		t.Fatalf("docker run %q: want the image built as %s", args, r.imageTag)
	}
	rest := args[i+1:]
	dir := t.TempDir()
	if stateVolume != "" {
		dir = r.localPath("volume-" + stateVolume)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := imageEnv(t, r.df, dir)
	for k, v := range vars {
		env[k] = v
	}
	switch entrypoint {
	case mockBinary:
		if len(rest) > 0 && rest[0] == "version" {
			r.checkVersion(r.bin.mock, env, rest)
			return
		}
		// Each docker run example stands alone: the reader stops one
		// before starting the next on the same port.
		r.mock(rest, env, false)
	case contractBinary:
		r.contract(rest)
	default:
		t.Fatalf("--entrypoint %s: the image holds %s and %s", entrypoint, mockBinary, contractBinary)
	}
}

func (r *readmeRun) dockerCompose(args []string) {
	t := r.t
	if len(args) == 0 || args[0] != "up" {
		t.Fatalf("docker compose %q: not covered", args)
	}
	compose := loadCompose(t)
	service := func(name string) {
		if _, ok := compose.Services[name]; !ok {
			t.Errorf("docker compose: no service %s in docker-compose.yml; services %v", name, keys(compose.Services))
		}
	}
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "--build", "--detach", "-d":
		case "--exit-code-from":
			i++
			service(args[i])
		default:
			if strings.HasPrefix(a, "-") {
				t.Fatalf("docker compose up %s: not covered", a)
			}
			service(a)
		}
	}
}
