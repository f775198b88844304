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
// One write unit per event (facts are well under 1 KB; a late fact adds
// the epoch write, see Bounded reads), no transaction:
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
//	pk                 sk                                                item
//	TENANT#<id>#S<k>   F#<metric>#<occurred UTC, fixed width>#<event id>  a metric fact (attribute doc: the event's JSON); k = table.FactShard(event id)
//	TENANT#<id>#S<k>   X#<occurred UTC, fixed width>#<event id>          a finding observation (doc: JSON)
//	TENANT#<id>        F#..., X#...                                      facts written before sharding: still read
//	TENANT#<id>        R#EPOCH                                           the carry epoch (attribute epoch)
//	TENANT#<id>        R#C#<boundary>#<part>#<chunk>                     a cached carry chunk (doc, epoch, chunk, chunks, expires_at)
//
// A tenant's ledger is spread over table.FactShards partitions by a hash
// of the event id, so a hot tenant's writes are not capped by one
// partition's ~1,000 write units a second; every copy of one event lands
// in one shard. Facts of one metric sort by time, so a range is one Query
// with BETWEEN per ledger partition (the shards and the unsharded one),
// sent in parallel. Nothing ever reads across tenants. The other owners'
// items (tenant config, report dues, send records, imports) stay in the
// unsharded partition (package table); their prefixes never overlap F#,
// X# or R#.
//
// # Reading: Read, then fold
//
// There is one read path. ReadWindow loads a tenant's Snapshot as of an
// instant for the metrics asked (and optionally the finding
// observations), exact for every fold at instants from a window's start
// on; Read is the same over the whole history, the reference the bounded
// read is tested against. Both refuse a malformed tenant id, and refuse
// any fact or finding the source returns for another tenant, so a figure
// can never include another tenant's data even if a key were wrong.
// Figures are the pure folds over a snapshot (fold.go, mrr.go, revenue.go,
// findings.go: Sum, Count, ByDimension, Daily, TotalAt, Change, StatesAt,
// Latest, MRRMovements, MonthlyMRRMovements, UnknownMRR,
// MonthlyRecognition, MonthlyWaterfall, OpenFindings, FindingStates).
// MRR movements are ChartMogul's, per customer (dimension customer): a
// second subscription is expansion, cancelling one of two contraction; a
// subscription whose MRR is unknown (dimension mrr_unknown) is in no
// total and no movement type, only in Movements.Unknown and UnknownMRR;
// an unknown that a known fact of the same observation (entity, version,
// time: the stripe-collector enrichment's) replaced never held, not even
// there.
// Revenue is recognised from revenue.billed lines straight-line by day
// over their service periods in the tenant's zone, a late line catching
// up in its billing month, so recognised + deferred = billed every month
// and closed months never change. A refund of an invoice's charge that no
// credit note accounts for reduces that invoice's lines by its share of
// the invoice's total (tax apart), from the refund's date over each
// line's period: what was recognised is taken back in the refund's month
// (Stripe Revenue Recognition's contra revenue), the rest leaves the
// deferred balance (revenue.go). Which invoice a refund's payment paid
// comes from the lines' charge, or (Stripe API versions since
// 2025-03-31.basil, whose invoices name no charge) from invoices.payment
// links naming the payment intent or charge; a payment that paid several
// invoices splits its refund by what it paid each. A charge that pays no
// invoice (gross with one_off=true, or one_off=unless_linked: a basil
// charge, which cannot say; and no link naming it, nor a copy of its
// gross naming an invoice) is billed and earned at capture. A paid
// invoice whose lines name no charge and which no link names
// (UnlinkedInvoices: a basil endpoint without invoice_payment.paid, or
// facts stored before the link existed) is never guessed at: its refunds
// reduce none of its lines, the charge that paid it counts as a one-off,
// and the accounting report says how many such invoices the period has;
// a backfill links them. Tax collected
// (TaxCollected, tax.go) is the invoices' revenue.tax less the rest of
// each such refund, its tax share (refunded × the invoice's tax / its
// total, Stripe Tax's split), dated at the refund and back when it fails,
// and less credit notes' tax (revenue.tax states per credit note).
// Package report reads each report through ReadWindow and folds the
// snapshot many times, so every figure of a report comes from one read.
//
// Read reads from a Source: Store (DynamoDB), or Memory, an in-memory
// ledger with the same semantics for tests; one suite runs over both
// (tenant isolation, any delivery order, bounded reads). Store.Findings is
// also read directly by the aws-collector. Periods are instants; the
// tenant's time zone is applied by the caller, at read time.
//
// # Bounded reads: the window and the carry
//
// A report's cost must not grow with the tenant's age, yet a state's value
// at the period start (MRR per subscription, cash, a refund's or payout's
// state, a finding's status and first sighting) depends on older facts.
// ReadWindow(from, asOf) therefore reads:
//
//   - the facts in [B, asOf), B = CarryBoundary(from): the UTC month start
//     at least DistinctMargin (31 days) before from, so that one event
//     stored with two dates (Distinct) is seen with both;
//   - the carry as of B: per metric, the few facts before B that stand for
//     all of them (CarryFacts: each entity's latest state, each customer's
//     first paid state, the latest fact overall and per currency), and per
//     finding its first and last observation (CarryFindings). Its size
//     grows with the number of entities, never with the length of history.
//
// Every fold at instants ≥ from over carry ∪ window equals the fold over
// the whole history (TestReadWindowEqualsFullHistoryInAnyOrder, on Memory
// and on moto, with late facts arriving behind a cached carry). Known
// limits, documented: two dates of one event more than DistinctMargin
// apart, and a state superseded by a higher Version yet later in time,
// can differ in the folds before the window's start only in theory.
//
// The carry is derived, so it is never trusted when in doubt; the rule is
// an epoch, and it is what keeps it exactly once in effect:
//
//   - The reader computes it lazily and caches it in the table (R#C#...,
//     chunks of ≤ 300 KB under the tenant's unsharded partition, TTL 90
//     days), tagged with the tenant's carry epoch read first, with a
//     consistent read, before the facts (also read consistently).
//   - A fact is late when it occurred more than SettleAfter (35 days)
//     before it is written (backfills, imports of old rows, redeliveries of
//     old events). Writing a late fact (Store.Put, WriteBatch, Memory) sets
//     the epoch R#EPOCH to a new unique value (random nonce + the fact's
//     key) after — never before — the fact is stored, duplicate or not, so
//     a crash between the two is repaired by the redelivery.
//   - A carry is cached only as of a boundary at least SettleAfter + one
//     day of clock skew old: a fact that occurred before such a boundary
//     and is written after the carry was built is late by construction, so
//     it changes the epoch, and a carry is used only when every chunk of
//     its part carries the current epoch. Otherwise the part is rebuilt
//     from the facts before B (one full read, once) and cached again.
//     Concurrent rebuilds write the same content; a stale one is tagged
//     with an old epoch and ignored.
//   - Nothing is added on the hot path: a fact written within 35 days of
//     occurring (every live webhook) costs one write unit, as before; a
//     batch holding late facts costs one more BatchWriteItem.
//
// Why lazily by the reader rather than by the aggregator: an
// aggregator-maintained per-(metric, month) state would cost a read and a
// guarded write per event (see rollups below) and would still need the
// same rebuild rule for late facts; reads are a few per tenant a week.
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
