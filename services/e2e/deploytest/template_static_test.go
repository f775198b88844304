package deploytest

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestCFNLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		if testing.Short() {
			t.Skip("cfn-lint not installed (pip install cfn-lint); skipped under -short")
		}
		t.Fatal("cfn-lint not found on PATH (pip install cfn-lint): the template must be linted")
	}
	cmd := exec.Command(bin, "--format", "parseable", filepath.Join(repoRoot(t), templatePath))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint %s: %v\n%s", templatePath, err, out)
	}
}

// sub returns the string of an {"Fn::Sub": "..."} value.
func sub(v any) string {
	if m, ok := v.(map[string]any); ok {
		if s, ok := m["Fn::Sub"].(string); ok {
			return s
		}
	}
	return ""
}

// refTo returns the logical id of {"Ref": id} or {"Fn::GetAtt": [id, attr]}.
func refTo(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		s, _ := ga[0].(string)
		return s
	}
	return ""
}

// byName indexes resources of a type by their name property, with the
// "${Prefix}" left in.
func (tpl template) byName(typ, prop string) map[string]string {
	out := map[string]string{}
	for _, id := range tpl.ofType(typ) {
		if n := sub(tpl.Resources[id].Properties[prop]); n != "" {
			out[n] = id
		}
	}
	return out
}

