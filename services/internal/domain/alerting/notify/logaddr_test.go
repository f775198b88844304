package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// The errors Deliver returns are what the alerter logs ("alert not
// delivered yet"): the addresses in them are keyed hashes, never plain
// (security finding 12). The send records' table is missing on moto, so
// each claim fails with an error that names its recipient.
func TestDeliverErrorsNameAddressesByKeyedHash(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	var logs bytes.Buffer
	key := []byte("alerter-unsubscribe-key")
	n := &Notifier{Sends: delivery.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table + "-missing"},
		Dead: &memDead{}, SES: &fakeSES{}, Slack: fastSlack(), Secrets: literal{},
		Sender: "reports@boardpack.example.com", UnsubscribeKey: key, UnsubscribeTTL: time.Hour, ClaimTTL: time.Minute,
		Addr: delivery.NewAddrHasher(key), Log: slog.New(slog.NewTextHandler(&logs, nil))}
	rule, err := alerting.Compile(alerting.Rule{Name: "dispute-opened", Metric: alerting.MetricDisputeOpened, Condition: alerting.Above,
		Threshold: "1.00", Recipients: []string{"cfo"}, Channels: []string{alerting.ChannelEmail}}, "USD", "")
	if err != nil {
		t.Fatal(err)
	}
	tn := testTenant("")
	note := alerting.Notification{ID: "dispute-opened#dp_a#1#firing", Kind: alerting.KindFiring, Rule: rule.Name, Value: 5000, Currency: "USD", At: time.Now(), OpenedAt: time.Now()}
	err = n.Deliver(context.Background(), tn, rule, note, false)
	if err == nil {
		t.Fatal("Deliver with no send table succeeded")
	}
	var missing *types.ResourceNotFoundException
	if !errors.As(err, &missing) {
		t.Errorf("the hashed error lost its cause: %v", err)
	}
	msg := err.Error() + logs.String()
	for _, plain := range []string{"cfo@jada.example.com", "audit@jada.example.com"} {
		if strings.Contains(strings.ToLower(msg), plain) {
			t.Errorf("error names %s in plain: %s", plain, msg)
		}
		if h := "addr:" + n.Addr.Of(plain); !strings.Contains(msg, h) {
			t.Errorf("error lacks %s (%s): %s", h, plain, msg)
		}
	}
}
