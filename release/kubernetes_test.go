package release

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
)

// kubernetesDir holds the example manifests of the sandbox's replicas.
const kubernetesDir = "examples/kubernetes"

// publishedImage is the published image the manifests run, by any tag.
const publishedImage = "ghcr.io/aopay-sandbox/rechargestatus:"

// The parts of Kubernetes objects the example uses, decoded strictly: a
// misspelt key is an error rather than a setting silently dropped.
type k8sHeader struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

type k8sMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type k8sDeployment struct {
	k8sHeader `yaml:",inline"`
	Metadata  k8sMeta `yaml:"metadata"`
	Spec      struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata k8sMeta `yaml:"metadata"`
			Spec     struct {
				SecurityContext map[string]any `yaml:"securityContext"`
				Containers      []k8sContainer `yaml:"containers"`
				Volumes         []any          `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe  *k8sProbe      `yaml:"readinessProbe"`
	LivenessProbe   *k8sProbe      `yaml:"livenessProbe"`
	SecurityContext map[string]any `yaml:"securityContext"`
	VolumeMounts    []any          `yaml:"volumeMounts"`
}

type k8sProbe struct {
	Exec *struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	TimeoutSeconds   int `yaml:"timeoutSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

type k8sService struct {
	k8sHeader `yaml:",inline"`
	Metadata  k8sMeta `yaml:"metadata"`
	Spec      struct {
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

// env is the container's environment as a map.
func (c k8sContainer) env() map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return env
}

// servesPort reports whether the container listens on a Service's
// targetPort, given by name or number.
func (c k8sContainer) servesPort(target any) bool {
	return slices.ContainsFunc(c.Ports, func(p struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	}) bool {
		switch t := target.(type) {
		case string:
			return t == p.Name
		case int:
			return t == p.ContainerPort
		}
		return false
	})
}

type k8sManifests struct {
	deployments []k8sDeployment
	services    []k8sService
}

// loadKubernetes decodes every YAML document of every file in the example
// directory, each by its kind.
func loadKubernetes(t *testing.T) k8sManifests {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), kubernetesDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", kubernetesDir, err)
	}
	var m k8sManifests
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(kubernetesDir, filepath.Base(file))
		for doc := 0; ; doc++ {
			var h k8sHeader
			if err := decodeDocument(data, doc, &h); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s, document %d: %v", name, doc+1, err)
			}
			switch h {
			case k8sHeader{"apps/v1", "Deployment"}:
				var d k8sDeployment
				if err := decodeDocument(data, doc, &d, strict); err != nil {
					t.Fatalf("%s, document %d: %v", name, doc+1, err)
				}
				m.deployments = append(m.deployments, d)
			case k8sHeader{"v1", "Service"}:
				var s k8sService
				if err := decodeDocument(data, doc, &s, strict); err != nil {
					t.Fatalf("%s, document %d: %v", name, doc+1, err)
				}
				m.services = append(m.services, s)
			default:
				t.Fatalf("%s, document %d: %s %s, want apps/v1 Deployment or v1 Service", name, doc+1, h.APIVersion, h.Kind)
			}
		}
	}
	return m
}

const strict = true

// decodeDocument decodes the YAML document numbered doc (from 0) of data,
// rejecting unknown keys when strict is given; io.EOF past the last.
func decodeDocument(data []byte, doc int, v any, strict ...bool) error {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(len(strict) > 0 && strict[0])
	for i := 0; i < doc; i++ {
		var skip yaml.Node
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return dec.Decode(v)
}

// selects reports whether a selector picks objects labelled labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestKubernetesManifestsAgree checks what kubectl apply would accept
// but leave broken: each Deployment's selector picks its own pods, and
// each Service selects exactly one Deployment's pods on a port they serve.
func TestKubernetesManifestsAgree(t *testing.T) {
	m := loadKubernetes(t)
	for _, d := range m.deployments {
		if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels) {
			t.Errorf("Deployment %s: selector %v does not pick its pods, labelled %v", d.Metadata.Name, d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)
		}
		if len(d.Spec.Template.Spec.Containers) == 0 {
			t.Errorf("Deployment %s runs no container", d.Metadata.Name)
		}
	}
	for _, s := range m.services {
		var picked []k8sDeployment
		for _, d := range m.deployments {
			if selects(s.Spec.Selector, d.Spec.Template.Metadata.Labels) {
				picked = append(picked, d)
			}
		}
		if len(picked) != 1 {
			t.Errorf("Service %s selects %d Deployments' pods, want 1", s.Metadata.Name, len(picked))
			continue
		}
		for _, p := range s.Spec.Ports {
			if !slices.ContainsFunc(picked[0].Spec.Template.Spec.Containers, func(c k8sContainer) bool { return c.servesPort(p.TargetPort) }) {
				t.Errorf("Service %s: port %s targets %v, which no container of Deployment %s declares", s.Metadata.Name, p.Name, p.TargetPort, picked[0].Metadata.Name)
			}
		}
	}
}

