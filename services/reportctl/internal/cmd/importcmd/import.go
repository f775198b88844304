// Package importcmd is `reportctl import`: bring a CSV of expenses, cash,
// targets, channels or pipeline into a tenant's figures, validated whole
// and idempotent (package importer does the parsing; this package keeps
// the import log and publishes).
package importcmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/importer"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/table"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// importPublishBatch is how many events go to one Publish call.
const importPublishBatch = 100

// The import log lives in the tenant's partition under IMPORT# (the key
// shapes are package table's):
//
//	IMPORT#<kind>#LATEST            the last import of the kind: digest, version, complete
//	IMPORT#<kind>#V#<version>       one item per import, for the record
//
// LATEST decides the version of an import: the same content as the last
// import reuses its version (so its events are the very same events), any
// other content gets a new, higher version (so it wins). LATEST is written
// with a condition on the version it replaces, so two concurrent imports
// of one kind cannot both believe they are the latest.
const (
	importAttrDigest   = "digest"
	importAttrVersion  = "version"
	importAttrComplete = "complete"
	importAttrFile     = "file"
	importAttrRows     = "rows"
	importAttrEvents   = "events"
	importAttrRemoved  = "removed"
	importAttrAt       = "imported_at"
)

type importLogAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

type importRecord struct {
	Digest   string
	Version  int64
	Complete bool
	File     string
	Rows     int
	Events   int
	Removed  int
}

type importLog struct {
	db    importLogAPI
	table string
}

func importLatestKey(kind importer.Kind) string { return table.ImportLatestSK(string(kind)) }

func (l importLog) latest(ctx context.Context, tenantID string, kind importer.Kind) (importRecord, bool, error) {
	out, err := l.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(l.table),
		ConsistentRead: aws.Bool(true),
		Key:            table.Key(tenantID, importLatestKey(kind)),
	})
	if err != nil {
		return importRecord{}, false, fmt.Errorf("read import log: %w", err)
	}
	if len(out.Item) == 0 {
		return importRecord{}, false, nil
	}
	var r importRecord
	if v, ok := out.Item[importAttrDigest].(*types.AttributeValueMemberS); ok {
		r.Digest = v.Value
	}
	if v, ok := out.Item[importAttrVersion].(*types.AttributeValueMemberN); ok {
		r.Version, _ = strconv.ParseInt(v.Value, 10, 64)
	}
	if v, ok := out.Item[importAttrComplete].(*types.AttributeValueMemberBOOL); ok {
		r.Complete = v.Value
	}
	if v, ok := out.Item[importAttrFile].(*types.AttributeValueMemberS); ok {
		r.File = v.Value
	}
	return r, true, nil
}

// errConcurrentImport: LATEST changed since it was read.
var errConcurrentImport = errors.New("another import of this kind for this tenant ran at the same time; run this one again")

// record writes LATEST (conditionally on prev) and the per-version item.
func (l importLog) record(ctx context.Context, tenantID string, kind importer.Kind, r importRecord, prev *importRecord) error {
	item := func(sk string) map[string]types.AttributeValue {
		it := table.Key(tenantID, sk)
		it[importAttrDigest] = table.S(r.Digest)
		it[importAttrVersion] = table.N(r.Version)
		it[importAttrComplete] = &types.AttributeValueMemberBOOL{Value: r.Complete}
		it[importAttrFile] = table.S(r.File)
		it[importAttrRows] = table.N(int64(r.Rows))
		it[importAttrEvents] = table.N(int64(r.Events))
		it[importAttrRemoved] = table.N(int64(r.Removed))
		it[importAttrAt] = table.S(time.UnixMilli(r.Version).UTC().Format(time.RFC3339Nano))
		return it
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(l.table), Item: item(importLatestKey(kind))}
	if prev == nil {
		in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		in.ExpressionAttributeNames = map[string]string{"#pk": table.AttrPK}
	} else {
		in.ConditionExpression = aws.String("#v = :v")
		in.ExpressionAttributeNames = map[string]string{"#v": importAttrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":v": table.N(prev.Version),
		}
	}
	_, err := l.db.PutItem(ctx, in)
	if table.IsConditionalCheckFailed(err) {
		return errConcurrentImport
	}
	if err != nil {
		return fmt.Errorf("write import log: %w", err)
	}
	_, err = l.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(l.table),
		Item:      item(table.ImportVersionSK(string(kind), r.Version)),
	})
	if err != nil {
		return fmt.Errorf("write import log: %w", err)
	}
	return nil
}

type importArgs struct {
	tenant, file string
	kind         importer.Kind
	check        bool
	keepMissing  bool
	maxBytes     int64
}