// TestTemplateStatic checks from the parsed template what moto's
// CloudFormation skips (see motoSkips) or ignores, and that the names
// equal services/internal/platform/resources's.
func TestTemplateStatic(t *testing.T) {
	tpl := loadTemplate(t)
	names := loadInfraNames(t)
	topics := tpl.byName("AWS::SNS::Topic", "TopicName")
	queues := tpl.byName("AWS::SQS::Queue", "QueueName")

	for _, topic := range names.Topics {
		if topics["${Prefix}"+topic] == "" {
			t.Errorf("no topic named ${Prefix}%s", topic)
		}
	}
	subs := map[[2]string]map[string]any{}
	for _, id := range tpl.ofType("AWS::SNS::Subscription") {
		p := tpl.Resources[id].Properties
		if p["Protocol"] == "sqs" {
			subs[[2]string{refTo(p["TopicArn"]), refTo(p["Endpoint"])}] = p
		}
	}
	policies := map[string]map[string]any{}
	for _, id := range tpl.ofType("AWS::SQS::QueuePolicy") {
		p := tpl.Resources[id].Properties
		for _, q := range asList(p["Queues"]) {
			policies[refTo(q)] = p
		}
	}
	for _, s := range names.Subscriptions {
		topicID, queueID, dlqID := topics["${Prefix}"+s[0]], queues["${Prefix}"+s[1]], queues["${Prefix}"+s[1]+names.DLQSuffix]
		if queueID == "" || dlqID == "" {
			t.Errorf("no queue ${Prefix}%s and DLQ ${Prefix}%s%s", s[1], s[1], names.DLQSuffix)
			continue
		}
		q, dlq := tpl.Resources[queueID].Properties, tpl.Resources[dlqID].Properties

		// Redrive to the DLQ; the DLQ keeps longer and accepts only this queue.
		rp, _ := q["RedrivePolicy"].(map[string]any)
		if refTo(rp["deadLetterTargetArn"]) != dlqID {
			t.Errorf("%s: RedrivePolicy %v does not target %s", queueID, rp, dlqID)
		}
		// A DynamoDB or SES outage of 30 minutes must send nothing to a DLQ:
		// a message reaches it after visibility timeout x receives.
		n, _ := rp["maxReceiveCount"].(float64)
		vt, _ := q["VisibilityTimeout"].(float64)
		if n < 1 || n > 50 || n*vt < 1800 {
			t.Errorf("%s: maxReceiveCount %v x visibility %vs = %vs, want 1..50 receives lasting at least 30 minutes", queueID, n, vt, n*vt)
		}
		if q["MessageRetentionPeriod"].(float64) >= dlq["MessageRetentionPeriod"].(float64) {
			t.Errorf("%s keeps messages no longer than its queue", dlqID)
		}
		rap, _ := dlq["RedriveAllowPolicy"].(map[string]any)
		src := fmt.Sprint(rap["sourceQueueArns"])
		if rap["redrivePermission"] != "byQueue" || !strings.Contains(src, ":${Prefix}"+s[1]+"]") && !strings.Contains(src, ":${Prefix}"+s[1]+" ") {
			t.Errorf("%s: RedriveAllowPolicy %v, want byQueue from ${Prefix}%s only", dlqID, rap, s[1])
		}
		if vt, _ := q["VisibilityTimeout"].(float64); vt < 30 {
			t.Errorf("%s: visibility timeout %vs is shorter than any handler", queueID, vt)
		}

		// Skipped by moto: the subscription with raw delivery ...
		sp := subs[[2]string{topicID, queueID}]
		if sp == nil {
			t.Errorf("no SNS subscription of %s to %s", queueID, topicID)
		} else if sp["RawMessageDelivery"] != true {
			t.Errorf("subscription %s → %s: RawMessageDelivery %v, want true (consumers read the raw JSON)", topicID, queueID, sp["RawMessageDelivery"])
		}
		// ... and the queue policy that lets that topic (only) deliver.
		pol := policies[queueID]
		if pol == nil {
			t.Errorf("no queue policy on %s: SNS cannot deliver", queueID)
			continue
		}
		doc, _ := json.Marshal(pol["PolicyDocument"])
		for _, want := range []string{`"sns.amazonaws.com"`, `"sqs:SendMessage"`, `"aws:SourceArn":{"Ref":"` + topicID + `"}`} {
			if !strings.Contains(string(doc), want) {
				t.Errorf("queue policy of %s lacks %s: %s", queueID, want, doc)
			}
		}
	}

	// Skipped by moto: alarms. Every DLQ alarms on depth > 0; every work
	// queue on the age of its oldest message.
	dlqAlarm, ageAlarm := map[string]bool{}, map[string]bool{}
	for _, id := range tpl.ofType("AWS::CloudWatch::Alarm") {
		p := tpl.Resources[id].Properties
		var q string
		for _, d := range asList(p["Dimensions"]) {
			if d, ok := d.(map[string]any); ok && d["Name"] == "QueueName" {
				q = refTo(d["Value"])
			}
		}
		if len(asList(p["AlarmActions"])) == 0 {
			t.Errorf("alarm %s notifies nobody", id)
		}
		switch p["MetricName"] {
		case "ApproximateNumberOfMessagesVisible":
			if p["Threshold"] == float64(0) && p["ComparisonOperator"] == "GreaterThanThreshold" {
				dlqAlarm[q] = true
			}
		case "ApproximateAgeOfOldestMessage":
			ageAlarm[q] = true
		}
	}
	for _, s := range names.Subscriptions {
		if id := queues["${Prefix}"+s[1]+names.DLQSuffix]; !dlqAlarm[id] {
			t.Errorf("no alarm on %s depth > 0", id)
		}
		if id := queues["${Prefix}"+s[1]]; !ageAlarm[id] {
			t.Errorf("no alarm on the age of %s's oldest message", id)
		}
	}

	// The table: moto creates it but ignores TTL and point-in-time recovery.
	tables := tpl.byName("AWS::DynamoDB::Table", "TableName")
	tableID := tables["${Prefix}boardpack"]
	if tableID == "" {
		t.Fatal("no table named ${Prefix}boardpack")
	}
	table := tpl.Resources[tableID].Properties
	js, _ := json.Marshal(table)
	for _, want := range []string{
		`"BillingMode":"PAY_PER_REQUEST"`,
		`"TimeToLiveSpecification":{"AttributeName":"` + names.ExpiresAt + `","Enabled":true}`,
		`"PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}`,
		`"IndexName":"` + names.GSI1 + `"`,
		`{"AttributeName":"` + names.PK + `","KeyType":"HASH"}`,
		`{"AttributeName":"` + names.SK + `","KeyType":"RANGE"}`,
		`{"AttributeName":"` + names.GSI1PK + `","KeyType":"HASH"}`,
		`{"AttributeName":"` + names.GSI1SK + `","KeyType":"RANGE"}`,
	} {
		if !strings.Contains(string(js), want) {
			t.Errorf("table lacks %s", want)
		}
	}

	// Skipped by moto: SES configuration set and its event destination.
	sets := tpl.byName("AWS::SES::ConfigurationSet", "Name")
	setID := sets["${Prefix}boardpack"]
	if setID == "" {
		t.Error("no SES configuration set named ${Prefix}boardpack")
	}
	var destOK bool
	for _, id := range tpl.ofType("AWS::SES::ConfigurationSetEventDestination") {
		p := tpl.Resources[id].Properties
		ed, _ := p["EventDestination"].(map[string]any)
		sns, _ := ed["SnsDestination"].(map[string]any)
		types := fmt.Sprint(ed["MatchingEventTypes"])
		if refTo(p["ConfigurationSetName"]) == setID && refTo(sns["TopicARN"]) == topics["${Prefix}ses-events"] &&
			ed["Enabled"] == true && strings.Contains(types, "bounce") && strings.Contains(types, "complaint") && strings.Contains(types, "delivery") {
			destOK = true
		}
	}
	if !destOK {
		t.Error("no enabled SES event destination sending bounce, complaint and delivery events to ${Prefix}ses-events")
	}
}

