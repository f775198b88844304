package deploytest

import (
	"fmt"
	"go/ast"
	"go/types"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// The IAM test derives, from the code, which AWS actions each service
// calls, and requires its role in the template to allow exactly those.
//
// How the calls are found: starting from every function of the service's
// main package (and every init and package-level initialiser of the
// repository packages it imports), it follows references to the
// repository's functions and methods; a call through an interface reaches
// every repository method of that name, and a repository value converted
// to an outside interface (an http.Handler, a watermill resolver) makes
// that interface's methods reachable. In every reachable function, a call
// whose signature takes *<aws-sdk-go-v2/service/X>.<Op>Input is the action
// X:<Op>: that covers SDK clients, the narrow interfaces the code declares
// over them, paginators and waiters alike. The repository's own small
// clients (services/internal/platform/awsjson/X, for services whose
// generated package costs too much RSS) follow the same convention, and
// *<awsjson/X>.<Op>Input is X:<Op> too. Libraries that call AWS on the
// service's behalf (watermill-aws) are described in libraryActions.

// roleOf maps each service to its task role's logical id in the template.
var roleOf = map[string]string{
	"stripe-collector": "StripeCollectorRole",
	"aggregator":       "AggregatorRole",
	"scheduler":        "SchedulerRole",
	"mailer":           "MailerRole",
	"aws-collector":    "AWSCollectorRole",
	"alerter":          "AlerterRole",
	"reportctl":        "ReportctlRole",
}

// notOnAWS lists files whose code never runs against the deployed stack, so
// their calls are not granted. reportctl bootstrap creates resources for
// local runs; on AWS the stack creates them.
var notOnAWS = map[string][]string{
	"reportctl": {"bootstrap.go"},
}

// needNoPermission are actions IAM cannot deny.
var needNoPermission = map[string]bool{
	"sts:GetCallerIdentity": true,
}

// resourceless are actions without a resource type: they may (must) use
// Resource "*". Anything else must name its resources.
var resourceless = map[string]bool{
	"ce:GetCostAndUsage":                     true,
	"ce:GetCostForecast":                     true,
	"cloudwatch:GetMetricData":               true,
	"cloudwatch:GetMetricStatistics":         true,
	"cloudwatch:ListMetrics":                 true,
	"lambda:ListFunctions":                   true,
	"cloudfront:ListDistributions":           true,
	"s3:ListAllMyBuckets":                    true,
	"route53:ListHostedZones":                true,
	"wafv2:ListWebACLs":                      true,
	"tag:GetResources":                       true,
	"sqs:ListQueues":                         true,
	"ses:GetSendQuota":                       true,
	"ses:GetAccount":                         true,
	"sns:ListTopics":                         true,
	"ssm:DescribeParameters":                 true,
	"secretsmanager:ListSecrets":             true,
	"cloudfront:ListDistributionsByWebACLId": true,
}

// iamService maps an SDK package name to its IAM service prefix.
var iamService = map[string]string{
	"sns": "sns", "sqs": "sqs", "dynamodb": "dynamodb", "ses": "ses", "sesv2": "ses",
	"sts": "sts", "ssm": "ssm", "secretsmanager": "secretsmanager", "cloudwatch": "cloudwatch",
	"costexplorer": "ce", "lambda": "lambda", "cloudfront": "cloudfront", "s3": "s3",
	"route53": "route53", "wafv2": "wafv2", "cloudwatchlogs": "logs",
	"resourcegroupstaggingapi": "tag", "cloudformation": "cloudformation", "ecs": "ecs",
}

// iamActions maps SDK operations whose IAM action differs from the
// operation name.
var iamActions = map[string][]string{
	"s3:ListObjectsV2":          {"s3:ListBucket"},
	"s3:HeadBucket":             {"s3:ListBucket"},
	"s3:HeadObject":             {"s3:GetObject"},
	"s3:GetPublicAccessBlock":   {"s3:GetBucketPublicAccessBlock"},
	"s3:ListBuckets":            {"s3:ListAllMyBuckets"},
	"sesv2:SendEmail":           {"ses:SendEmail"},
	"dynamodb:TransactGetItems": {"dynamodb:GetItem"},
	// A transaction needs the action of each item it writes: the code's
	// transactions put items and check conditions.
	"dynamodb:TransactWriteItems": {"dynamodb:PutItem", "dynamodb:ConditionCheckItem"},
	"sqs:SendMessageBatch":        {"sqs:SendMessage"},
	// SNS authorises PublishBatch as sns:Publish; there is no
	// sns:PublishBatch action (cfn-lint's action list agrees).
	"sns:PublishBatch":                 {"sns:Publish"},
	"sqs:DeleteMessageBatch":           {"sqs:DeleteMessage"},
	"sqs:ChangeMessageVisibilityBatch": {"sqs:ChangeMessageVisibility"},
	"dynamodb:BatchWriteItem":          {"dynamodb:BatchWriteItem"},
}

const (
	sdkServicePrefix = "github.com/aws/aws-sdk-go-v2/service/"
	// awsjsonPrefix holds the repository's own clients of SDK services,
	// one package per service, named as the SDK's.
	awsjsonPrefix = modulePrefix + "services/internal/platform/awsjson/"
	watermillAWS  = "github.com/ThreeDotsLabs/watermill-aws/"
	stscreds      = "github.com/aws/aws-sdk-go-v2/credentials/stscreds"
)

// libraryPackages call AWS on the caller's behalf: every constructor the
// code uses from them must be described in libraryActions.
var libraryPackages = []string{watermillAWS, stscreds}

// libraryActions describes what those libraries call, keyed by the
// constructor the service uses; orCreate is added when the config does not
// switch runtime creation off with the named field.
var libraryActions = map[string]struct {
	actions   []string
	noCreate  string
	orCreate  []string
	forbidden string
}{
	watermillAWS + "sns.NewPublisher": {
		actions:  []string{"sns:Publish"},
		noCreate: "DoNotCreateTopicIfNotExists", orCreate: []string{"sns:CreateTopic"},
	},
	watermillAWS + "sqs.NewSubscriber": {
		// The default resolver looks the URL up; Nack changes nothing, so
		// no ChangeMessageVisibility.
		actions:  []string{"sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:DeleteMessage"},
		noCreate: "DoNotCreateQueueIfNotExists", orCreate: []string{"sqs:CreateQueue", "sqs:GetQueueAttributes"},
	},
	watermillAWS + "sqs.NewPublisher": {
		actions:  []string{"sqs:GetQueueUrl", "sqs:SendMessage"},
		noCreate: "DoNotCreateQueueIfNotExists", orCreate: []string{"sqs:CreateQueue", "sqs:GetQueueAttributes"},
	},
	stscreds + ".NewAssumeRoleProvider": {
		// Tenants' roles in their own accounts (aws.role_arn).
		actions: []string{"sts:AssumeRole"},
	},
	stscreds + ".NewWebIdentityRoleProvider": {
		actions: []string{"sts:AssumeRoleWithWebIdentity"},
	},
	watermillAWS + "sns.NewSubscriber": {
		forbidden: "the SNS subscriber subscribes queues and rewrites queue policies at run time; read the queue with the SQS subscriber",
	},
}

// A call site found in the code: the action and where.
type awsCall struct {
	action string
	pos    string
}

// derivedActions is the set of IAM actions a service's code calls, each
// with one place that calls it.
func derivedActions(t *testing.T, service string) (map[string]string, error) {
	t.Helper()
	pkgs := loadCode(t)
	main := pkgs[modulePrefix+"services/"+service]
	if main == nil {
		return nil, fmt.Errorf("package services/%s not loaded", service)
	}
	// The repository packages linked into the service.
	closure := map[string]*packages.Package{}
	var visit func(p *packages.Package)
	visit = func(p *packages.Package) {
		if closure[p.PkgPath] != nil || !strings.HasPrefix(p.PkgPath, modulePrefix) {
			return
		}
		full := pkgs[p.PkgPath]
		if full == nil {
			full = p
		}
		closure[p.PkgPath] = full
		for _, imp := range full.Imports {
			visit(imp)
		}
	}
	visit(main)
	for path, p := range closure {
		if len(p.Errors) > 0 {
			return nil, fmt.Errorf("package %s does not type-check: %v", path, p.Errors[0])
		}
	}

	g := buildGraph(closure, notOnAWS[service])
	reached := map[string]bool{}
	var queue []string
	push := func(k string) {
		if !reached[k] {
			reached[k] = true
			queue = append(queue, k)
		}
	}
	for k, fn := range g.funcs {
		if fn.pkg == main.PkgPath || fn.isInit {
			push(k)
		}
	}
	calls := []awsCall{}
	var errs []string
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		fn := g.funcs[k]
		for _, ref := range fn.refs {
			for _, target := range g.resolve(ref) {
				push(target)
			}
		}
		calls = append(calls, fn.calls...)
		errs = append(errs, fn.errs...)
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	out := map[string]string{}
	for _, c := range calls {
		if needNoPermission[c.action] {
			continue
		}
		if _, ok := out[c.action]; !ok || c.pos < out[c.action] {
			out[c.action] = c.pos
		}
	}
	return out, nil
}

// graph is the repository's functions (func literals belong to their
// enclosing declaration; package-level initialisers to a per-package init
// node) with their references and AWS calls.
type graph struct {
	funcs map[string]*fnode
	// byName lists the method keys of each method name, for calls through
	// interfaces.
	byName map[string][]string
}

type fnode struct {
	pkg    string
	isInit bool
	refs   []ref
	calls  []awsCall
	errs   []string
}

// ref is a reference to a function or method, or to the methods of a type
// converted to an interface.
type ref struct {
	key       string
	iface     bool   // a call through an interface: every method of the name
	name      string // the method name, for iface
	typeKey   string // methods of this type named in methods are reachable
	ifMethods []string
}

func (g *graph) resolve(r ref) []string {
	switch {
	case r.iface:
		return g.byName[r.name]
	case r.typeKey != "":
		var out []string
		for _, m := range r.ifMethods {
			k := r.typeKey + "." + m
			if g.funcs[k] != nil {
				out = append(out, k)
			}
		}
		return out
	default:
		if g.funcs[r.key] != nil {
			return []string{r.key}
		}
		return nil
	}
}

// funcKey names a function or method the same way whether its package was
// type-checked from source or read from export data.
func funcKey(f *types.Func) string {
	sig := f.Type().(*types.Signature)
	if recv := sig.Recv(); recv != nil {
		return typeKey(recv.Type()) + "." + f.Name()
	}
	if f.Pkg() == nil {
		return f.Name()
	}
	return f.Pkg().Path() + "." + f.Name()
}

// typeKey names a named type, pointer or not.
func typeKey(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		obj := n.Origin().Obj()
		if obj.Pkg() != nil {
			return obj.Pkg().Path() + "." + obj.Name()
		}
		return obj.Name()
	}
	return t.String()
}

