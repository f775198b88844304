package delivery

import "testing"

func TestAddressNormalises(t *testing.T) {
	for in, want := range map[string]string{
		"CFO@Queen.example.com":                 "cfo@queen.example.com",
		"Chief Finance <CFO@Queen.example.com>": "cfo@queen.example.com",
		`"Doe, Jane" <Jane@X.example>`:          "jane@x.example",
		"  ceo@x.example ":                      "ceo@x.example",
	} {
		if got := Address(in); got != want {
			t.Errorf("Address(%q) = %q, want %q", in, got, want)
		}
	}
}
