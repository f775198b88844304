package alertops

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

type fakeEpisodes struct{ states []episodes.State }

func (f fakeEpisodes) List(context.Context, string) ([]episodes.State, error) { return f.states, nil }
func (f fakeEpisodes) History(context.Context, string, int) ([]episodes.Record, error) {
	return []episodes.Record{{TenantID: "jada", Rule: "dispute-opened", Subject: "dp_1", Seq: 1, OpenedAt: time.Unix(0, 0), Value: 100, Currency: "USD"}}, nil
}

type recorder struct {
	test bool
	note alerting.Notification
}

func (r *recorder) Deliver(_ context.Context, _ tenants.Tenant, _ alerting.Compiled, n alerting.Notification, test bool) error {
	r.test, r.note = test, n
	return nil
}

func TestListTestHistory(t *testing.T) {
	tn := tenants.Tenant{ID: "jada", Currency: "USD", Timezone: "UTC"}
	open := episodes.State{Episode: alerting.Episode{Rule: "dispute-opened", Subject: "dp_1", Seq: 1, Open: true, Value: 4200, Currency: "USD"}}
	rows, err := List(context.Background(), fakeEpisodes{states: []episodes.State{open}}, []tenants.Tenant{tn})
	if err != nil || len(rows) != len(alerting.Defaults()) {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	var buf bytes.Buffer
	if err := WriteList(&buf, rows, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "open: jada dispute-opened dp_1 #1") || !strings.Contains(buf.String(), "$42.00") {
		t.Errorf("list:\n%s", buf.String())
	}
	var r recorder
	if _, err := Test(context.Background(), &r, tn, "dispute-opened", time.Now()); err != nil || !r.test || !strings.HasPrefix(r.note.ID, "test.") {
		t.Errorf("test alert %+v %v", r, err)
	}
	if _, err := Test(context.Background(), &r, tn, "nope", time.Now()); !errors.Is(err, ErrUnknownRule) {
		t.Errorf("unknown rule: %v", err)
	}
	recs, _ := History(context.Background(), fakeEpisodes{}, "jada", 10)
	buf.Reset()
	if err := WriteHistory(&buf, recs, nil); err != nil || !strings.Contains(buf.String(), "dp_1") {
		t.Errorf("history:\n%s %v", buf.String(), err)
	}
}
