package deploytest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestListenerRoutesOnlyPublicPaths: the load balancer forwards only the
// webhook, unsubscribe and report-view paths; everything else, /metrics and
// /readyz included, is a fixed 404 (security finding 1).
func TestListenerRoutesOnlyPublicPaths(t *testing.T) {
	tpl := loadTemplate(t)
	listeners := tpl.ofType("AWS::ElasticLoadBalancingV2::Listener")
	if len(listeners) != 1 {
		t.Fatalf("listeners = %v, want one", listeners)
	}
	l := tpl.Resources[listeners[0]].Properties
	def := asList(l["DefaultActions"])
	if len(def) != 1 {
		t.Fatalf("default actions = %v", def)
	}
	d := def[0].(map[string]any)
	frc, _ := d["FixedResponseConfig"].(map[string]any)
	if d["Type"] != "fixed-response" || fmt.Sprint(frc["StatusCode"]) != "404" {
		t.Errorf("default action = %v, want a fixed 404", d)
	}

	want := map[string]string{ // path pattern -> target group
		"/webhooks/stripe/*":  "CollectorTargetGroup",
		"/unsubscribe":        "MailerTargetGroup",
		"/unsubscribe/*":      "MailerTargetGroup",
		"/reports/*":          "MailerTargetGroup",
		"/alerts/unsubscribe": "AlerterTargetGroup",
	}
	got := map[string]string{}
	for _, id := range tpl.ofType("AWS::ElasticLoadBalancingV2::ListenerRule") {
		p := tpl.Resources[id].Properties
		if refTo(p["ListenerArn"]) != listeners[0] {
			continue
		}
		var target string
		for _, a := range asList(p["Actions"]) {
			am := a.(map[string]any)
			if am["Type"] == "forward" {
				target = refTo(am["TargetGroupArn"])
			}
		}
		for _, c := range asList(p["Conditions"]) {
			cm := c.(map[string]any)
			if cm["Field"] != "path-pattern" {
				continue
			}
			ppc, _ := cm["PathPatternConfig"].(map[string]any)
			for _, v := range stringsOf(ppc["Values"]) {
				got[v] = target
			}
		}
	}
	for path, tg := range want {
		if got[path] != tg {
			t.Errorf("path %s forwards to %q, want %s", path, got[path], tg)
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("path %s is routed but is not a public path", path)
		}
		if strings.Contains(path, "metrics") || strings.Contains(path, "healthz") || strings.Contains(path, "readyz") || path == "/*" {
			t.Errorf("path %s exposes an internal endpoint", path)
		}
	}
}

// TestOperatorAlarms: each failure an operator must hear about has an alarm
// that notifies the alarm topic.
func TestOperatorAlarms(t *testing.T) {
	tpl := loadTemplate(t)
	type alarm struct{ namespace, metric, expr string }
	alarms := map[string]alarm{}
	for _, id := range tpl.ofType("AWS::CloudWatch::Alarm") {
		p := tpl.Resources[id].Properties
		if !slices.ContainsFunc(asList(p["AlarmActions"]), func(v any) bool { return refTo(v) == "AlarmTopic" }) {
			t.Errorf("%s notifies nobody", id)
		}
		a := alarm{namespace: tpl.namespace(p["Namespace"]), metric: fmt.Sprint(p["MetricName"])}
		for _, m := range asList(p["Metrics"]) {
			mm := m.(map[string]any)
			if e, ok := mm["Expression"].(string); ok {
				a.expr = e
			}
			if ms, ok := mm["MetricStat"].(map[string]any); ok {
				met := ms["Metric"].(map[string]any)
				a.namespace, a.metric = tpl.namespace(met["Namespace"]), fmt.Sprint(met["MetricName"])
			}
		}
		alarms[id] = a
	}
	for _, w := range []struct {
		what, namespace, metric string
	}{
		{"scheduler's last good pass is stale", "Boardpack", "boardpack_scheduler_last_pass_timestamp_seconds"},
		{"aggregator lags", "AWS/SQS", "ApproximateAgeOfOldestMessage"},
		{"mailer send failures", "Boardpack", "boardpack_mailer_emails_total"},
		{"SES bounce rate", "AWS/SES", "Reputation.BounceRate"},
		{"SES complaint rate", "AWS/SES", "Reputation.ComplaintRate"},
		{"stripe-collector 5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"},
		{"aws-collector tenant failures", "Boardpack", "boardpack_aws_collector_tenant_collections_total"},
		{"a DLQ is not empty", "AWS/SQS", "ApproximateNumberOfMessagesVisible"},
	} {
		found := false
		for _, a := range alarms {
			if a.namespace == w.namespace && a.metric == w.metric {
				found = true
			}
		}
		if !found {
			t.Errorf("no alarm for %s (%s %s)", w.what, w.namespace, w.metric)
		}
	}
	thresholds := map[string]float64{"Reputation.BounceRate": 0.05, "Reputation.ComplaintRate": 0.001}
	for id, a := range alarms {
		if want, ok := thresholds[a.metric]; ok {
			if got := tpl.Resources[id].Properties["Threshold"]; got != want {
				t.Errorf("%s threshold = %v, want %v", id, got, want)
			}
		}
	}
	if len(tpl.ofType("AWS::CloudWatch::Dashboard")) != 1 {
		t.Error("want one CloudWatch dashboard")
	}
}