// taskOf maps each service to its ECS task definition.
var taskOf = map[string]string{
	"stripe-collector": "StripeCollectorTaskDefinition",
	"aggregator":       "AggregatorTaskDefinition",
	"scheduler":        "SchedulerTaskDefinition",
	"mailer":           "MailerTaskDefinition",
	"aws-collector":    "AWSCollectorTaskDefinition",
	"alerter":          "AlerterTaskDefinition",
	"reportctl":        "ReportctlTaskDefinition",
}

var serviceOf = map[string]string{
	"stripe-collector": "StripeCollectorService",
	"aggregator":       "AggregatorService",
	"scheduler":        "SchedulerService",
	"mailer":           "MailerService",
	"aws-collector":    "AWSCollectorService",
	"alerter":          "AlerterService",
}

func TestTemplateTasks(t *testing.T) {
	tpl := loadTemplate(t)
	for _, svc := range servicesWithMain(t) {
		t.Run(svc, func(t *testing.T) {
			id, ok := taskOf[svc]
			td, found := tpl.Resources[id]
			if !ok || !found || td.Type != "AWS::ECS::TaskDefinition" {
				t.Fatalf("no task definition for %s", svc)
			}
			p := td.Properties
			if refTo(p["TaskRoleArn"]) != roleOf[svc] {
				t.Errorf("task role %v, want %s", p["TaskRoleArn"], roleOf[svc])
			}
			if !strings.Contains(fmt.Sprint(p["RequiresCompatibilities"]), "FARGATE") {
				t.Error("not a Fargate task")
			}
			cds := asList(p["ContainerDefinitions"])
			if len(cds) != 1 {
				t.Fatalf("%d containers, want 1", len(cds))
			}
			c := cds[0].(map[string]any)
			if img := sub(c["Image"]); img != "${ImageRegistry}/"+svc+":${ImageTag}" {
				t.Errorf("image %q", img)
			}
			env := map[string]any{}
			for _, e := range asList(c["Environment"]) {
				e := e.(map[string]any)
				env[e["Name"].(string)] = e["Value"]
			}
			for _, s := range asList(c["Secrets"]) {
				s := s.(map[string]any)
				env[s["Name"].(string)] = "secret"
			}
			read := envVarsRead(t, svc)
			var unknown []string
			for k := range env {
				if strings.HasPrefix(k, "BOARDPACK_") && !read[k] && k != "BOARDPACK_LOG_LEVEL" {
					unknown = append(unknown, k)
				}
			}
			sort.Strings(unknown)
			if len(unknown) > 0 {
				t.Errorf("task sets %v, which %s's code never reads", unknown, svc)
			}
			for _, k := range []string{"BOARDPACK_PREFIX", "BOARDPACK_TABLE", "AWS_REGION"} {
				if env[k] == nil {
					t.Errorf("task environment lacks %s", k)
				}
			}
			for _, k := range []string{"BOARDPACK_MAILER_UNSUBSCRIBE_KEY", "BOARDPACK_MAILER_VIEW_KEYS"} {
				if read[k] && env[k] != "secret" {
					t.Errorf("%s must come from Secrets Manager (task definition Secrets)", k)
				}
			}
			if env["BOARDPACK_LOCAL"] != nil {
				t.Error("BOARDPACK_LOCAL is for local runs only: it lets the mailer use its public development key")
			}
			port, long := servicePorts[svc]
			if !long {
				return
			}
			if env["BOARDPACK_HTTP_ADDR"] != "0.0.0.0:"+strconv.Itoa(port) {
				t.Errorf("BOARDPACK_HTTP_ADDR %v, want 0.0.0.0:%d", env["BOARDPACK_HTTP_ADDR"], port)
			}
			hc, _ := c["HealthCheck"].(map[string]any)
			if fmt.Sprint(hc["Command"]) != fmt.Sprintf("[CMD /healthcheck http://127.0.0.1:%d/healthz]", port) {
				t.Errorf("health check %v", hc["Command"])
			}
			ecsSvc, ok := tpl.Resources[serviceOf[svc]]
			if !ok || ecsSvc.Type != "AWS::ECS::Service" || refTo(ecsSvc.Properties["TaskDefinition"]) != id {
				t.Errorf("no ECS service runs %s", id)
			} else if ecsSvc.Properties["LaunchType"] != "FARGATE" {
				t.Errorf("%s launch type %v", serviceOf[svc], ecsSvc.Properties["LaunchType"])
			}
		})
	}
}