func inRepo(obj types.Object) bool {
	return obj != nil && obj.Pkg() != nil && strings.HasPrefix(obj.Pkg().Path(), modulePrefix)
}

func buildGraph(closure map[string]*packages.Package, excludedFiles []string) *graph {
	g := &graph{funcs: map[string]*fnode{}, byName: map[string][]string{}}
	for _, p := range closure {
		initNode := &fnode{pkg: p.PkgPath, isInit: true}
		g.funcs[p.PkgPath+".init#vars"] = initNode
		for i, f := range p.Syntax {
			if excluded(p, i, excludedFiles) {
				continue
			}
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					obj, _ := p.TypesInfo.Defs[d.Name].(*types.Func)
					if obj == nil || d.Body == nil {
						continue
					}
					k := funcKey(obj)
					if d.Recv == nil && d.Name.Name == "init" {
						k = fmt.Sprintf("%s.init#%d", p.PkgPath, d.Pos())
					}
					n := &fnode{pkg: p.PkgPath, isInit: d.Recv == nil && d.Name.Name == "init"}
					scan(p, d.Body, n)
					g.funcs[k] = n
					if d.Recv != nil {
						g.byName[d.Name.Name] = append(g.byName[d.Name.Name], k)
					}
				case *ast.GenDecl:
					scan(p, d, initNode)
				}
			}
		}
	}
	return g
}

