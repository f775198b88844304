// Package table owns the layout of Boardpack's single DynamoDB table
// (BOARDPACK_TABLE): the key attributes, the partition keys, every
// sort-key shape and the sparse index, so that no two owners can pick the
// same key by accident and a reader finds the whole schema in one place.
// Item attributes other than the keys (doc, status, config, ...) belong to
// the package that owns the item. Resource names and bootstrap (which
// creates the table with this key schema) are in package resources.
//
// # Keys
//
// The table has a string hash key pk and range key sk. Everything a tenant
// owns lives in its partitions: pk = TENANT#<id> (PK), and for the ledger
// of facts and findings FactShards shard partitions TENANT#<id>#S<k>
// (ShardPK), so that one hot tenant's writes spread over several
// partitions (DynamoDB gives each about 1,000 write units a second; see
// deploy/SCALING.md). The shard is a hash of the event id (FactShard), so
// every copy of one fact lands in the same shard; a reader queries every
// shard's key range (and the unsharded partition, where facts written
// before sharding stay readable). TenantPKs lists a tenant's partition
// keys, for whoever must visit them all (tenants delete --purge). Nothing
// reads across tenants. The global secondary index gsi1 (keys gsi1pk, gsi1sk,
// all attributes projected) is sparse: only items that carry gsi1pk are in
// it. expires_at (epoch seconds) is the table's TTL attribute.
//
//	pk           sk                                         owner      item
//	TENANT#<id>  CONFIG                                     tenants    the tenant's config        gsi1: TENANTS / <id>
//	TENANT#<id>  PORTFOLIO                                  tenants    a portfolio's config       gsi1: PORTFOLIOS / <id>
//	TENANT#<id>  F#<metric>#<occurred, TimeKey>#<event id>  readmodel  a metric fact written before sharding (doc: the event's JSON); still read
//	TENANT#<id>  X#<occurred, TimeKey>#<event id>           readmodel  a finding observation written before sharding (doc: JSON); still read
//	TENANT#<id>#S<k>  F#<metric>#<occurred, TimeKey>#<event id>  readmodel  a metric fact, shard k = FactShard(event id)
//	TENANT#<id>#S<k>  X#<occurred, TimeKey>#<event id>           readmodel  a finding observation, shard k = FactShard(event id)
//	TENANT#<id>  R#EPOCH                                    readmodel  carry epoch: a nonce and the key of the last late fact written
//	TENANT#<id>  R#C#<boundary, TimeKey>#<part>#<chunk, 3 digits>  readmodel  carry: derived state before a boundary (expires_at)
//	TENANT#<id>  DUE#<report id>                            scheduler  a report due, written once  gsi1 while unpublished: DUE#PENDING / <due RFC 3339>#<tenant>#<report id>
//	TENANT#<id>  DUE#CURSOR                                 scheduler  every firing up to cursor_at has its DUE# item
//	TENANT#<id>  SEND#<report id>#<recipient, lower case>   delivery   one email of a report to one recipient
//	TENANT#<id>  SUPPRESS#<address, lower case>             delivery   hard bounce or complaint: never send again
//	TENANT#<id>  VIEW#<report id>#<chunk, 3 digits>         delivery   the browser view of a sent report: gzip HTML in chunks (expires_at = the link's expiry)
//	TENANT#<id>  UNSUB#<role>#<address, lower case>         delivery   one-click unsubscribe from one role's report
//	TENANT#<id>  IMPORT#<kind>#LATEST                       reportctl  the last CSV import of a kind
//	TENANT#<id>  IMPORT#<kind>#V#<version, 13 digits>       reportctl  one item per import, for the record
//	TENANT#<id>  ALERT#S#<rule>#<subject>                   alerting   a (rule, subject)'s episode state (versioned)
//	TENANT#<id>  ALERT#E#<rule>#<subject>#<seq, 6 digits>   alerting   one episode, for history
//	TENANT#<id>  ALERT#SEEN#<source>                        alerting   when a source was last heard from
//	TENANT#<id>  ALERT#DEAD#<webhook hash>                  alerting   a Slack webhook found gone (404/410)
//	TENANT#<id>  SEND#alert.<notification id>#<recipient>   delivery   one alert message (email address or "slack")
//
// A portfolio (a reporting unit over member tenants) lives in the
// partition of its own id: portfolio and tenant ids share one id space
// (tenants validation refuses a clash), so TENANT#<portfolio id> holds the
// portfolio's PORTFOLIO item and, under the shapes above, its report dues
// (DUE#), sends (SEND#), suppressions and unsubscribes, exactly as a
// tenant's partition does. It has no facts of its own: its reports read
// its members' partitions. Its config sort key differs from a tenant's
// (PORTFOLIO, not CONFIG), so a tenant read never mistakes a portfolio
// for a tenant.
//
// Sort-key prefixes are allocated per owner (Prefixes) and none is a
// prefix of another owner's, so a begins_with or BETWEEN over one owner's
// prefix never returns another owner's items. The one key inside another
// shape's range is DUE#CURSOR, which the scheduler owns as well; report
// ids (messages.ReportIDFor: rpt_<hex>) never equal "CURSOR". Tenant ids
// hold only [a-z0-9-] (messages.ValidTenantID), and every read checks
// them, so one tenant's partition key is never another's.
//
// Times in sort keys are UTC in the fixed-width TimeKey layout, so that
// keys sort in time order and a period is one BETWEEN.
//
// FactShards is stored data too: lowering it hides the facts of the
// shards dropped; raising it is safe for writes but readers must query the
// new shards (TenantPKs) — change it only with every reader deployed.
//
// Every string above is stored data: changing one orphans what is already
// in the table.
package table

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute names of the key schema.
const (
	AttrPK        = "pk"
	AttrSK        = "sk"
	IndexGSI1     = "gsi1"
	AttrGSI1PK    = "gsi1pk"
	AttrGSI1SK    = "gsi1sk"
	AttrExpiresAt = "expires_at"
)

