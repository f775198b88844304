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
// SSM and Secrets Manager are called through platform/awsjson: the SDK's
// packages for them must not be linked at all (their init builds 1.4 MB
// of schemas, P6's idle RSS).
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
	// The SDK's generated clients, and the repository's own JSON 1.1
	// clients (platform/awsjson/<service>) that the secret resolver uses
	// instead of the SDK's ssm and secretsmanager packages.
	op := regexp.MustCompile(`/(?:aws-sdk-go-v2/service|platform/awsjson)/([a-z]+)\.\(\*Client\)\.([A-Z][A-Za-z0-9]*)$`)
	// Packages whose init alone costs MiB (schemas, endpoint tables) and
	// that the mailer must not link at all.
	notLinked := regexp.MustCompile(`^github\.com/aws/aws-sdk-go-v2/service/(ssm|secretsmanager)[./]`)
	linked := map[string]bool{}
	seen := map[string]int{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 {
			if m := notLinked.FindStringSubmatch(f[2]); m != nil && !linked[m[1]] {
				linked[m[1]] = true
				t.Errorf("the binary links the SDK's %s package (%s): use platform/awsjson/%s", m[1], f[2], m[1])
			}
		}
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
