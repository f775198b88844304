package deploytest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// dockerfile is a Dockerfile split into stages, continuation lines joined.
type dockerfile struct {
	stages [][]string // each stage's instructions, the FROM first
}

func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var df dockerfile
	var cur string
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		instr := strings.TrimSpace(cur + trimmed)
		cur = ""
		if strings.HasPrefix(strings.ToUpper(instr), "FROM ") {
			df.stages = append(df.stages, nil)
		}
		if len(df.stages) == 0 {
			t.Fatalf("%s: %q before the first FROM", path, instr)
		}
		df.stages[len(df.stages)-1] = append(df.stages[len(df.stages)-1], instr)
	}
	return df
}

func (df dockerfile) find(stage int, keyword string) []string {
	var out []string
	for _, in := range df.stages[stage] {
		if strings.HasPrefix(strings.ToUpper(in), keyword+" ") {
			out = append(out, strings.TrimSpace(in[len(keyword):]))
		}
	}
	return out
}

func TestDockerfiles(t *testing.T) {
	root := repoRoot(t)
	for _, svc := range servicesWithMain(t) {
		t.Run(svc, func(t *testing.T) {
			path := filepath.Join(root, "deploy", "docker", svc+".Dockerfile")
			df := parseDockerfile(t, path)
			if len(df.stages) < 2 {
				t.Fatalf("%d stage(s): build in one stage, ship the binary in another", len(df.stages))
			}
			build, final := 0, len(df.stages)-1
			buildText := strings.Join(df.stages[build], "\n")
			for _, want := range []string{"GOWORK=off", "CGO_ENABLED=0"} {
				if !strings.Contains(buildText, want) {
					t.Errorf("build stage does not set %s", want)
				}
			}
			for _, dir := range []string{"messages/", "services/internal/", "services/" + svc + "/"} {
				if !strings.Contains(buildText, "COPY "+dir+" ") {
					t.Errorf("build stage does not COPY %s", dir)
				}
			}
			if !strings.Contains(buildText, "go build") || !strings.Contains(buildText, "-o /out/"+svc) {
				t.Errorf("build stage does not build /out/%s", svc)
			}
			// build_info's version and revision come from the build.
			for _, want := range []string{"ARG VERSION", "ARG REVISION",
				"-X github.com/boardpack/boardpack/services/internal/platform/buildinfo.version=${VERSION}",
				"-X github.com/boardpack/boardpack/services/internal/platform/buildinfo.revision=${REVISION}"} {
				if !strings.Contains(buildText, want) {
					t.Errorf("build stage lacks %s", want)
				}
			}

			from := df.find(final, "FROM")[0]
			if !strings.HasPrefix(from, "gcr.io/distroless/static") && from != "scratch" {
				t.Errorf("final stage FROM %s: want distroless/static (CA certificates included) or scratch", from)
			}
			if from == "scratch" && !strings.Contains(strings.Join(df.stages[final], "\n"), "ca-certificates") {
				t.Error("scratch image without CA certificates cannot call AWS over TLS")
			}
			users := df.find(final, "USER")
			if len(users) == 0 {
				t.Error("final stage has no USER: it would run as root")
			} else if u := strings.Split(users[len(users)-1], ":")[0]; u == "root" || u == "0" {
				t.Errorf("final stage runs as %s", users[len(users)-1])
			}
			if ep := df.find(final, "ENTRYPOINT"); len(ep) == 0 || ep[0] != `["/`+svc+`"]` {
				t.Errorf("ENTRYPOINT %v, want [\"/%s\"]", ep, svc)
			}
			if port, long := servicePorts[svc]; long {
				probe := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
				hc := strings.Join(df.find(final, "HEALTHCHECK"), " ")
				if !strings.Contains(hc, `"/healthcheck", "`+probe+`"`) {
					t.Errorf("HEALTHCHECK %q does not probe %s", hc, probe)
				}
			}
			if _, err := os.Stat(path + ".dockerignore"); err != nil {
				t.Errorf("no %s.Dockerfile.dockerignore: the whole repository would be sent as context", svc)
			}
		})
	}
}