// TimeKey is the layout of times in sort keys: UTC, fixed width, so that
// keys sort in time order.
const TimeKey = "2006-01-02T15:04:05.000000000Z"

// Sort keys and sort-key prefixes.
const (
	SKConfig        = "CONFIG"
	SKPortfolio     = "PORTFOLIO"
	PrefixFact      = "F#"
	PrefixFinding   = "X#"
	PrefixRollup    = "R#"
	SKCarryEpoch    = PrefixRollup + "EPOCH"
	PrefixCarry     = PrefixRollup + "C#"
	PrefixDue       = "DUE#"
	SKDueCursor     = PrefixDue + "CURSOR"
	PrefixSend      = "SEND#"
	PrefixSuppress  = "SUPPRESS#"
	PrefixUnsub     = "UNSUB#"
	PrefixView      = "VIEW#"
	PrefixImport    = "IMPORT#"
	PrefixAlert     = "ALERT#"
	tenantPKPrefix  = "TENANT#"
	shardPKInfix    = "#S"
	importLatest    = "#LATEST"
	importVersioned = "#V#"
	// SKStripeBackfill is the cursor of a tenant's `reportctl stripe
	// backfill`: the stage and the last object done, so an interrupted
	// run resumes there.
	SKStripeBackfill = "BACKFILL#STRIPE"
)

// Partition keys of gsi1.
const (
	// GSI1Tenants lists every tenant's CONFIG item (gsi1sk: the tenant id).
	GSI1Tenants = "TENANTS"
	// GSI1Portfolios lists every portfolio's PORTFOLIO item (gsi1sk: the
	// portfolio id).
	GSI1Portfolios = "PORTFOLIOS"
	// GSI1DuePending lists DUE# items not yet published.
	GSI1DuePending = "DUE#PENDING"
)

// Prefix is one entry of the sort-key registry.
type Prefix struct {
	// Prefix begins every sort key of the shape (or is the whole key).
	Prefix string
	// Owner is the package that reads and writes the items.
	Owner string
}

// Prefixes is the registry of sort-key prefixes, one per shape family.
var Prefixes = []Prefix{
	{SKConfig, "tenants"},
	{SKPortfolio, "tenants"},
	{PrefixFact, "readmodel"},
	{PrefixFinding, "readmodel"},
	{PrefixRollup, "readmodel"},
	{PrefixDue, "scheduler"},
	{PrefixSend, "delivery"},
	{PrefixSuppress, "delivery"},
	{PrefixUnsub, "delivery"},
	{PrefixView, "delivery"},
	{PrefixImport, "reportctl"},
	{PrefixAlert, "alerting/episodes"},
	{SKStripeBackfill, "reportctl"},
}

// PK is the partition key of everything that belongs to a tenant.
func PK(tenantID string) string { return tenantPKPrefix + tenantID }

// FactShards is the number of shard partitions of a tenant's ledger.
const FactShards = 4

// ShardPK is the partition key of one shard of a tenant's ledger.
func ShardPK(tenantID string, shard int) string {
	return tenantPKPrefix + tenantID + shardPKInfix + strconv.Itoa(shard)
}

// FactShard is the shard of a fact or finding with this event id: FNV-1a
// of the id, modulo FactShards. Every copy of one event lands in the same
// shard.
func FactShard(eventID string) int {
	h := fnv.New32a()
	h.Write([]byte(eventID))
	return int(h.Sum32() % FactShards)
}

