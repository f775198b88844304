package deploytest

import (
	"go/ast"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"golang.org/x/tools/go/packages"
)

// servicePorts are the local ports of the long-running services; reportctl
// is a CLI and has none.
var servicePorts = map[string]int{
	"stripe-collector": 8080,
	"aggregator":       8081,
	"scheduler":        8082,
	"mailer":           8083,
	"aws-collector":    8084,
	"alerter":          8085,
}

const localstackImage = "localstack/localstack:4.14.0"

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       *composeBuild     `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Profiles    []string          `yaml:"profiles"`
	Volumes     []string          `yaml:"volumes"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// envVarsRead lists the BOARDPACK_* variables a service's code reads: the
// string literals naming them in its package and the repository packages
// it imports.
func envVarsRead(t *testing.T, service string) map[string]bool {
	t.Helper()
	pkgs := loadCode(t)
	main := pkgs[modulePrefix+"services/"+service]
	if main == nil {
		t.Fatalf("package services/%s not loaded", service)
	}
	seen := map[string]bool{}
	vars := map[string]bool{}
	re := regexp.MustCompile(`^BOARDPACK_[A-Z0-9_]+$`)
	var visit func(p *packages.Package)
	visit = func(p *packages.Package) {
		if seen[p.PkgPath] || !strings.HasPrefix(p.PkgPath, modulePrefix) {
			return
		}
		seen[p.PkgPath] = true
		if full := pkgs[p.PkgPath]; full != nil {
			p = full
		}
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && re.MatchString(s) {
						vars[s] = true
					}
				}
				return true
			})
		}
		for _, imp := range p.Imports {
			visit(imp)
		}
	}
	visit(main)
	return vars
}

