package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestBinaryKeepsOnlyTheAWSOperationsItCalls builds the mailer and lists
// the SDK client operations linked into it: only those it calls. One SDK
// client stored in an interface (anywhere the mailer links, its stores
// and the secret resolver included) brings back all of that client's
// operations, because the mailer executes templates (see clients.go).
// SQS is left out: watermill-aws's subscriber holds an *sqs.Client.
func TestBinaryKeepsOnlyTheAWSOperationsItCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "mailer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	allowed := map[string][]string{
		"dynamodb": {"BatchWriteItem", "DeleteItem", "DescribeTable", "GetItem", "PutItem", "Query", "TransactWriteItems", "UpdateItem",
			"DescribeEndpoints"}, // the SDK's endpoint discovery
		"ses":            {"GetSendQuota", "SendRawEmail"},
		"ssm":            {"GetParameter"},
		"secretsmanager": {"GetSecretValue"},
	}
	op := regexp.MustCompile(`/service/([a-z]+)\.\(\*Client\)\.([A-Z][A-Za-z0-9]*)$`)
	seen := map[string]int{}
	for _, line := range strings.Split(string(out), "\n") {
		m := op.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		ops, checked := allowed[m[1]]
		if !checked {
			continue
		}
		seen[m[1]]++
		if !slices.Contains(ops, m[2]) {
			t.Errorf("the binary links %s's %s, which the mailer never calls", m[1], m[2])
		}
	}
	for svc := range allowed {
		if seen[svc] == 0 {
			t.Errorf("no %s operation found in the binary: the check reads nothing", svc)
		}
	}
}