// FactPK is the partition key of a fact or finding with this event id.
func FactPK(tenantID, eventID string) string { return ShardPK(tenantID, FactShard(eventID)) }

// LedgerPKs are the partition keys that hold a tenant's facts and
// findings, each to be queried over the same sort-key range: the
// unsharded partition (facts written before sharding) and every shard.
func LedgerPKs(tenantID string) []string {
	out := make([]string, 0, FactShards+1)
	out = append(out, PK(tenantID))
	for k := range FactShards {
		out = append(out, ShardPK(tenantID, k))
	}
	return out
}

// TenantPKs are every partition key a tenant's items may live under.
func TenantPKs(tenantID string) []string { return LedgerPKs(tenantID) }

// CarryPrefix begins the sort keys of the carry as of boundary.
func CarryPrefix(boundary time.Time) string {
	return PrefixCarry + boundary.UTC().Format(TimeKey) + "#"
}

// CarrySK is the sort key of one chunk of one part (a metric, or the
// findings) of the carry as of boundary.
func CarrySK(boundary time.Time, part string, chunk int) string {
	return fmt.Sprintf("%s%s#%03d", CarryPrefix(boundary), part, chunk)
}

// Key is the primary key of a tenant's item.
func Key(tenantID, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: S(PK(tenantID)), AttrSK: S(sk)}
}

// FactPrefix begins the sort key of every fact of one metric.
func FactPrefix(metric string) string { return PrefixFact + metric + "#" }

// FactSK is the sort key of a metric fact.
func FactSK(metric string, occurred time.Time, eventID string) string {
	return FactPrefix(metric) + occurred.UTC().Format(TimeKey) + "#" + eventID
}

// FindingSK is the sort key of a finding observation.
func FindingSK(occurred time.Time, eventID string) string {
	return PrefixFinding + occurred.UTC().Format(TimeKey) + "#" + eventID
}

// DueSK is the sort key of a report due.
func DueSK(reportID string) string { return PrefixDue + reportID }

// DuePendingSK is the gsi1 sort key of an unpublished report due: oldest
// firing first.
func DuePendingSK(due time.Time, tenantID, reportID string) string {
	return due.UTC().Format(time.RFC3339) + "#" + tenantID + "#" + reportID
}

// SendSK is the sort key of one email of a report to one recipient.
func SendSK(reportID, recipient string) string {
	return PrefixSend + reportID + "#" + strings.ToLower(recipient)
}

// ViewPrefix begins the sort keys of one report's browser view.
func ViewPrefix(reportID string) string { return PrefixView + reportID + "#" }

// ViewSK is the sort key of one chunk of a report's browser view.
func ViewSK(reportID string, chunk int) string {
	return fmt.Sprintf("%s%03d", ViewPrefix(reportID), chunk)
}

// SuppressSK is the sort key of a suppressed address.
func SuppressSK(address string) string { return PrefixSuppress + strings.ToLower(address) }

// UnsubSK is the sort key of an address unsubscribed from a role's report.
func UnsubSK(role, address string) string {
	return PrefixUnsub + role + "#" + strings.ToLower(address)
}

// ImportLatestSK is the sort key of the last import of a kind.
func ImportLatestSK(kind string) string { return PrefixImport + kind + importLatest }

// ImportVersionSK is the sort key of one import of a kind.
func ImportVersionSK(kind string, version int64) string {
	return fmt.Sprintf("%s%s%s%013d", PrefixImport, kind, importVersioned, version)
}

// Alert shapes, all under PrefixAlert.
const (
	AlertStatePrefix   = PrefixAlert + "S#"
	AlertEpisodePrefix = PrefixAlert + "E#"
	alertSeen          = PrefixAlert + "SEEN#"
	alertDead          = PrefixAlert + "DEAD#"
)

// AlertStateSK is the sort key of a (rule, subject)'s episode state.
func AlertStateSK(rule, subject string) string { return AlertStatePrefix + rule + "#" + subject }

// AlertEpisodeSK is the sort key of one episode of (rule, subject).
func AlertEpisodeSK(rule, subject string, seq int) string {
	return fmt.Sprintf("%s%s#%s#%06d", AlertEpisodePrefix, rule, subject, seq)
}

// AlertSeenSK is the sort key of when a source was last heard from.
func AlertSeenSK(source string) string { return alertSeen + source }

// AlertDeadSK is the sort key of a Slack webhook (by hash) found gone.
func AlertDeadSK(hash string) string { return alertDead + hash }

// S is a string attribute value.
func S(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// N is a number attribute value.
func N(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// IsConditionalCheckFailed reports whether err is DynamoDB refusing a
// write because its condition did not hold: for Boardpack's conditional
// writes that is an expected outcome (a duplicate, a lost race, a status
// that already moved on), not a failure.
func IsConditionalCheckFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
