package importcmd_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/importer"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/importcmd"
)

// importEnv is a bootstrapped deployment with the demo tenants applied.
type importEnv struct {
	env   mototest.Env
	queue string
	sqs   *sqs.Client
	rm    readmodel.Store
}

func newImportEnv(t testing.TB) importEnv {
	t.Helper()
	env := mototest.Bootstrap(t, resources.Spec{})
	f, err := os.Open(repoFile(t, "deploy/demo/tenants.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := tenants.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(env.AWS)
	if err := (tenants.Store{DB: db, Table: env.Names.Table}).Apply(context.Background(), file); err != nil {
		t.Fatal(err)
	}
	return importEnv{
		env:   env,
		queue: env.Resource.QueueURLs[resources.QueueAggregatorMetrics],
		sqs:   sqs.NewFromConfig(env.AWS),
		rm:    readmodel.Store{DB: db, Table: env.Names.Table},
	}
}

// drain reads and deletes every message on the aggregator's queue, and
// returns its distinct events (by event id), until a
// one-second long poll finds none (moto delivers SNS to SQS during
// Publish, so they are all there by then).
func (e importEnv) drain(t testing.TB) []messages.MetricEvent {
	t.Helper()
	ctx := context.Background()
	var out []messages.MetricEvent
	seen := map[string]bool{}
	for {
		res, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(e.queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			return out
		}
		for _, m := range res.Messages {
			var ev messages.MetricEvent
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatalf("body %q: %v", aws.ToString(m.Body), err)
			}
			// Delivery is at least once: an SDK retry of a Publish whose
			// answer was lost (moto closes every connection) delivers the
			// event twice, and the aggregator keeps it once. What an
			// import publishes is its distinct events.
			if !seen[ev.EventID] {
				seen[ev.EventID] = true
				out = append(out, ev)
			}
			if _, err := e.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(e.queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// aggregate records events in the read model as the aggregator would.
func (e importEnv) aggregate(t *testing.T, events []messages.MetricEvent) {
	t.Helper()
	for _, ev := range events {
		if _, err := e.rm.PutFact(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

func writeImportFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImportPublishesOnceRefusesBadFilesAndReplacesCorrections(t *testing.T) {
	mototest.Endpoint(t)
	ie := newImportEnv(t)
	names := ie.env.Names
	const tenant = "queen-of-san-diego" // USD, America/Los_Angeles
	october := writeImportFile(t, "expenses.csv", "date,category,vendor,amount,account_code\n"+
		"2026-10-01,Rent,Harbor Properties,4500.00,6200\n"+
		"2026-10-03,Hosting,AWS,312.40,6100\n"+
		"2026-10-15,Fuel,Chevron,880.15,6400\n")
	importArgs := func(file string) []string {
		return []string{"import", "--tenant", tenant, "--kind", "expenses", file}
	}

	r := cli(t, names, importArgs(october)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "3 rows, 3 events published") {
		t.Fatalf("import: exit %d\nstdout %s\nstderr %s", r.Code, r.Stdout, r.Stderr)
	}
	first := ie.drain(t)
	if len(first) != 3 {
		t.Fatalf("published %d events, want 3: %+v", len(first), first)
	}
	for _, e := range first {
		if e.TenantID != tenant || e.Metric != messages.MetricExpense || e.Currency != "USD" || e.Source != messages.SourceImport {
			t.Errorf("event %+v", e)
		}
	}
	ie.aggregate(t, first)

	// The same file again: nothing published.
	r = cli(t, names, importArgs(october)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "unchanged") {
		t.Fatalf("re-import: exit %d\nstdout %s\nstderr %s", r.Code, r.Stdout, r.Stderr)
	}
	if again := ie.drain(t); len(again) != 0 {
		t.Fatalf("re-import published %d events", len(again))
	}

	// One bad line among good ones: nothing published, the line named.
	bad := writeImportFile(t, "expenses-bad.csv", "date,category,vendor,amount,account_code\n"+
		"2026-10-01,Rent,Harbor Properties,4500.00,6200\n"+
		"2026-10-03,Hosting,AWS,31x.40,6100\n"+
		"2026-10-21,Fuel,Chevron,900.00,6400\n")
	r = cli(t, names, importArgs(bad)...)
	if r.Code != 1 || !strings.Contains(r.Stderr, bad+": line 3, column 4 (amount): \"31x.40\" is not an amount") ||
		!strings.Contains(r.Stderr, "1 problem; nothing imported") {
		t.Fatalf("bad file: exit %d\nstderr %s", r.Code, r.Stderr)
	}
	if leaked := ie.drain(t); len(leaked) != 0 {
		t.Fatalf("a bad file published %d events", len(leaked))
	}

	// A corrected file: AWS amount fixed, the fuel row removed.
	corrected := writeImportFile(t, "expenses.csv", "Date;Category;Vendor;Amount;Account Code\n"+
		"2026-10-01;Rent;Harbor Properties;4500,00;6200\n"+
		"2026-10-03;Hosting;AWS;298,10;6100\n")
	r = cli(t, names, importArgs(corrected)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "2 rows, 3 events published, 1 earlier rows removed (the file replaces 2026-10)") {
		t.Fatalf("corrected import: exit %d\nstdout %s\nstderr %s", r.Code, r.Stdout, r.Stderr)
	}
	second := ie.drain(t)
	if len(second) != 3 {
		t.Fatalf("corrected import published %d events, want 2 rows and 1 removal", len(second))
	}
	ie.aggregate(t, second)
	// Duplicates change nothing either (the aggregator may see them twice).
	ie.aggregate(t, second)

	la, _ := time.LoadLocation("America/Los_Angeles")
	from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, la), time.Date(2026, 11, 1, 0, 0, 0, 0, la)
	facts, err := ie.rm.Facts(context.Background(), tenant, messages.MetricExpense, time.Time{}, to)
	if err != nil {
		t.Fatal(err)
	}
	if got := readmodel.Change(facts, from, to); got != 479810 {
		t.Errorf("october expenses after the correction: %d cents, want 479810", got)
	}

	// The corrected file again: unchanged.
	r = cli(t, names, importArgs(corrected)...)
	if r.Code != 0 || !strings.Contains(r.Stdout, "unchanged") {
		t.Fatalf("re-import of the corrected file: exit %d\nstdout %s", r.Code, r.Stdout)
	}
	if again := ie.drain(t); len(again) != 0 {
		t.Fatalf("re-import published %d events", len(again))
	}
}

func TestImportRefusals(t *testing.T) {
	mototest.Endpoint(t)
	ie := newImportEnv(t)
	names := ie.env.Names
	cash := writeImportFile(t, "cash.csv", "date,account,balance\n2026-10-31,Checking,182400.10\n")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", "--tenant", "nobody", "--kind", "cash", cash}, 1, `unknown tenant "nobody"`},
		{[]string{"import", "--tenant", "jada", "--kind", "cash", "--max-bytes", "10", cash}, 1, "over the limit of 10"},
		{[]string{"import", "--tenant", "jada", "--kind", "cash", filepath.Join(t.TempDir(), "missing.csv")}, 1, "no such file"},
		{[]string{"import", "--tenant", "jada", "--kind", "payroll", cash}, 2, `unknown kind "payroll"`},
		{[]string{"import", "--kind", "cash", cash}, 2, "--tenant ID is required"},
		{[]string{"import", "--tenant", "jada", "--kind", "cash"}, 2, "FILE is required"},
		{[]string{"import", "--tenant", "jada", "--kind", "expenses", cash}, 1, `missing required column "category"`},
		{[]string{"import", "--tenant", "jada", "--kind", "cash", writeImportFile(t, "neg.csv", "date,account,balance\n2026-10-31,Checking,-1\n")}, 1, "line 2, column 3 (balance): negative balance"},
		{[]string{"import", "--tenant", "jada", "--kind", "cash", writeImportFile(t, "empty.csv", "")}, 1, "empty file"},
	}
	for _, c := range cases {
		r := cli(t, names, c.args...)
		if r.Code != c.code || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("reportctl %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, r.Code, r.Stderr, c.code, c.want)
		}
	}
	// --check validates and publishes nothing; flags may follow FILE.
	r := cli(t, names, "import", cash, "--tenant", "jada", "--kind", "cash", "--check")
	if r.Code != 0 || !strings.Contains(r.Stdout, "valid cash file for jada: 1 rows, 1 events") {
		t.Errorf("--check: exit %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if leaked := ie.drain(t); len(leaked) != 0 {
		t.Fatalf("refused imports published %d events", len(leaked))
	}
}

// Every demo file (deploy/demo/<tenant>.<kind>.csv) is valid for its
// tenant, as `make run` imports them.
func TestDemoFilesAreValid(t *testing.T) {
	f, err := os.Open(repoFile(t, "deploy/demo/tenants.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := tenants.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]tenants.Tenant{}
	for _, tn := range file.Tenants {
		byID[tn.ID] = tn
	}
	paths, err := filepath.Glob(filepath.Join(filepath.Dir(repoFile(t, "deploy/demo/tenants.yaml")), "*.csv"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no demo files: %v", err)
	}
	kinds := map[importer.Kind]int{}
	for _, p := range paths {
		base := strings.TrimSuffix(filepath.Base(p), ".csv")
		id, kindName, ok := strings.Cut(base, ".")
		tn, known := byID[id]
		kind, kerr := importer.ParseKind(kindName)
		if !ok || !known || kerr != nil {
			t.Errorf("%s: want <tenant>.<kind>.csv with a demo tenant and a kind", p)
			continue
		}
		kinds[kind]++
		sum, err := importcmd.ScanFile(p, importer.Options{TenantID: id, Kind: kind, Currency: tn.Currency,
			Location: tn.Location(), Version: time.Now().UnixMilli()}, nil)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if sum.Rows == 0 {
			t.Errorf("%s: no rows", p)
		}
	}
	for _, k := range importer.Kinds {
		if kinds[k] == 0 {
			t.Errorf("no demo file of kind %s", k)
		}
	}
}

// All of a demo tenant's files import, and importing them again publishes
// nothing.
func TestImportDemoTenant(t *testing.T) {
	mototest.Endpoint(t)
	ie := newImportEnv(t)
	const tenant = "queen-of-san-diego"
	paths, _ := filepath.Glob(filepath.Join(repoFile(t, "deploy/demo"), tenant+".*.csv"))
	if len(paths) != len(importer.Kinds) {
		t.Fatalf("want a demo file per kind for %s, got %v", tenant, paths)
	}
	for round := range 2 {
		for _, p := range paths {
			kind := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), tenant+"."), ".csv")
			r := cli(t, ie.env.Names, "import", "--tenant", tenant, "--kind", kind, p)
			if r.Code != 0 {
				t.Fatalf("import %s: exit %d: %s", p, r.Code, r.Stderr)
			}
			got := ie.drain(t)
			if round == 1 {
				if len(got) != 0 || !strings.Contains(r.Stdout, "unchanged") {
					t.Errorf("re-import of %s published %d events: %s", p, len(got), r.Stdout)
				}
				continue
			}
			want := fmt.Sprintf("%d events published", len(got))
			if len(got) == 0 || !strings.Contains(r.Stdout, want) {
				t.Errorf("import of %s: %q, and %d events on the queue", p, r.Stdout, len(got))
			}
			for _, e := range got {
				if err := e.Validate(); err != nil || e.TenantID != tenant {
					t.Errorf("event %+v: %v", e, err)
				}
			}
		}
	}
}

// An import that stopped half way (its log says incomplete) is finished by
// running it again: the same version, so the events already out are the
// very same events.
func TestImportFinishesAnInterruptedImport(t *testing.T) {
	mototest.Endpoint(t)
	ie := newImportEnv(t)
	file := writeImportFile(t, "targets.csv", "month,metric,amount\n2026-11,revenue,25000\n2026-12,revenue,27000\n")
	tn := tenants.Tenant{ID: "jada", Currency: "USD", Timezone: "America/New_York"}
	sum, err := importcmd.ScanFile(file, importer.Options{TenantID: tn.ID, Kind: importer.Targets, Currency: tn.Currency,
		Location: tn.Location(), Version: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const version = int64(1764000000000)
	if err := importcmd.RecordStarted(context.Background(), dynamodb.NewFromConfig(ie.env.AWS), ie.env.Names.Table, tn.ID, importer.Targets,
		file, sum, version); err != nil {
		t.Fatal(err)
	}
	r := cli(t, ie.env.Names, "import", "--tenant", tn.ID, "--kind", "targets", file)
	if r.Code != 0 {
		t.Fatalf("exit %d: %s", r.Code, r.Stderr)
	}
	got := ie.drain(t)
	if len(got) != 2 {
		t.Fatalf("%d events", len(got))
	}
	for _, e := range got {
		if e.Version != version {
			t.Errorf("event version %d, want the interrupted import's %d", e.Version, version)
		}
	}
	if r := cli(t, ie.env.Names, "import", "--tenant", tn.ID, "--kind", "targets", file); !strings.Contains(r.Stdout, "unchanged") {
		t.Errorf("after finishing: %s %s", r.Stdout, r.Stderr)
	}
}