// Command is `reportctl import`.
func Command(a *app.App) *cobra.Command {
	var ia importArgs
	var kind string
	c := &cobra.Command{
		Use:   "import --tenant ID --kind KIND [--check] [--keep-missing] FILE",
		Short: "import a CSV of expenses, cash, targets, channels or pipeline (validated whole, idempotent)",
		Long: `Import a CSV file into a tenant's figures. KIND is expenses, cash, targets,
channels or pipeline. The whole file is checked first: each problem is printed
with its line, column and reason, and nothing is imported. Importing the same
content again publishes nothing; a changed file replaces the months (or, for
pipeline, the whole pipeline) it covers unless --keep-missing.`,
		Args: func(_ *cobra.Command, args []string) error {
			switch len(args) {
			case 0:
				return app.Usagef("FILE is required")
			case 1:
				return nil
			}
			return app.Usagef("one FILE at a time, got %d", len(args))
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var problems []string
			if ia.tenant == "" {
				problems = append(problems, "--tenant ID is required")
			} else if !messages.ValidTenantID(ia.tenant) {
				problems = append(problems, fmt.Sprintf("invalid tenant id %q", ia.tenant))
			}
			if kind == "" {
				problems = append(problems, "--kind is required")
			} else if k, err := importer.ParseKind(kind); err != nil {
				problems = append(problems, err.Error())
			} else {
				ia.kind = k
			}
			if ia.maxBytes <= 0 {
				problems = append(problems, "--max-bytes must be positive")
			}
			if len(problems) > 0 {
				return app.Usagef("%s", strings.Join(problems, "; "))
			}
			ia.file = args[0]
			return runImport(cmd.Context(), a, ia)
		},
	}
	f := c.Flags()
	f.StringVar(&ia.tenant, "tenant", "", "tenant id")
	f.StringVar(&kind, "kind", "", "expenses, cash, targets, channels or pipeline")
	f.BoolVar(&ia.check, "check", false, "validate only; publish nothing")
	f.BoolVar(&ia.keepMissing, "keep-missing", false, "do not remove earlier rows missing from this file (incremental files)")
	f.Int64Var(&ia.maxBytes, "max-bytes", importer.DefaultMaxBytes, "refuse larger files")
	_ = c.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions([]string{"expenses", "cash", "targets", "channels", "pipeline"}, cobra.ShellCompDirectiveNoFileComp))
	c.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"csv"}, cobra.ShellCompDirectiveFilterFileExt
	}
	return c
}

// File imports one file of kind for the tenant, as `reportctl import`
// does with no other flag.
func File(ctx context.Context, a *app.App, tenantID string, kind importer.Kind, file string) error {
	return runImport(ctx, a, importArgs{tenant: tenantID, kind: kind, file: file, maxBytes: importer.DefaultMaxBytes})
}

