package table

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestKeysAreStoredBytes pins every key shape to the exact string already
// stored in tables: a change here orphans existing items.
func TestKeysAreStoredBytes(t *testing.T) {
	at := time.Date(2026, 11, 3, 7, 4, 5, 6000, time.FixedZone("PST", -8*3600))
	for _, c := range []struct{ got, want string }{
		{PK("jada"), "TENANT#jada"},
		{SKConfig, "CONFIG"},
		{FactSK("revenue.gross", at, "evt_1"), "F#revenue.gross#2026-11-03T15:04:05.000006000Z#evt_1"},
		{FactPrefix("mrr"), "F#mrr#"},
		{FindingSK(at, "evt_2"), "X#2026-11-03T15:04:05.000006000Z#evt_2"},
		{DueSK("r-1"), "DUE#r-1"},
		{SKDueCursor, "DUE#CURSOR"},
		{GSI1DuePending, "DUE#PENDING"},
		{DuePendingSK(at, "jada", "r-1"), "2026-11-03T15:04:05Z#jada#r-1"},
		{GSI1Tenants, "TENANTS"},
		{SKPortfolio, "PORTFOLIO"},
		{GSI1Portfolios, "PORTFOLIOS"},
		{SendSK("r-1", "CFO@Queen.example.com"), "SEND#r-1#cfo@queen.example.com"},
		{SuppressSK("A@B.example"), "SUPPRESS#a@b.example"},
		{UnsubSK("cfo", "A@B.example"), "UNSUB#cfo#a@b.example"},
		{ImportLatestSK("expenses"), "IMPORT#expenses#LATEST"},
		{ImportVersionSK("expenses", 1764000000000), "IMPORT#expenses#V#1764000000000"},
		{ImportVersionSK("cash", 42), "IMPORT#cash#V#0000000000042"},
		{AlertStateSK("dispute-opened", "dp_1"), "ALERT#S#dispute-opened#dp_1"},
		{AlertEpisodeSK("dispute-opened", "dp_1", 3), "ALERT#E#dispute-opened#dp_1#000003"},
		{AlertSeenSK("stripe"), "ALERT#SEEN#stripe"},
		{AlertDeadSK("ab12"), "ALERT#DEAD#ab12"},
		{ShardPK("jada", 3), "TENANT#jada#S3"},
		{FactPK("jada", "evt_1"), "TENANT#jada#S" + fmt.Sprint(FactShard("evt_1"))},
		{SKCarryEpoch, "R#EPOCH"},
		{CarryPrefix(at), "R#C#2026-11-03T15:04:05.000006000Z#"},
		{CarrySK(at, "F:mrr", 2), "R#C#2026-11-03T15:04:05.000006000Z#F:mrr#002"},
		{fmt.Sprint(LedgerPKs("jada")), "[TENANT#jada TENANT#jada#S0 TENANT#jada#S1 TENANT#jada#S2 TENANT#jada#S3]"},
		{AttrPK + AttrSK + IndexGSI1 + AttrGSI1PK + AttrGSI1SK + AttrExpiresAt, "pkskgsi1gsi1pkgsi1skexpires_at"},
	} {
		if c.got != c.want {
			t.Errorf("key %q, stored items use %q", c.got, c.want)
		}
	}
}

// TestFactShardIsStored pins the hash: a different function would put new
// copies of an old event in another shard (Distinct would still see both,
// but the bytes are stored data), and it spreads ids over every shard.
func TestFactShardIsStored(t *testing.T) {
	for id, want := range map[string]int{"evt_1": 2, "evt_2": 3, "ch_3MmlLrLkdIwHu7ix0snN0B15": 1, "": 1} {
		if got := FactShard(id); got != want {
			t.Errorf("FactShard(%q) = %d, stored items use %d", id, got, want)
		}
	}
	seen := map[int]int{}
	for i := range 4000 {
		seen[FactShard(fmt.Sprintf("evt_%d", i))]++
	}
	for k := range FactShards {
		if seen[k] < 800 {
			t.Errorf("shard %d got %d of 4000 ids: %v", k, seen[k], seen)
		}
	}
}

// TestPrefixesNeverOverlap: one owner's range query never returns another
// owner's items.
func TestPrefixesNeverOverlap(t *testing.T) {
	for i, a := range Prefixes {
		for j, b := range Prefixes {
			if i != j && strings.HasPrefix(a.Prefix, b.Prefix) {
				t.Errorf("prefix %q (%s) starts with %q (%s)", a.Prefix, a.Owner, b.Prefix, b.Owner)
			}
		}
	}
}

func TestIsConditionalCheckFailed(t *testing.T) {
	ccf := &types.ConditionalCheckFailedException{Message: new("no")}
	if !IsConditionalCheckFailed(fmt.Errorf("put: %w", ccf)) {
		t.Error("wrapped ConditionalCheckFailedException not recognised")
	}
	for _, err := range []error{nil, errors.New("conditional check failed"), &types.TransactionCanceledException{}} {
		if IsConditionalCheckFailed(err) {
			t.Errorf("%v taken for a failed condition", err)
		}
	}
}
