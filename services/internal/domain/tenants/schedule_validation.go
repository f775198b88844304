package tenants

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/adhocore/gronx"
)

// cronProblem says why an expression gronx accepts still cannot be a report
// schedule, or returns "". The scheduler (package schedule) refuses the
// same expressions at run time; refusing them here keeps a tenants apply
// from storing a schedule that would silently never send.
func cronProblem(expr string, now time.Time) string {
	// As package schedule: six fields are five and a year, never seconds
	// first ("0 0 9 * * *" reads differently in other crons).
	switch fields := strings.Fields(expr); {
	case len(fields) == 7:
		return "has a seconds field; use 5 fields (minute hour day month weekday), and optionally a year"
	case len(fields) == 6 && !yearField.MatchString(fields[5]):
		return fmt.Sprintf("has a seconds field: the sixth field %q is not a year; use 5 fields (minute hour day month weekday), and optionally a year", fields[5])
	}
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

// yearField is what gronx takes for a year in a sixth field.
var yearField = regexp.MustCompile(`\d{4}`)

// timezoneProblem refuses "Local", which time.LoadLocation accepts but
// which means whatever zone the server runs in.
func timezoneProblem(name string) bool { return name == "Local" }
