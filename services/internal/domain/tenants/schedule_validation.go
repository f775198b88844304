package tenants

import (
	"time"

	"github.com/adhocore/gronx"
)

// cronProblem says why an expression gronx accepts still cannot be a report
// schedule, or returns "". The scheduler (package schedule) refuses the
// same expressions at run time; refusing them here keeps a tenants apply
// from storing a schedule that would silently never send.
func cronProblem(expr string, now time.Time) string {
	segs, err := gronx.Segments(expr)
	if err != nil {
		return "is not a valid cron expression"
	}
	if segs[0] != "0" {
		return "has a seconds field; use 5 fields (minute hour day month weekday)"
	}
	if _, err := gronx.NextTickAfter(expr, now.UTC(), false); err != nil {
		return "never fires (e.g. the 30th of February, or a year in the past)"
	}
	return ""
}

// timezoneProblem refuses "Local", which time.LoadLocation accepts but
// which means whatever zone the server runs in.
func timezoneProblem(name string) bool { return name == "Local" }
