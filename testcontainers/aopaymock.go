// Package testcontainers runs the AOPay RechargeStatus sandbox's image in a
// container for Go tests, with testcontainers-go: the real aopay-mock binary,
// as CI and staging run it, reached through its published port.
//
//	mock, err := testcontainers.Run(ctx, "ghcr.io/aopay-sandbox/rechargestatus:v1.0.0",
//		testcontainers.WithDialect("upstream"))
//	defer testcontainers.TerminateContainer(mock)
//	// mock.URL is the base URL, mock.Admin the typed admin client
//
// It is a module of its own, so that projects importing the sandbox's Go
// packages do not get the Docker libraries.
package testcontainers

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	tc "github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
)

// The image's layout.
const (
	port         = "8080/tcp"
	stateDir     = "/data"
	fixturesPath = "/etc/aopay/fixtures.yaml"
)

// StartupTimeout bounds how long Run waits for the mock to answer its
// health endpoint.
const StartupTimeout = time.Minute

// Container is the sandbox running in a container.
type Container struct {
	*tc.DockerContainer
	// URL is the mock's base URL, such as http://localhost:32768.
	URL string
	// Admin drives the sandbox through its admin API, with the admin
	// token when one was given.
	Admin *admin.Client
}

// EnquiryURL is the RechargeStatus endpoint, POST /api/AOP/RechargeStatus.
func (c *Container) EnquiryURL() string { return c.URL + rechargestatus.EnquiryPath }

// settings are what the options set.
type settings struct {
	env      map[string]string
	files    []tc.ContainerFile
	mounts   []tc.ContainerMount
	token    string
	extra    []tc.ContainerCustomizer
	fixtures []byte
}

// Option configures the sandbox's container.
type Option func(*settings)

// WithFixtures makes the mock load the fixtures file holding data (YAML,
// the format of the repository's fixtures/default.yaml) instead of the
// built-in set.
func WithFixtures(data []byte) Option {
	return func(s *settings) { s.fixtures = bytes.Clone(data) }
}

// WithDialect makes the mock answer in the named provider dialect, such as
// "upstream", with optional knobs ("upstream;auth-failure-body=code5").
func WithDialect(name string) Option {
	return func(s *settings) { s.env[cli.EnvName("dialect")] = name }
}

// WithAdminToken puts the admin API behind a bearer token; Container.Admin
// sends it.
func WithAdminToken(token string) Option {
	return func(s *settings) {
		s.token = token
		s.env[cli.EnvName("admin-token")] = token
	}
}

// WithStateVolume keeps the sandbox's state in the named volume, created
// when missing: a container started later on the same volume finds the
// transactions, clock and faults this one was given.
func WithStateVolume(name string) Option {
	return func(s *settings) { s.mounts = append(s.mounts, tc.VolumeMount(name, stateDir)) }
}

// WithEnv sets a variable of the mock's environment: every flag has one,
// such as AOPAY_MOCK_SEED for --seed.
func WithEnv(name, value string) Option {
	return func(s *settings) { s.env[name] = value }
}

// WithCustomizer passes a testcontainers-go customizer through, such as
// tc.WithName or tc.WithLogConsumers.
func WithCustomizer(c tc.ContainerCustomizer) Option {
	return func(s *settings) { s.extra = append(s.extra, c) }
}

// Run starts image, the sandbox's image, and waits until the mock answers
// its health endpoint. The mock answers the host testcontainers reports
// (testcontainers' own TESTCONTAINERS_HOST_OVERRIDE, or a gateway when it
// believes it runs in a container) as well as loopback names. Terminate
// the container, with TerminateContainer, when done; a container that
// started but never became ready is returned with the error.
func Run(ctx context.Context, image string, opts ...Option) (*Container, error) {
	s := &settings{env: map[string]string{}}
	for _, o := range opts {
		o(s)
	}
	host, err := daemonHost(ctx)
	if err != nil {
		return nil, err
	}
	if !isLoopback(host) {
		s.env[cli.EnvName("allowed-hosts")] = host
	}
	if s.fixtures != nil {
		s.files = append(s.files, tc.ContainerFile{Reader: bytes.NewReader(s.fixtures), ContainerFilePath: fixturesPath, FileMode: 0o644})
		s.env[cli.EnvName("fixtures")] = fixturesPath
	}
	health := wait.ForHTTP(cli.HealthPath).WithPort(port).WithStartupTimeout(StartupTimeout).
		WithStatusCodeMatcher(func(status int) bool { return status == http.StatusOK })
	if s.token != "" {
		health = health.WithHeaders(map[string]string{"Authorization": "Bearer " + s.token})
	}
	customizers := []tc.ContainerCustomizer{
		tc.WithExposedPorts(port),
		tc.WithEnv(s.env),
		tc.WithFiles(s.files...),
		tc.WithMounts(s.mounts...),
		tc.WithWaitStrategy(health),
	}
	ctr, err := tc.Run(ctx, image, append(customizers, s.extra...)...)
	if ctr == nil {
		return nil, fmt.Errorf("run %s: %w", image, err)
	}
	c := &Container{DockerContainer: ctr}
	if err != nil {
		return c, fmt.Errorf("run %s: %w", image, err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, port, "http")
	if err != nil {
		return c, err
	}
	c.URL = endpoint
	c.Admin = admin.NewClient(endpoint, admin.WithToken(s.token))
	return c, nil
}

// TerminateContainer stops and removes c; nil does nothing.
func TerminateContainer(c *Container) error {
	if c == nil || c.DockerContainer == nil {
		return nil
	}
	return tc.TerminateContainer(c.DockerContainer)
}

// daemonHost is the host testcontainers reaches published ports on.
func daemonHost(ctx context.Context) (string, error) {
	provider, err := tc.NewDockerProvider()
	if err != nil {
		return "", fmt.Errorf("container engine: %w", err)
	}
	defer provider.Close()
	host, err := provider.DaemonHost(ctx)
	if err != nil {
		return "", fmt.Errorf("container engine's host: %w", err)
	}
	return host, nil
}

// isLoopback tells whether the mock answers host without being told.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