func runImport(ctx context.Context, app *app.App, a importArgs) error {
	info, err := os.Stat(a.file)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file (the file is read twice: once to validate, once to publish)", a.file)
	}
	if info.Size() > a.maxBytes {
		return fmt.Errorf("%s: %d bytes, over the limit of %d (--max-bytes): split the file; nothing imported", a.file, info.Size(), a.maxBytes)
	}

	store, err := app.Tenants(ctx)
	if err != nil {
		return err
	}
	tenant, err := store.Get(ctx, a.tenant)
	if errors.Is(err, tenants.ErrNotFound) {
		return fmt.Errorf("unknown tenant %q: apply it first with reportctl tenants apply", a.tenant)
	}
	if err != nil {
		return err
	}
	opts := importer.Options{
		TenantID: tenant.ID, Kind: a.kind, Currency: tenant.Currency, Location: tenant.Location(),
		Version: time.Now().UnixMilli(), MaxBytes: a.maxBytes,
	}

	// Pass 1: validate the whole file; publish nothing.
	sum, err := scanImportFile(a.file, opts, nil)
	var pe *importer.ProblemsError
	if errors.As(err, &pe) {
		for _, line := range pe.Lines() {
			fmt.Fprintf(app.Stderr, "%s: %s\n", a.file, line)
		}
		n := len(pe.Problems) + pe.Omitted
		return fmt.Errorf("%s: %d problem%s; nothing imported", a.file, n, importPlural(n))
	}
	if err != nil {
		return err
	}
	if a.check {
		fmt.Fprintf(app.Stdout, "%s: valid %s file for %s: %d rows, %d events (nothing published: --check)\n",
			a.file, a.kind, tenant.ID, sum.Rows, sum.Events)
		return nil
	}

	cfg, err := app.AWS(ctx)
	if err != nil {
		return err
	}
	log := importLog{db: dynamodb.NewFromConfig(cfg), table: app.Names.Table}
	last, found, err := log.latest(ctx, tenant.ID, a.kind)
	if err != nil {
		return err
	}
	var prev *importRecord
	if found {
		prev = &last
	}
	if found && last.Digest == sum.Digest {
		if last.Complete {
			fmt.Fprintf(app.Stdout, "%s: unchanged: same %s content as the import of %s (%s); nothing published\n",
				a.file, a.kind, time.UnixMilli(last.Version).UTC().Format(time.RFC3339), last.File)
			return nil
		}
		// The same content's import did not finish: publish it again
		// under its version, so the events already out are the same.
		opts.Version = last.Version
	} else if found && opts.Version <= last.Version {
		opts.Version = last.Version + 1
	}
	rec := importRecord{Digest: sum.Digest, Version: opts.Version, File: a.file, Rows: sum.Rows, Events: sum.Events}
	if err := log.record(ctx, tenant.ID, a.kind, rec, prev); err != nil {
		return err
	}
	prevRec := rec

	var removals []messages.MetricEvent
	if !a.keepMissing {
		removals, err = importTombstones(ctx, app, opts, sum)
		if err != nil {
			return err
		}
	}

	pub, err := app.Publisher(ctx)
	if err != nil {
		return err
	}
	progress := app.Progress("import "+a.file, sum.Events+len(removals))
	defer progress.Done()
	batch := make([]messages.Event, 0, importPublishBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := pub.Publish(ctx, messages.TopicMetrics, batch...); err != nil {
			return err
		}
		progress.Add(len(batch))
		batch = batch[:0]
		return nil
	}
	published := 0
	// Pass 2: the same rows again, published in batches.
	sum2, err := scanImportFile(a.file, opts, func(e messages.MetricEvent) error {
		batch = append(batch, e)
		published++
		if len(batch) == importPublishBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		for _, e := range removals {
			batch = append(batch, e)
			if len(batch) == importPublishBatch {
				if err = flush(); err != nil {
					break
				}
			}
		}
	}
	if err == nil {
		err = flush()
	}
	progress.Done()
	if err != nil {
		return fmt.Errorf("%s: publish failed after %d events (run the same import again to finish it): %w", a.file, published-len(batch), err)
	}
	if sum2.Digest != sum.Digest {
		return fmt.Errorf("%s: the file changed while it was imported; import it again", a.file)
	}
	rec.Complete, rec.Removed = true, len(removals)
	if err := log.record(ctx, tenant.ID, a.kind, rec, &prevRec); err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "%s: imported %s for %s: %d rows, %d events published, %d earlier rows removed%s (version %d)\n",
		a.file, a.kind, tenant.ID, sum.Rows, sum.Events+len(removals), len(removals), importScopeText(sum, a.keepMissing, tenant.Location()), opts.Version)
	return nil
}

// importTombstones reads the kind's facts in the file's scope from the read
// model and returns the removals of rows the file no longer has. The read
// model is what the aggregator has recorded so far: an import made seconds
// after the previous one may miss removals of rows still in flight.
func importTombstones(ctx context.Context, app *app.App, opts importer.Options, sum *importer.Summary) ([]messages.MetricEvent, error) {
	scope := sum.Scope()
	if scope.None {
		return nil, nil
	}
	from, to := scope.From, scope.To
	if scope.All {
		from, to = time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	rm, err := app.ReadModel(ctx)
	if err != nil {
		return nil, err
	}
	var facts []messages.MetricEvent
	for _, metric := range opts.Kind.Metrics() {
		f, err := rm.Facts(ctx, opts.TenantID, metric, from, to)
		if err != nil {
			return nil, fmt.Errorf("read %s facts: %w", metric, err)
		}
		facts = append(facts, f...)
	}
	return importer.Tombstones(opts, sum, facts), nil
}

func scanImportFile(path string, opts importer.Options, emit func(messages.MetricEvent) error) (*importer.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return importer.Scan(f, opts, emit)
}

func importScopeText(sum *importer.Summary, keepMissing bool, loc *time.Location) string {
	scope := sum.Scope()
	switch {
	case keepMissing || scope.None:
		return ""
	case scope.All:
		return " (the file replaces the whole pipeline)"
	}
	last := scope.To.In(loc).AddDate(0, -1, 0).Format("2006-01")
	first := scope.From.In(loc).Format("2006-01")
	if first == last {
		return " (the file replaces " + first + ")"
	}
	return " (the file replaces " + first + " to " + last + ")"
}

func importPlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