func excluded(p *packages.Package, i int, files []string) bool {
	if len(files) == 0 {
		return false
	}
	name := filepath.Base(p.Fset.Position(p.Syntax[i].Pos()).Filename)
	for _, f := range files {
		if f == name {
			return true
		}
	}
	return false
}

// scan records what a function body (or declaration) refers to and calls.
func scan(p *packages.Package, root ast.Node, n *fnode) {
	info := p.TypesInfo
	ast.Inspect(root, func(node ast.Node) bool {
		switch x := node.(type) {
		case *ast.Ident:
			f, ok := info.Uses[x].(*types.Func)
			if !ok || !inRepo(f) {
				return true
			}
			sig := f.Type().(*types.Signature)
			if recv := sig.Recv(); recv != nil && types.IsInterface(recv.Type()) {
				n.refs = append(n.refs, ref{iface: true, name: f.Name()})
			} else {
				n.refs = append(n.refs, ref{key: funcKey(f)})
			}
		case *ast.CallExpr:
			scanCall(p, x, n)
		case *ast.CompositeLit:
			// Repository values stored in interface-typed fields.
			st, ok := under[*types.Struct](info.TypeOf(x))
			if !ok {
				return true
			}
			for _, e := range x.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key, ok := kv.Key.(*ast.Ident)
				if !ok {
					continue
				}
				for i := 0; i < st.NumFields(); i++ {
					if st.Field(i).Name() == key.Name {
						converted(info, st.Field(i).Type(), kv.Value, n)
					}
				}
			}
		case *ast.AssignStmt:
			if len(x.Lhs) == len(x.Rhs) {
				for i := range x.Lhs {
					converted(info, info.TypeOf(x.Lhs[i]), x.Rhs[i], n)
				}
			}
		}
		return true
	})
}

