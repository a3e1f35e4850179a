package release

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
)

// The official images the replicas' recipes run beside the sandbox's,
// pinned by tag: Redis 7, HAProxy 2.
var (
	redisImage   = regexp.MustCompile(`^redis:7\.\d+(\.\d+)?$`)
	haproxyImage = regexp.MustCompile(`^haproxy:2\.\d+(\.\d+)?$`)
)

// haproxyConfigPath is where the official haproxy image reads its
// configuration.
const haproxyConfigPath = "/usr/local/etc/haproxy/haproxy.cfg"

// redisTarget is the Redis a replica's --redis URL names: its host and port.
func redisTarget(t *testing.T, where string, args []string, env map[string]string) (host, port string) {
	t.Helper()
	raw, ok := flagArg(args, "--redis")
	if !ok {
		raw = env[cli.EnvName("redis")]
	}
	if raw == "" {
		t.Fatalf("%s: no --redis (nor %s): each replica would keep a sandbox of its own", where, cli.EnvName("redis"))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Hostname() == "" {
		t.Fatalf("%s: --redis %q, want redis://HOST:PORT/DB", where, raw)
	}
	port = u.Port()
	if port == "" {
		port = "6379"
	}
	return u.Hostname(), port
}

// checkNoStateFile fails a replica that would inherit the image's
// AOPAY_MOCK_STATE, with which --redis refuses to start.
func checkNoStateFile(t *testing.T, where string, args []string, env map[string]string) {
	t.Helper()
	if state, ok := flagArg(args, "--state"); ok && state == "" {
		return
	}
	if state, ok := env[cli.EnvName("state")]; !ok || state != "" {
		t.Errorf("%s: %s=%q: the image's state file is kept, and --redis refuses to start beside one; set it empty", where, cli.EnvName("state"), state)
	}
}

// allowsHost reports whether a mock without an admin token answers
// requests for host, as its --allowed-hosts list (or variable) says.
func allowsHost(args []string, env map[string]string, host string) bool {
	if env[cli.EnvName("admin-token")] != "" {
		return true
	}
	list, ok := flagArg(args, "--allowed-hosts")
	if !ok {
		list = env[cli.EnvName("allowed-hosts")]
	}
	for _, h := range strings.Split(list, ",") {
		if h = strings.TrimSpace(h); h == host || h == "*" {
			return true
		}
	}
	return false
}

func TestComposeReplicas(t *testing.T) {
	c := loadComposeFile(t, replicasCompose)
	df := loadDockerfile(t)
	healthcheck := append([]string{"CMD", mockBinary}, healthcheckArgs(t, df)...)
	var replicas, balancers []string
	for name, s := range c.Services {
		switch {
		case slices.Contains(s.Command, "--redis") || s.Environment[cli.EnvName("redis")] != "":
			replicas = append(replicas, name)
		case strings.HasPrefix(s.Image, "haproxy:"):
			balancers = append(balancers, name)
		}
	}
	slices.Sort(replicas)
	if len(replicas) != 3 {
		t.Fatalf("%s: replicas %q, want 3 services running aopay-mock --redis", replicasCompose, replicas)
	}
	if len(balancers) != 1 {
		t.Fatalf("%s: load balancers %q, want one haproxy service", replicasCompose, balancers)
	}
	lbName := balancers[0]
	for _, name := range replicas {
		r := c.Services[name]
		where := replicasCompose + ": " + name
		if r.Build == nil || filepath.Clean(r.Build.Context) != "." || r.Image != c.Services[replicas[0]].Image {
			t.Errorf("%s is not the image built from this repository's Dockerfile: %q %+v", where, r.Image, r.Build)
		}
		host, port := redisTarget(t, where, r.Command, r.Environment)
		redis, ok := c.Services[host]
		if !ok || !redisImage.MatchString(redis.Image) || port != "6379" {
			t.Errorf("%s: --redis names %s:%s, want a service of Redis 7 pinned by tag (redis:7.N) on 6379; its image %q", where, host, port, redis.Image)
		} else if redis.Healthcheck == nil {
			t.Errorf("%s: service %s has no healthcheck for the replicas to wait on", replicasCompose, host)
		}
		if dep, ok := r.DependsOn[host]; !ok || dep.Condition != "service_healthy" {
			t.Errorf("%s depends_on %+v, want %s with condition service_healthy", where, r.DependsOn, host)
		}
		checkNoStateFile(t, where, r.Command, r.Environment)
		if r.Healthcheck == nil || !slices.Equal(r.Healthcheck.Test, healthcheck) {
			t.Errorf("%s healthcheck %+v, want the image's own %q", where, r.Healthcheck, healthcheck)
		}
		if !allowsHost(r.Command, r.Environment, lbName) {
			t.Errorf("%s has no admin token and does not allow Host %s: it would refuse other containers' requests through the load balancer", where, lbName)
		}
		if r.Environment[cli.EnvName("admin-token")] == "" {
			for _, p := range r.Ports {
				if ip, _, _ := publishedPort(p); !isLoopbackHost(ip) {
					t.Errorf("%s has no admin token and publishes %q beyond the host's loopback", where, p)
				}
			}
		}
	}
	checkComposeBalancer(t, c, lbName, replicas)
}

// checkComposeBalancer checks the HAProxy service: its configuration, from
// this repository, sends to each replica and to no other server, checks
// their health where the image's healthcheck does, and listens on the port
// the service publishes, on the host's loopback alone.
func checkComposeBalancer(t *testing.T, c composeFile, name string, replicas []string) {
	t.Helper()
	lb := c.Services[name]
	where := replicasCompose + ": " + name
	if !haproxyImage.MatchString(lb.Image) {
		t.Errorf("%s runs %q, want the official HAProxy 2 image pinned by tag (haproxy:2.N)", where, lb.Image)
	}
	var config string
	for _, v := range lb.Volumes {
		if source, target := mount(v); target == haproxyConfigPath {
			config = source
		}
	}
	if config == "" {
		t.Fatalf("%s mounts nothing at %s", where, haproxyConfigPath)
	}
	cfg := loadHAProxyConfig(t, filepath.Join(repoRoot(t), config))
	var servers []string
	for _, s := range cfg.servers {
		host, port, _ := strings.Cut(s, ":")
		if port != imagePort {
			t.Errorf("%s: server %s, want port %s", config, s, imagePort)
		}
		servers = append(servers, host)
	}
	slices.Sort(servers)
	if !slices.Equal(servers, replicas) {
		t.Errorf("%s sends to %q, want the replicas %q", config, servers, replicas)
	}
	if cfg.healthURI != cli.HealthPath {
		t.Errorf("%s checks health at %q, want %s", config, cfg.healthURI, cli.HealthPath)
	}
	published := false
	for _, p := range lb.Ports {
		ip, _, container := publishedPort(p)
		if !isLoopbackHost(ip) {
			t.Errorf("%s publishes %q beyond the host's loopback: the replicas have no admin token", where, p)
		}
		published = published || slices.Contains(cfg.binds, ":"+container)
	}
	if !published {
		t.Errorf("%s publishes %q, none of the ports %s binds %q", where, lb.Ports, config, cfg.binds)
	}
	for _, r := range replicas {
		if dep, ok := lb.DependsOn[r]; !ok || dep.Condition != "service_healthy" {
			t.Errorf("%s depends_on %+v, want %s with condition service_healthy", where, lb.DependsOn, r)
		}
	}
}

// haproxyConfig is what the tests read of an HAProxy configuration: the
// frontends' bind addresses, the backends' server addresses and the URI
// of the HTTP health check.
type haproxyConfig struct {
	binds, servers []string
	healthURI      string
}

func loadHAProxyConfig(t *testing.T, path string) haproxyConfig {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg haproxyConfig
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "bind":
			cfg.binds = append(cfg.binds, f[1])
		case len(f) >= 3 && f[0] == "server":
			cfg.servers = append(cfg.servers, f[2])
		case len(f) >= 2 && f[0] == "http-check" && f[1] == "send":
			if uri, ok := flagArg(f, "uri"); ok {
				cfg.healthURI = uri
			}
		}
	}
	return cfg
}

// TestHAProxyConfigIsValid has haproxy itself check deploy/haproxy.cfg.
// The replicas' names resolve only inside compose's network: haproxy
// warns of those and of nothing else.
func TestHAProxyConfigIsValid(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		if os.Getenv("AOPAY_REQUIRE_TOOLS") == "1" {
			t.Fatal("haproxy is not installed (Debian package haproxy)")
		}
		t.Skip("haproxy is not installed (Debian package haproxy)")
	}
	config := filepath.Join(repoRoot(t), "deploy", "haproxy.cfg")
	out, err := exec.Command(haproxy, "-c", "-f", config).CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy -c -f %s: %v\n%s", config, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if (strings.Contains(line, "[WARNING]") && !strings.Contains(line, "could not resolve address")) || strings.Contains(line, "[ALERT]") {
			t.Errorf("haproxy -c -f %s: %s", config, line)
		}
	}
}