func TestComposeRunsEveryService(t *testing.T) {
	c := loadCompose(t)
	root := repoRoot(t)

	ls, ok := c.Services["localstack"]
	if !ok {
		t.Fatal("no localstack service")
	}
	if ls.Image != localstackImage {
		t.Errorf("localstack image %q, want the pinned %q", ls.Image, localstackImage)
	}
	enabled := map[string]bool{}
	for _, s := range strings.Split(ls.Environment["SERVICES"], ",") {
		enabled[strings.TrimSpace(s)] = true
	}
	for _, need := range []string{"sns", "sqs", "dynamodb", "ses", "sts"} {
		if !enabled[need] {
			t.Errorf("localstack SERVICES %q lacks %s", ls.Environment["SERVICES"], need)
		}
	}
	if ls.Healthcheck == nil || len(ls.Healthcheck.Test) == 0 {
		t.Error("localstack has no healthcheck")
	}

	// The init hook: bootstrap, then the demo tenants.
	boot, tenants := c.Services["bootstrap"], c.Services["tenants"]
	if strings.Join(boot.Command, " ") != "bootstrap" || boot.DependsOn["localstack"].Condition != "service_healthy" {
		t.Errorf("bootstrap: command %q, depends_on %+v; want `bootstrap` after localstack is healthy", boot.Command, boot.DependsOn)
	}
	if !strings.HasPrefix(strings.Join(tenants.Command, " "), "tenants apply -f ") ||
		tenants.DependsOn["bootstrap"].Condition != "service_completed_successfully" {
		t.Errorf("tenants: command %q, depends_on %+v; want `tenants apply -f FILE` after bootstrap completed", tenants.Command, tenants.DependsOn)
	}
	// The demo data loads as `make run` loads it, once the services it
	// goes through are healthy, from the mounted deploy/demo.
	demo := c.Services["demo"]
	cmd := strings.Join(demo.Command, " ")
	if !strings.HasPrefix(cmd, "demo load ") || !strings.Contains(cmd, "--url http://stripe-collector:8080") || !strings.Contains(cmd, "--send ") {
		t.Errorf("demo: command %q, want `demo load --url http://stripe-collector:8080 --send TENANT ...`", cmd)
	}
	if !strings.Contains(cmd, "--dir /demo") || !contains(demo.Volumes, "./deploy/demo:/demo:ro") {
		t.Errorf("demo: command %q, volumes %v; want --dir /demo with ./deploy/demo mounted there", cmd, demo.Volumes)
	}
	for dep, cond := range map[string]string{
		"tenants": "service_completed_successfully", "stripe-collector": "service_healthy",
		"aggregator": "service_healthy", "mailer": "service_healthy",
	} {
		if demo.DependsOn[dep].Condition != cond {
			t.Errorf("demo: depends_on %s %+v, want %s", dep, demo.DependsOn[dep], cond)
		}
	}
	if len(demo.Profiles) != 0 {
		t.Errorf("demo has profiles %v: `docker compose up` would not load the demo data", demo.Profiles)
	}
	for _, one := range []composeService{boot, tenants, demo} {
		if one.Build == nil || one.Build.Dockerfile != "deploy/docker/reportctl.Dockerfile" {
			t.Errorf("init services must be built from deploy/docker/reportctl.Dockerfile, got %+v", one.Build)
		}
	}

	for _, svc := range servicesWithMain(t) {
		t.Run(svc, func(t *testing.T) {
			s, ok := c.Services[svc]
			if !ok {
				t.Fatalf("docker-compose.yml has no service %q", svc)
			}
			wantDockerfile := "deploy/docker/" + svc + ".Dockerfile"
			if s.Build == nil || s.Build.Context != "." || s.Build.Dockerfile != wantDockerfile {
				t.Errorf("build %+v, want context . and dockerfile %s", s.Build, wantDockerfile)
			}
			if _, err := os.Stat(filepath.Join(root, wantDockerfile)); err != nil {
				t.Errorf("Dockerfile: %v", err)
			}
			env := s.Environment
			for k, want := range map[string]string{
				"AWS_ENDPOINT_URL": "http://localstack:4566",
				"AWS_REGION":       "us-east-1",
			} {
				if env[k] != want {
					t.Errorf("environment %s=%q, want %q", k, env[k], want)
				}
			}
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "BOARDPACK_TABLE"} {
				if env[k] == "" {
					t.Errorf("environment lacks %s", k)
				}
			}
			// Every BOARDPACK_* variable set must be one the code reads: a
			// misspelt name would silently leave the default.
			read := envVarsRead(t, svc)
			var unknown []string
			for k := range env {
				if strings.HasPrefix(k, "BOARDPACK_") && !read[k] {
					unknown = append(unknown, k)
				}
			}
			sort.Strings(unknown)
			if len(unknown) > 0 {
				t.Errorf("environment sets %v, which %s's code never reads", unknown, svc)
			}
			if s.DependsOn["localstack"].Condition != "service_healthy" {
				t.Errorf("depends_on localstack: %+v, want condition service_healthy", s.DependsOn["localstack"])
			}
			if s.DependsOn["tenants"].Condition != "service_completed_successfully" {
				t.Errorf("depends_on tenants: %+v, want condition service_completed_successfully", s.DependsOn["tenants"])
			}

			port, long := servicePorts[svc]
			if !long {
				if len(s.Profiles) == 0 {
					t.Errorf("%s is a CLI: give it a profile so `up` does not start it", svc)
				}
				return
			}
			addr := "0.0.0.0:" + strconv.Itoa(port)
			if env["BOARDPACK_HTTP_ADDR"] != addr {
				t.Errorf("BOARDPACK_HTTP_ADDR=%q, want %q (reachable from other containers)", env["BOARDPACK_HTTP_ADDR"], addr)
			}
			health := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
			if s.Healthcheck == nil || strings.Join(s.Healthcheck.Test, " ") != "CMD /healthcheck "+health {
				t.Errorf("healthcheck %+v, want [CMD /healthcheck %s]", s.Healthcheck, health)
			}
		})
	}
	// Anything that depends on a service waits for it to be healthy or done.
	for name, s := range c.Services {
		for dep, d := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on unknown service %s", name, dep)
			}
			if d.Condition != "service_healthy" && d.Condition != "service_completed_successfully" {
				t.Errorf("%s depends on %s with condition %q", name, dep, d.Condition)
			}
		}
	}
	if s := c.Services["stripe-collector"]; !containsPrefix(s.Ports, "127.0.0.1:8080:8080") {
		t.Errorf("stripe-collector ports %v: publish 8080", s.Ports)
	}
}

func containsPrefix(list []string, s string) bool {
	for _, x := range list {
		if strings.HasPrefix(x, s) {
			return true
		}
	}
	return false
}