func under[T types.Type](t types.Type) (T, bool) {
	var zero T
	if t == nil {
		return zero, false
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	v, ok := t.Underlying().(T)
	return v, ok
}

// converted records a repository value assigned to an interface type: the
// interface's methods of that value are reachable.
func converted(info *types.Info, target types.Type, value ast.Expr, n *fnode) {
	if target == nil || !types.IsInterface(target) {
		return
	}
	vt := info.TypeOf(value)
	if vt == nil || types.IsInterface(vt) {
		return
	}
	base := vt
	if p, ok := vt.(*types.Pointer); ok {
		base = p.Elem()
	}
	named, ok := types.Unalias(base).(*types.Named)
	if !ok || !inRepo(named.Obj()) {
		return
	}
	iface := target.Underlying().(*types.Interface)
	r := ref{typeKey: typeKey(named)}
	for i := 0; i < iface.NumMethods(); i++ {
		r.ifMethods = append(r.ifMethods, iface.Method(i).Name())
	}
	n.refs = append(n.refs, r)
}

func scanCall(p *packages.Package, call *ast.CallExpr, n *fnode) {
	info := p.TypesInfo
	pos := p.Fset.Position(call.Pos())
	where := fmt.Sprintf("%s:%d", shortPath(pos.Filename), pos.Line)
	sig, ok := types.Unalias(info.TypeOf(call.Fun)).(*types.Signature)
	if !ok {
		return // a conversion
	}
	// Arguments passed to interface parameters.
	for i, arg := range call.Args {
		if i < sig.Params().Len() {
			converted(info, sig.Params().At(i).Type(), arg, n)
		}
	}
	for i := 0; i < sig.Params().Len(); i++ {
		pt, ok := sig.Params().At(i).Type().(*types.Pointer)
		if !ok {
			continue
		}
		named, ok := types.Unalias(pt.Elem()).(*types.Named)
		if !ok || named.Obj().Pkg() == nil {
			continue
		}
		path := named.Obj().Pkg().Path()
		op, isInput := strings.CutSuffix(named.Obj().Name(), "Input")
		prefix := sdkServicePrefix
		if strings.HasPrefix(path, awsjsonPrefix) {
			prefix = awsjsonPrefix
		}
		if !strings.HasPrefix(path, prefix) || !isInput || strings.Contains(strings.TrimPrefix(path, prefix), "/") {
			continue
		}
		pkg := named.Obj().Pkg().Name()
		svc, known := iamService[pkg]
		if !known {
			n.errs = append(n.errs, fmt.Sprintf("%s: %s.%s: add the IAM prefix of SDK package %q to iamService", where, pkg, op, pkg))
			continue
		}
		actions, special := iamActions[pkg+":"+op]
		if !special {
			actions = []string{svc + ":" + op}
		}
		for _, a := range actions {
			n.calls = append(n.calls, awsCall{action: a, pos: where})
		}
	}
	// Libraries that call AWS themselves.
	var callee *types.Func
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.SelectorExpr:
		callee, _ = info.Uses[f.Sel].(*types.Func)
	case *ast.Ident:
		callee, _ = info.Uses[f].(*types.Func)
	}
	if callee == nil || callee.Pkg() == nil || sig.Recv() != nil {
		return // methods of values made by a constructor below
	}
	isLib := false
	for _, l := range libraryPackages {
		isLib = isLib || strings.HasPrefix(callee.Pkg().Path(), l)
	}
	if !isLib {
		return
	}
	name := callee.Pkg().Path() + "." + callee.Name()
	lib, known := libraryActions[name]
	switch {
	case !known:
		if strings.HasPrefix(callee.Name(), "New") {
			n.errs = append(n.errs, fmt.Sprintf("%s: %s: describe what it calls in libraryActions", where, name))
		}
		return
	case lib.forbidden != "":
		n.errs = append(n.errs, fmt.Sprintf("%s: %s: %s", where, name, lib.forbidden))
		return
	}
	for _, a := range lib.actions {
		n.calls = append(n.calls, awsCall{action: a, pos: where})
	}
	if lib.noCreate != "" && (len(call.Args) == 0 || !setsTrue(info, call.Args[0], lib.noCreate)) {
		for _, a := range lib.orCreate {
			n.calls = append(n.calls, awsCall{action: a, pos: where + " (runtime creation not switched off: " + lib.noCreate + ")"})
		}
	}
}