// notTaggable are the resource types CloudFormation cannot tag.
var notTaggable = map[string]bool{
	"AWS::SNS::Subscription":                     true,
	"AWS::SNS::TopicPolicy":                      true,
	"AWS::SQS::QueuePolicy":                      true,
	"AWS::SES::ConfigurationSet":                 true,
	"AWS::SES::ConfigurationSetEventDestination": true,
	"AWS::ElasticLoadBalancingV2::Listener":      true,
	"AWS::ElasticLoadBalancingV2::ListenerRule":  true,
	"AWS::EC2::SecurityGroupIngress":             true,
	"AWS::CloudWatch::Dashboard":                 true,
}

// TestEveryResourceIsTagged: project, component and prefix on every resource
// that can carry tags, so cost and ownership can be read per deployment.
func TestEveryResourceIsTagged(t *testing.T) {
	tpl := loadTemplate(t)
	for id, r := range tpl.Resources {
		if notTaggable[r.Type] {
			continue
		}
		tags := map[string]any{}
		for _, tg := range asList(r.Properties["Tags"]) {
			m := tg.(map[string]any)
			tags[fmt.Sprint(m["Key"])] = m["Value"]
		}
		for _, k := range []string{"project", "component", "prefix"} {
			if _, ok := tags[k]; !ok {
				t.Errorf("%s (%s) has no %q tag", id, r.Type, k)
			}
		}
		if tags["project"] != "boardpack" {
			t.Errorf("%s: project tag = %v", id, tags["project"])
		}
	}
}

// TestEachRoleReadsOnlyItsSecrets: the internet-facing stripe-collector reads
// webhook signing secrets only, never Stripe API keys or service keys; only
// the mailer's task gets the service key (security finding 6); the alerter
// and the mailer (Slack digests) read Slack webhooks only.
func TestEachRoleReadsOnlyItsSecrets(t *testing.T) {
	tpl := loadTemplate(t)
	secretReads := func(role string) []string {
		var out []string
		for _, pol := range asList(tpl.Resources[role].Properties["Policies"]) {
			doc := pol.(map[string]any)["PolicyDocument"].(map[string]any)
			for _, st := range asList(doc["Statement"]) {
				sm := st.(map[string]any)
				acts := strings.Join(stringsOf(sm["Action"]), ",")
				if !strings.Contains(acts, "secretsmanager:GetSecretValue") && !strings.Contains(acts, "ssm:GetParameter") {
					continue
				}
				for _, r := range asList(sm["Resource"]) {
					if s := sub(r); s != "" {
						out = append(out, s)
					} else if id := refTo(r); id != "" {
						out = append(out, "ref:"+id)
					} else {
						out = append(out, fmt.Sprint(r))
					}
				}
			}
		}
		return out
	}
	onlyUnder := func(role string, paths ...string) {
		reads := secretReads(role)
		if len(reads) == 0 {
			t.Errorf("%s reads no secrets; want %v", role, paths)
		}
		for _, r := range reads {
			if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasSuffix(r, "${SecretNamePrefix}"+p+"*") }) {
				t.Errorf("%s may read %s, want only ${SecretNamePrefix} + %v", role, r, paths)
			}
		}
	}
	onlyUnder("StripeCollectorRole", "webhook/")
	onlyUnder("ReportctlRole", "stripe-api/", "slack/")
	onlyUnder("AlerterRole", "slack/")
	// Slack digests: the mailer resolves slack.webhook references, and
	// reads nothing else (its own keys come through the task's secrets).
	onlyUnder("MailerRole", "slack/")
	for _, role := range []string{"AggregatorRole", "SchedulerRole", "AWSCollectorRole"} {
		if r := secretReads(role); len(r) > 0 {
			t.Errorf("%s may read secrets %v; it needs none", role, r)
		}
	}
	name := sub(tpl.Resources["ServiceSecret"].Properties["Name"])
	if !strings.HasPrefix(name, "${SecretNamePrefix}service/") {
		t.Errorf("service secret %q is not under ${SecretNamePrefix}service/", name)
	}
	if exec := secretReads("TaskExecutionRole"); len(exec) != 2 || exec[0] != "ref:ServiceSecret" || exec[1] != "ref:ViewKeysSecret" {
		t.Errorf("task execution role reads %v, want only the service secret and the view keys", exec)
	}
	if name := sub(tpl.Resources["ViewKeysSecret"].Properties["Name"]); !strings.HasPrefix(name, "${SecretNamePrefix}service/") {
		t.Errorf("view keys secret %q is not under ${SecretNamePrefix}service/", name)
	}
}