// TestKubernetesSandbox checks the sandbox's Deployment: three replicas of
// the published image sharing a Redis the manifests run, probed as the
// image's HEALTHCHECK probes, reachable through their Service's name.
func TestKubernetesSandbox(t *testing.T) {
	m := loadKubernetes(t)
	var sandbox []k8sDeployment
	for _, d := range m.deployments {
		if slices.ContainsFunc(d.Spec.Template.Spec.Containers, func(c k8sContainer) bool { return strings.HasPrefix(c.Image, publishedImage) }) {
			sandbox = append(sandbox, d)
		}
	}
	if len(sandbox) != 1 {
		t.Fatalf("%d Deployments run %s*, want 1", len(sandbox), publishedImage)
	}
	d := sandbox[0]
	if d.Spec.Replicas != 3 {
		t.Errorf("Deployment %s: %d replicas, want 3", d.Metadata.Name, d.Spec.Replicas)
	}
	c := d.Spec.Template.Spec.Containers[slices.IndexFunc(d.Spec.Template.Spec.Containers, func(c k8sContainer) bool { return strings.HasPrefix(c.Image, publishedImage) })]
	where := "Deployment " + d.Metadata.Name
	if len(c.Command) > 0 {
		t.Errorf("%s overrides the image's entrypoint with %q", where, c.Command)
	}
	if !c.servesPort(mustAtoi(t, imagePort)) {
		t.Errorf("%s declares ports %+v, want the image's %s", where, c.Ports, imagePort)
	}
	env := c.env()
	checkNoStateFile(t, where, c.Args, env)
	host, port := redisTarget(t, where, c.Args, env)
	redisService := slices.IndexFunc(m.services, func(s k8sService) bool { return s.Metadata.Name == host })
	if redisService < 0 {
		t.Fatalf("%s: --redis names host %s, which is no Service of the manifests", where, host)
	}
	rs := m.services[redisService]
	if !slices.ContainsFunc(rs.Spec.Ports, func(p struct {
		Name       string `yaml:"name"`
		Port       int    `yaml:"port"`
		TargetPort any    `yaml:"targetPort"`
	}) bool {
		return strconv.Itoa(p.Port) == port
	}) {
		t.Errorf("%s: --redis names port %s, which Service %s does not serve", where, port, host)
	}
	if !slices.ContainsFunc(m.deployments, func(r k8sDeployment) bool {
		return selects(rs.Spec.Selector, r.Spec.Template.Metadata.Labels) &&
			slices.ContainsFunc(r.Spec.Template.Spec.Containers, func(c k8sContainer) bool { return redisImage.MatchString(c.Image) })
	}) {
		t.Errorf("Service %s selects no Deployment running Redis 7 pinned by tag (redis:7.N)", host)
	}
	healthcheck := append([]string{mockBinary}, healthcheckArgs(t, loadDockerfile(t))...)
	for name, p := range map[string]*k8sProbe{"readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe} {
		switch {
		case p == nil:
			t.Errorf("%s has no %s", where, name)
		case p.Exec != nil && !slices.Equal(p.Exec.Command, healthcheck):
			t.Errorf("%s %s runs %q, want the image's healthcheck %q", where, name, p.Exec.Command, healthcheck)
		case p.HTTPGet != nil && p.HTTPGet.Path != cli.HealthPath:
			t.Errorf("%s %s gets %q, want %s", where, name, p.HTTPGet.Path, cli.HealthPath)
		case p.Exec == nil && p.HTTPGet == nil:
			t.Errorf("%s %s neither runs the healthcheck nor gets %s", where, name, cli.HealthPath)
		}
	}
	for _, s := range m.services {
		if selects(s.Spec.Selector, d.Spec.Template.Metadata.Labels) && !allowsHost(c.Args, env, s.Metadata.Name) {
			t.Errorf("%s has no admin token and does not allow Host %s: it would refuse requests through its Service", where, s.Metadata.Name)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
