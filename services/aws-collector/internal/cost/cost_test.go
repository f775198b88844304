package cost

import "testing"

func TestParseMinor(t *testing.T) {
	cases := []struct {
		in     string
		digits int
		want   int64
		ok     bool
	}{
		{"12.3456", 2, 1235, true},
		{"12.344", 2, 1234, true},
		{"0.0101516483", 2, 1, true},
		{"0.004", 2, 0, true},
		{"-1.005", 2, -101, true},
		{"7", 2, 700, true},
		{"1500", 0, 1500, true},
		{"1e3", 2, 0, false},
		{"", 2, 0, false},
		{".5", 0, 1, true},
		{"12.3.4", 2, 0, false},
		{"abc", 2, 0, false},
	}
	for _, c := range cases {
		got, err := ParseMinor(c.in, c.digits)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseMinor(%q, %d) = %d, %v; want %d ok=%v", c.in, c.digits, got, err, c.want, c.ok)
		}
	}
}