// TestSESConfigurationSetSuppressesPerTenant: the account-level suppression
// list is off for Boardpack's configuration set, so one tenant's complaint
// does not silence another tenant's reports; reputation metrics are on.
func TestSESConfigurationSetSuppressesPerTenant(t *testing.T) {
	tpl := loadTemplate(t)
	cs := tpl.Resources["ConfigurationSet"].Properties
	so, ok := cs["SuppressionOptions"].(map[string]any)
	if !ok {
		t.Fatal("configuration set has no SuppressionOptions")
	}
	if r := asList(so["SuppressedReasons"]); len(r) != 0 {
		t.Errorf("SuppressedReasons = %v, want none (Boardpack suppresses per tenant)", r)
	}
	ro, _ := cs["ReputationOptions"].(map[string]any)
	if ro["ReputationMetricsEnabled"] != true {
		t.Error("reputation metrics are off: the bounce and complaint alarms need them")
	}
}

// TestHealthAndMetricsOnlyFromInsideTheVPC: the services' ports (/healthz,
// /readyz and /metrics on each) take traffic only from security groups,
// never from an address range: from the load balancer on the ports of its
// target groups (which route only the public paths,
// TestListenerRoutesOnlyPublicPaths), and from the service group itself
// (security finding 1). Every service task sits in that group alone.
func TestHealthAndMetricsOnlyFromInsideTheVPC(t *testing.T) {
	tpl := loadTemplate(t)
	const svcSG, lbSG = "ServiceSecurityGroup", "LoadBalancerSecurityGroup"
	lbPorts := map[string]bool{}
	for _, id := range tpl.ofType("AWS::ElasticLoadBalancingV2::TargetGroup") {
		lbPorts[fmt.Sprint(tpl.Resources[id].Properties["Port"])] = true
	}
	check := func(where string, rule map[string]any) {
		for _, k := range []string{"CidrIp", "CidrIpv6", "SourcePrefixListId"} {
			if v, ok := rule[k]; ok {
				t.Errorf("%s: service ports open to %s %v; want security groups only", where, k, v)
			}
		}
		switch src := refTo(rule["SourceSecurityGroupId"]); src {
		case svcSG:
		case lbSG:
			if rule["FromPort"] != rule["ToPort"] || !lbPorts[fmt.Sprint(rule["FromPort"])] {
				t.Errorf("%s: the load balancer reaches ports %v-%v; want only its target groups' ports %v", where, rule["FromPort"], rule["ToPort"], lbPorts)
			}
		default:
			t.Errorf("%s: ingress from %q; want only %s or %s", where, src, lbSG, svcSG)
		}
	}
	rules := asList(tpl.Resources[svcSG].Properties["SecurityGroupIngress"])
	if len(rules) == 0 {
		t.Fatalf("%s has no ingress: the load balancer reaches nothing", svcSG)
	}
	for i, r := range rules {
		check(fmt.Sprintf("%s ingress %d", svcSG, i), r.(map[string]any))
	}
	for _, id := range tpl.ofType("AWS::EC2::SecurityGroupIngress") {
		p := tpl.Resources[id].Properties
		if refTo(p["GroupId"]) == svcSG {
			check(id, p)
		}
	}
	services := tpl.ofType("AWS::ECS::Service")
	if len(services) == 0 {
		t.Fatal("no ECS services")
	}
	for _, id := range services {
		nc, _ := tpl.Resources[id].Properties["NetworkConfiguration"].(map[string]any)
		avc, _ := nc["AwsvpcConfiguration"].(map[string]any)
		sgs := asList(avc["SecurityGroups"])
		if len(sgs) != 1 || refTo(sgs[0]) != svcSG {
			t.Errorf("%s: security groups %v, want only %s", id, sgs, svcSG)
		}
	}
}
