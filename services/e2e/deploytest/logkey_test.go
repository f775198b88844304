package deploytest

import (
	"go/ast"
	"go/constant"
	"go/types"
	"sort"
	"strings"
	"testing"
)

// tenantish reports whether a log key names the tenant, in any spelling:
// tenant, tenant_id, tenantID, tenant-id, TenantId.
func tenantish(key string) bool {
	k := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(key))
	return k == "tenant" || k == "tenantid"
}

// TestOneTenantLogKey: every log attribute that names a tenant, in every
// package of the repository, is logging.TenantKey. It reads the
// type-checked source: the string constants (literals and named
// constants) passed to log/slog (a Logger's Info/With/..., slog.String,
// slog.Any, ...) and the keys of watermill.LogFields literals.
func TestOneTenantLogKey(t *testing.T) {
	want := constString(t, modulePrefix+"services/internal/platform/logging", "TenantKey")
	var bad []string
	uses := 0
	for _, p := range loadCode(t) {
		if p.TypesInfo == nil {
			continue
		}
		check := func(e ast.Expr) {
			tv, ok := p.TypesInfo.Types[e]
			if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
				return
			}
			key := constant.StringVal(tv.Value)
			if !tenantish(key) {
				return
			}
			if key != want {
				bad = append(bad, p.Fset.Position(e.Pos()).String()+": "+key)
				return
			}
			uses++
		}
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if !callsSlog(p.TypesInfo, n) {
						return true
					}
					for _, a := range n.Args {
						check(a)
					}
				case *ast.CompositeLit:
					if named, ok := types.Unalias(p.TypesInfo.TypeOf(n)).(*types.Named); ok &&
						named.Obj().Name() == "LogFields" && named.Obj().Pkg() != nil &&
						strings.HasPrefix(named.Obj().Pkg().Path(), "github.com/ThreeDotsLabs/watermill") {
						for _, el := range n.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								check(kv.Key)
							}
						}
					}
				}
				return true
			})
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Errorf("tenant logged under another key than %q (logging.TenantKey): %s", want, b)
	}
	// The scan must see the key in use, or it checks nothing.
	if uses == 0 {
		t.Errorf("no log call uses %q: the scan found no slog calls", want)
	}
}

// callsSlog reports whether call is a function or method of log/slog.
func callsSlog(info *types.Info, call *ast.CallExpr) bool {
	var id *ast.Ident
	switch fn := ast.Unparen(call.Fun).(type) {
	case *ast.SelectorExpr:
		id = fn.Sel
	case *ast.Ident:
		id = fn
	default:
		return false
	}
	obj, ok := info.Uses[id].(*types.Func)
	return ok && obj.Pkg() != nil && obj.Pkg().Path() == "log/slog"
}
