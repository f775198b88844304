package deploytest

import (
	"go/ast"
	"go/constant"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"golang.org/x/tools/go/packages"
)

// The repository's Go code, type-checked once per test binary (packages
// outside the repository come from export data, so this stays cheap).
const modulePrefix = "github.com/boardpack/boardpack/"

var (
	codeOnce sync.Once
	codePkgs map[string]*packages.Package
	codeErr  error
)

func loadCode(t testing.TB) map[string]*packages.Package {
	t.Helper()
	codeOnce.Do(func() {
		cfg := &packages.Config{
			Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedTypes |
				packages.NeedSyntax | packages.NeedTypesInfo,
			Dir: repoRoot(t),
		}
		pkgs, err := packages.Load(cfg, modulePrefix+"messages/...", modulePrefix+"services/...")
		if err != nil {
			codeErr = err
			return
		}
		codePkgs = map[string]*packages.Package{}
		for _, p := range pkgs {
			codePkgs[p.PkgPath] = p
		}
	})
	if codeErr != nil {
		t.Fatalf("load the repository's packages: %v", codeErr)
	}
	return codePkgs
}

// servicesWithMain lists the directories under services/ that build a
// command (package main): the deployable services.
func servicesWithMain(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "services"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "internal" {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(repoRoot(t), "services", e.Name(), "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "\npackage main\n") || strings.HasPrefix(string(b), "package main\n") {
				out = append(out, e.Name())
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// constString is the value of a string constant declared in a package.
func constString(t testing.TB, pkgPath, name string) string {
	t.Helper()
	p := loadCode(t)[pkgPath]
	if p == nil || p.Types == nil {
		t.Fatalf("package %s not loaded", pkgPath)
	}
	obj := p.Types.Scope().Lookup(name)
	if obj == nil {
		t.Fatalf("%s.%s not found", pkgPath, name)
	}
	c, ok := obj.(interface{ Val() constant.Value })
	if !ok || c.Val().Kind() != constant.String {
		t.Fatalf("%s.%s is not a string constant", pkgPath, name)
	}
	return constant.StringVal(c.Val())
}

// infraNames is what services/internal/platform/resources (names) and
// services/internal/platform/table (the key schema) say the AWS side
// looks like: the deploy module cannot import them (Go's internal rule),
// so the values are read from their type-checked source.
type infraNames struct {
	Topics        []string
	Subscriptions [][2]string // topic, queue
	DLQSuffix     string
	PK, SK        string
	GSI1          string
	GSI1PK        string
	GSI1SK        string
	ExpiresAt     string
}

const (
	infraPkg = modulePrefix + "services/internal/platform/resources"
	tablePkg = modulePrefix + "services/internal/platform/table"
)

func loadInfraNames(t testing.TB) infraNames {
	t.Helper()
	n := infraNames{
		DLQSuffix: constString(t, infraPkg, "DLQSuffix"),
		PK:        constString(t, tablePkg, "AttrPK"),
		SK:        constString(t, tablePkg, "AttrSK"),
		GSI1:      constString(t, tablePkg, "IndexGSI1"),
		GSI1PK:    constString(t, tablePkg, "AttrGSI1PK"),
		GSI1SK:    constString(t, tablePkg, "AttrGSI1SK"),
		ExpiresAt: constString(t, tablePkg, "AttrExpiresAt"),
	}
	p := loadCode(t)[infraPkg]
	for _, f := range p.Syntax {
		ast.Inspect(f, func(node ast.Node) bool {
			vs, ok := node.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
				return true
			}
			lit, ok := vs.Values[0].(*ast.CompositeLit)
			if !ok {
				return true
			}
			switch vs.Names[0].Name {
			case "Topics":
				for _, e := range lit.Elts {
					n.Topics = append(n.Topics, stringValue(t, p, e))
				}
			case "Subscriptions":
				for _, e := range lit.Elts {
					var pair [2]string
					for _, kv := range e.(*ast.CompositeLit).Elts {
						kv := kv.(*ast.KeyValueExpr)
						switch kv.Key.(*ast.Ident).Name {
						case "Topic":
							pair[0] = stringValue(t, p, kv.Value)
						case "Queue":
							pair[1] = stringValue(t, p, kv.Value)
						}
					}
					n.Subscriptions = append(n.Subscriptions, pair)
				}
			}
			return true
		})
	}
	if len(n.Topics) == 0 || len(n.Subscriptions) == 0 {
		t.Fatalf("resources.Topics or resources.Subscriptions not found in %s", infraPkg)
	}
	return n
}

func stringValue(t testing.TB, p *packages.Package, e ast.Expr) string {
	t.Helper()
	tv, ok := p.TypesInfo.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		t.Fatalf("%s: expected a string constant", p.Fset.Position(e.Pos()))
	}
	return constant.StringVal(tv.Value)
}
