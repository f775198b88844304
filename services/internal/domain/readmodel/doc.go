// Package readmodel is the per-tenant read model in DynamoDB: what the
// aggregator writes and what the reports read.
//
// # Design: an immutable ledger of facts
//
// Every metric event is stored once, as an immutable item keyed by its
// event id (see Writing for the two ways it is put). All figures (sums, latest states, gauges, MRR movements) are pure functions
// of the set of facts (fold.go, mrr.go), so:
//
//   - a duplicate delivery, or an SDK retry of a write whose response was
//     lost, finds the item already there, or rewrites it with the same
//     bytes, and changes nothing (ADD alone would count it twice);
//   - any delivery order gives the same set, hence the same figures: a
//     state (a charge's cumulative refund, a subscription's MRR) is the
//     entity's fact with the highest (Version, OccurredAt, EventID), so
//     cumulative refunds of 5 then 20 give 20 in any order; a period's
//     change is the difference of the totals at its edges;
//   - a crash at any point leaves either no item (the message is
//     redelivered) or the complete item;
//   - one fact delivered with two dates (charge.captured's time and its
//     balance transaction's) is two items, since the sort key holds the
//     time: readers fold over Distinct(facts), one fact per event id (the
//     earliest), and over PreferParts(refund facts), where a charge's
//     cumulative refund state gives way to its refunds' own states.
//
// One write unit per event (facts are well under 1 KB), no transaction:
// TransactWriteItems would cost twice the write units on AWS and copies
// the whole table per call on moto.
//
// # Writing
//
// The aggregator writes facts and findings in one of two ways
// (BOARDPACK_AGGREGATOR_WRITES), both taking the Record that FactRecord or
// FindingRecord encodes from a validated message: a Coalescer, the
// default, gathers the records of concurrent handlers into WriteBatch
// calls of up to 25 items, unconditional, which is still exactly once in
// effect because a fact is immutable and keyed by its event id (see
// WriteBatch); or Store.Put, one conditional PutItem (attribute_not_exists)
// each, which also tells a duplicate from a new fact (the duplicates
// counter). PutFact and PutFinding validate, encode and Put, for callers
// holding an unchecked event.
//
// # Items (table BOARDPACK_TABLE; package table owns the key shapes)
//
//	pk             sk                                                item
//	TENANT#<id>    F#<metric>#<occurred UTC, fixed width>#<event id>  a metric fact (attribute doc: the event's JSON)
//	TENANT#<id>    X#<occurred UTC, fixed width>#<event id>          a finding observation (doc: JSON)
//	TENANT#<id>    R#...                                             reserved for rollups (see below); unused
//
// Facts of one metric sort by time, so a period is one DynamoDB Query with
// BETWEEN on the tenant's partition; a state metric's value at t reads the
// metric's facts from the beginning up to t. Nothing ever reads across
// partitions. The other owners' items in the same partitions (tenant
// config, report dues, send records, imports) are listed in package
// table; their prefixes never overlap F#, X# or R#.
//
// # Reading: Read, then fold
//
// There is one read path. Read loads a tenant's Snapshot as of an instant:
// every fact of the metrics asked for, from the beginning, and optionally
// the finding observations. It refuses a malformed tenant id, and refuses
// any fact or finding the source returns for another tenant, so a figure
// can never include another tenant's data even if a key were wrong.
// Figures are the pure folds over a snapshot (fold.go, mrr.go, revenue.go,
// findings.go: Sum, Count, ByDimension, Daily, TotalAt, Change, StatesAt,
// Latest, MRRMovements, MonthlyMRRMovements, UnknownMRR,
// MonthlyRecognition, MonthlyWaterfall, OpenFindings, FindingStates).
// MRR movements are ChartMogul's, per customer (dimension customer): a
// second subscription is expansion, cancelling one of two contraction; a
// subscription whose MRR is unknown (dimension mrr_unknown) is in no
// total and no movement type, only in Movements.Unknown and UnknownMRR.
// Revenue is recognised from revenue.billed lines straight-line by day
// over their service periods in the tenant's zone, a late line catching
// up in its billing month, so recognised + deferred = billed every month
// and closed months never change.
// Package report reads each report through Read and folds the snapshot
// many times, so every figure of a report comes from one read.
//
// Read reads from a Source: Store (DynamoDB), or Memory, an in-memory
// ledger with the same semantics for tests; one suite runs over both
// (tenant isolation, any delivery order). Store.Findings is also read
// directly by the aws-collector, to know which findings it already
// reported after a restart. Periods are instants; the tenant's time zone
// is applied by the caller, at read time.
//
// # Why no materialized rollups (daily/monthly items)
//
// Considered and left out, on purpose:
//
//   - Keeping the guarantee costs writes. A rollup must be recomputed from
//     the facts, never ADDed (an ADD replayed after a lost response counts
//     twice). With several workers that means, per event, a Query of the
//     day's facts plus a put guarded so that a stale recomputation never
//     overwrites a fresher one (condition: the stored fact count is lower
//     than the recomputed one — the set of facts only grows, so a larger
//     count is a superset), and the same again for the month: about 3
//     writes and 2 reads per event instead of 1 write, on the hot path.
//   - Rollups in the tenant's time zone go stale when the tenant changes
//     its time zone; folds apply the current zone at read time.
//   - Reads are rare and small: a report reads a handful of metrics for one
//     or two periods, a few times a week. A tenant with 3,000 facts of a
//     metric per month reads ~1.2 MB, about 150 read units eventually
//     consistent — less than the write units rollups would add within a
//     day of traffic.
//
// Add them when a tenant's facts per metric and month reach the tens of
// thousands (a Query then takes several 1 MB pages): as R#<metric>#<day>
// items written by a separate, lagging pass (not per event) with the
// count-guarded put above, the facts staying the source of truth.
package readmodel