// setsTrue reports whether a composite literal sets field to true.
func setsTrue(info *types.Info, e ast.Expr, field string) bool {
	lit, ok := ast.Unparen(e).(*ast.CompositeLit)
	if !ok {
		return false
	}
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if k, ok := kv.Key.(*ast.Ident); ok && k.Name == field {
			tv := info.Types[kv.Value]
			return tv.Value != nil && tv.Value.String() == "true"
		}
	}
	return false
}

func shortPath(file string) string {
	if i := strings.Index(file, "/services/"); i >= 0 {
		return file[i+1:]
	}
	return file
}

// roleActions lists what a role's inline policies allow, and the problems
// of its statements (wildcards, unnamed resources).
func roleActions(tpl template, roleID string) (map[string]bool, []string) {
	role, ok := tpl.Resources[roleID]
	if !ok || role.Type != "AWS::IAM::Role" {
		return nil, []string{fmt.Sprintf("no AWS::IAM::Role %s in the template", roleID)}
	}
	actions := map[string]bool{}
	var problems []string
	policies, _ := role.Properties["Policies"].([]any)
	for _, pol := range policies {
		doc, _ := pol.(map[string]any)["PolicyDocument"].(map[string]any)
		stmts, _ := doc["Statement"].([]any)
		for _, s := range stmts {
			st := s.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			acts := stringsOf(st["Action"])
			resources := st["Resource"]
			star := false
			for _, r := range asList(resources) {
				if r == "*" {
					star = true
				}
			}
			for _, a := range acts {
				if strings.Contains(a, "*") {
					problems = append(problems, fmt.Sprintf("%s allows the wildcard action %q", roleID, a))
				}
				if star && !resourceless[a] {
					problems = append(problems, fmt.Sprintf("%s allows %s on Resource \"*\": name the resources", roleID, a))
				}
				actions[a] = true
			}
		}
	}
	return actions, problems
}

func asList(v any) []any {
	if v == nil {
		return nil
	}
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func stringsOf(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestIAMRolesAllowExactlyWhatTheCodeCalls(t *testing.T) {
	tpl := loadTemplate(t)
	services := servicesWithMain(t)
	for _, svc := range services {
		t.Run(svc, func(t *testing.T) {
			roleID, ok := roleOf[svc]
			if !ok {
				t.Fatalf("service %s has no role in roleOf (and the template): add one", svc)
			}
			want, err := derivedActions(t, svc)
			if err != nil {
				t.Fatal(err)
			}
			got, problems := roleActions(tpl, roleID)
			for _, p := range problems {
				t.Error(p)
			}
			var missing, extra []string
			for a, where := range want {
				if !got[a] {
					missing = append(missing, a+" (called at "+where+")")
				}
			}
			for a := range got {
				if _, ok := want[a]; !ok {
					extra = append(extra, a)
				}
			}
			sort.Strings(missing)
			sort.Strings(extra)
			if len(missing) > 0 {
				t.Errorf("%s lacks actions %s's code calls:\n  %s", roleID, svc, strings.Join(missing, "\n  "))
			}
			if len(extra) > 0 {
				t.Errorf("%s allows actions %s's code never calls:\n  %s", roleID, svc, strings.Join(extra, "\n  "))
			}
			if t.Failed() || testing.Verbose() {
				all := make([]string, 0, len(want))
				for a, where := range want {
					all = append(all, a+"\t"+where)
				}
				sort.Strings(all)
				t.Logf("%s calls:\n  %s", svc, strings.Join(all, "\n  "))
			}
		})
	}
	// Every role in roleOf belongs to a service that exists.
	for svc := range roleOf {
		if !contains(services, svc) {
			t.Errorf("roleOf names %s, which is not a service under services/", svc)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
