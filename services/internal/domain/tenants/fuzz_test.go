package tenants

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary tenants files to Parse: it must never panic,
// and whatever it accepts must be valid and survive a second validation.
func FuzzParse(f *testing.F) {
	if demo, err := os.ReadFile("../../../../deploy/demo/tenants.yaml"); err == nil {
		f.Add(string(demo))
	}
	f.Add("tenants: []")
	f.Add("tenants: [{id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: \"A <a@example.com>\"}}]")
	f.Add("tenants: [{id: a, schedules: [{role: ceo, cron: \"* * * * *\", period: interval}]}]")
	f.Add(":\n\t- [")
	f.Fuzz(func(t *testing.T, doc string) {
		file, err := Parse(strings.NewReader(doc))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if len(file.Tenants) == 0 {
			t.Fatal("accepted a file without tenants")
		}
		if err := file.Validate(); err != nil {
			t.Fatalf("accepted a file that does not validate: %v", err)
		}
	})
}
