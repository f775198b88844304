// Package buildinfo says which build of which service this process is: the
// service name, the version and VCS revision, and the Go version, for the
// build_info metric every service serves and for `--version`.
//
// The version and revision are set at link time:
//
//	go build -ldflags "-X github.com/boardpack/boardpack/services/internal/platform/buildinfo.version=v1.2.3 \
//	                   -X github.com/boardpack/boardpack/services/internal/platform/buildinfo.revision=$(git rev-parse HEAD)"
//
// (the Makefile's build target and every Dockerfile do). A build without
// them falls back to what the Go toolchain recorded: the main module's
// version and the vcs.revision setting, with "-dirty" when the tree had
// uncommitted changes. A build with neither (a Docker build context without
// .git) reports "unknown" rather than an empty label.
package buildinfo

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Set by -ldflags -X; see the package comment.
var (
	version  string
	revision string
)

// Unknown stands for a version or revision nobody recorded.
const Unknown = "unknown"

// Info is one build's identity.
type Info struct {
	Service   string
	Version   string
	Revision  string
	GoVersion string
}

var (
	mu      sync.Mutex
	service string
)

// SetService names the service this process runs (lifecycle.Main does it
// with the name it was given).
func SetService(name string) {
	mu.Lock()
	defer mu.Unlock()
	service = name
}

// Service is the name given to SetService, or else the executable's base
// name without a ".test" suffix (a service's own tests run it in-process).
func Service() string {
	mu.Lock()
	defer mu.Unlock()
	if service != "" {
		return service
	}
	return strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
}

// Get returns this build's identity.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, revision, bi)
}

// resolve prefers the link-time values and falls back to the build info.
func resolve(setVersion, setRevision string, bi *debug.BuildInfo) Info {
	info := Info{Service: Service(), Version: setVersion, Revision: setRevision, GoVersion: runtime.Version()}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "" {
			info.Version = bi.Main.Version
		}
		if info.Revision == "" {
			var rev, dirty string
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					if s.Value == "true" {
						dirty = "-dirty"
					}
				}
			}
			if rev != "" {
				info.Revision = rev + dirty
			}
		}
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
	}
	if info.Version == "" {
		info.Version = Unknown
	}
	if info.Revision == "" {
		info.Revision = Unknown
	}
	return info
}

// Collector is the build_info gauge: 1, labelled with service, version,
// goversion and revision, so a dashboard can tell which build answers.
func Collector(i Info) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "build_info",
		Help: "The running build: always 1, labelled with the service, its version, Go version and VCS revision.",
	}, []string{"service", "version", "goversion", "revision"})
	g.WithLabelValues(i.Service, i.Version, i.GoVersion, i.Revision).Set(1)
	return g
}
