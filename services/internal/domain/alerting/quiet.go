package alerting

import (
	"fmt"
	"strings"
	"time"
)

// QuietHours is a daily span in the tenant's time zone, [Start, End), in
// minutes after midnight; it wraps midnight when End <= Start.
type QuietHours struct {
	Start, End int
}

// ParseQuietHours reads "HH:MM-HH:MM".
func ParseQuietHours(s string) (QuietHours, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("%q is not HH:MM-HH:MM", s)
	}
	start, err1 := parseClock(strings.TrimSpace(a))
	end, err2 := parseClock(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return QuietHours{}, fmt.Errorf("%q is not HH:MM-HH:MM (24-hour clock)", s)
	}
	if start == end {
		return QuietHours{}, fmt.Errorf("%q is empty (start equals end)", s)
	}
	return QuietHours{Start: start, End: end}, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (q QuietHours) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", q.Start/60, q.Start%60, q.End/60, q.End%60)
}

// Contains reports whether t falls in quiet hours in loc.
func (q QuietHours) Contains(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if q.Start < q.End {
		return m >= q.Start && m < q.End
	}
	return m >= q.Start || m < q.End
}

// EndAfter is the first instant at or after t outside quiet hours (t
// itself when it is outside). Wall-clock arithmetic in loc keeps it right
// across DST changes.
func (q QuietHours) EndAfter(t time.Time, loc *time.Location) time.Time {
	if !q.Contains(t, loc) {
		return t
	}
	lt := t.In(loc)
	end := time.Date(lt.Year(), lt.Month(), lt.Day(), q.End/60, q.End%60, 0, 0, loc)
	if !end.After(lt) {
		end = time.Date(lt.Year(), lt.Month(), lt.Day()+1, q.End/60, q.End%60, 0, 0, loc)
	}
	return end.UTC()
}
