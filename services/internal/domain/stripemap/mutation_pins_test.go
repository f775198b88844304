package stripemap

import (
	"reflect"
	"testing"

	"github.com/stripe/stripe-go/v76"
)

// A subscription event whose discounts came by id only gives MRR facts
// marked unknown, and each names the event, so the discounts can be
// fetched and the event translated again (TranslateWithDiscounts).
func TestUnknownMRRNamesItsEvent(t *testing.T) {
	s := sub(stripe.SubscriptionStatusActive, seats())
	s.Discounts = []*stripe.Discount{{ID: "di_unexpanded"}}
	ev := stripe.Event{ID: "evt_sub_1", Type: stripe.EventTypeCustomerSubscriptionUpdated, Created: 1703000000}
	out, err := subscriptionEvent(tenant, ev, s)
	if err != nil || len(out) != 1 {
		t.Fatalf("facts %+v, %v", out, err)
	}
	if out[0].Dimensions[DimensionMRRUnknown] == "" || out[0].Dimensions[DimensionStripeEvent] != "evt_sub_1" {
		t.Errorf("dimensions %v; want unknown and %s=evt_sub_1", out[0].Dimensions, DimensionStripeEvent)
	}
}

func TestUnexpandedDiscounts(t *testing.T) {
	c := &stripe.Coupon{ID: "co", PercentOff: 10}
	for name, tt := range map[string]struct {
		legacy *stripe.Discount
		list   []*stripe.Discount
		want   []string
	}{
		"ids only, sorted, once": {nil, []*stripe.Discount{{ID: "di_b"}, {ID: "di_a"}, {ID: "di_b"}}, []string{"di_a", "di_b"}},
		"expanded":               {nil, []*stripe.Discount{{ID: "di_a", Coupon: c}}, nil},
		"no id":                  {nil, []*stripe.Discount{{}}, nil},
		"listed by id, expanded as the legacy discount": {&stripe.Discount{ID: "di_a", Coupon: c}, []*stripe.Discount{{ID: "di_a"}}, nil},
		"listed by id, another legacy discount":         {&stripe.Discount{ID: "di_x", Coupon: c}, []*stripe.Discount{{ID: "di_a"}}, []string{"di_a"}},
		"legacy by id too":                              {&stripe.Discount{ID: "di_a"}, []*stripe.Discount{{ID: "di_a"}}, []string{"di_a"}},
	} {
		s := sub(stripe.SubscriptionStatusActive, seats())
		s.Discount, s.Discounts = tt.legacy, tt.list
		if got := UnexpandedDiscounts(s); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", name, got, tt.want)
		}
	}
}
