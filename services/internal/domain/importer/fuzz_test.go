package importer

import (
	"errors"
	"strings"
	"testing"

	"github.com/boardpack/boardpack/messages"
)

// FuzzParse: any input, as any kind, either yields valid events that agree
// with the summary, or problems with a reason; it never panics.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"",
		"\xEF\xBB\xBF",
		"date,category,vendor,amount,currency,account_code\n2026-10-03,Hosting,AWS,1234.56,USD,6100\n",
		"date;account;balance\n2026-10-31;Checking;182400,10\n",
		"month,metric,amount\n2026-11,revenue,60000\n2026-11,leads,40\n",
		"channel,date,visits,leads,conversions,spend,status\nAds,2026-10-01,1200,40,6,350.00,active\n",
		"deal,stage,expected_close,amount,probability\n\"A, Inc.\",Proposal,2026-12-15,10000,33.3%\n",
		"date,account,balance\n2026-10-01,Che\"cking,1\n",
		"\x89PNG\r\n\x1a\n\x00\x00",
		"a\"b,\"c\nd\"\n",
	}
	for _, s := range seeds {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, in string, k uint8) {
		o := opts(Kinds[int(k)%len(Kinds)])
		o.MaxBytes = 1 << 16
		var events []messages.MetricEvent
		sum, err := Scan(strings.NewReader(in), o, func(e messages.MetricEvent) error {
			events = append(events, e)
			return nil
		})
		if err != nil {
			var pe *ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("not a problems error: %v", err)
			}
			for _, p := range pe.Problems {
				if p.Reason == "" || p.Line < 0 || p.Column < 0 {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		if sum.Events != len(events) || sum.Rows == 0 {
			t.Fatalf("summary %+v, %d events", sum, len(events))
		}
		for _, e := range events {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event %+v: %v", e, err)
			}
		}
		// Deterministic: the same input gives the same events and digest.
		again, sum2, err := Parse(strings.NewReader(in), o)
		if err != nil || sum2.Digest != sum.Digest || !sameEvents(again, events) {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}
