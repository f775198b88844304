package deploytest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Resource types moto 5.2.1's CloudFormation silently skips (it warns
// "not supported by moto's CloudFormation implementation" and reports the
// stack CREATE_COMPLETE anyway). They are checked statically from the
// parsed template in TestTemplateStatic instead.
var motoSkips = []string{
	"AWS::SNS::Subscription",
	"AWS::SNS::TopicPolicy",
	"AWS::SQS::QueuePolicy",
	"AWS::SES::ConfigurationSet",
	"AWS::SES::ConfigurationSetEventDestination",
	"AWS::CloudWatch::Alarm",
	"AWS::SecretsManager::Secret",
}

// Resource types moto 5.2.1's CloudFormation cannot create at all: the
// dashboard's body names the target group's TargetGroupFullName, which moto
// does not implement (CreateStack answers 500). They are removed before the
// stack is deployed into moto and checked statically (TestOperatorAlarms).
var motoFails = []string{
	"AWS::CloudWatch::Dashboard",
}

// Properties moto accepts but ignores on resources it creates.
// DynamoDB: TimeToLiveSpecification, PointInTimeRecoverySpecification.

// stackParameters are plausible values for the parameters without defaults.
func stackParameters(prefix string, net network) []cftypes.Parameter {
	p := func(k, v string) cftypes.Parameter {
		return cftypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)}
	}
	return []cftypes.Parameter{
		p("Prefix", prefix),
		p("SenderDomain", "boardpack.example.com"),
		p("SenderAddress", "reports@boardpack.example.com"),
		p("ImageRegistry", "123456789012.dkr.ecr.us-east-1.amazonaws.com/boardpack"),
		p("ImageTag", "test"),
		p("VpcId", net.vpc),
		p("ServiceSubnetIds", net.subnets[0]+","+net.subnets[1]),
		p("LoadBalancerSubnetIds", net.subnets[2]+","+net.subnets[3]),
		p("CertificateArn", net.certificate),
		p("PublicBaseURL", "https://hooks.boardpack.example.com"),
	}
}

// deployStack creates the template as a stack with a unique prefix and
// waits for CREATE_COMPLETE; it returns the prefix and the stack's outputs.
func deployStack(ctx context.Context, t *testing.T, cfg aws.Config) (prefix string, outputs map[string]string) {
	t.Helper()
	prefix = fmt.Sprintf("t%x-", time.Now().UnixNano()&0xffffffff)
	cf := cloudformation.NewFromConfig(cfg)
	stack := stackName(prefix)
	_, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String(stack),
		TemplateBody: aws.String(loadTemplate(t).withoutTypes(motoFails...).JSON(t)),
		Parameters:   stackParameters(prefix, makeNetwork(ctx, t, cfg)),
		Capabilities: []cftypes.Capability{cftypes.CapabilityCapabilityIam},
	})
	if err != nil {
		t.Fatalf("create stack: %v", err)
	}
	w := cloudformation.NewStackCreateCompleteWaiter(cf, func(o *cloudformation.StackCreateCompleteWaiterOptions) {
		o.MinDelay, o.MaxDelay = 200*time.Millisecond, time.Second
	})
	out, err := w.WaitForOutput(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)}, 2*time.Minute)
	if err != nil {
		t.Fatalf("stack %s did not reach CREATE_COMPLETE: %v", stack, err)
	}
	outputs = map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return prefix, outputs
}

func stackName(prefix string) string { return "boardpack-" + strings.TrimSuffix(prefix, "-") }

func TestTemplateDeploysIntoMoto(t *testing.T) {
	cfg := awsConfig(t)
	names := loadInfraNames(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	prefix, outputs := deployStack(ctx, t, cfg)

	table := prefix + "boardpack"
	if outputs["TableName"] != table || outputs["Prefix"] != prefix {
		t.Errorf("outputs TableName=%q Prefix=%q, want %q %q", outputs["TableName"], outputs["Prefix"], table, prefix)
	}

	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	snsc := sns.NewFromConfig(cfg)
	for _, topic := range names.Topics {
		arn := fmt.Sprintf("arn:aws:sns:%s:%s:%s%s", cfg.Region, aws.ToString(who.Account), prefix, topic)
		if _, err := snsc.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)}); err != nil {
			t.Errorf("topic %s: %v", arn, err)
		}
	}

	sqsc := sqs.NewFromConfig(cfg)
	for _, sub := range names.Subscriptions {
		queue, dlqName := prefix+sub[1], prefix+sub[1]+names.DLQSuffix
		dlq := queueAttributes(ctx, t, sqsc, dlqName)
		q := queueAttributes(ctx, t, sqsc, queue)
		if q == nil || dlq == nil {
			continue
		}
		var redrive struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     any    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(q["RedrivePolicy"]), &redrive); err != nil {
			t.Errorf("queue %s: RedrivePolicy %q: %v", queue, q["RedrivePolicy"], err)
		} else if redrive.DeadLetterTargetArn != dlq["QueueArn"] {
			t.Errorf("queue %s redrives to %q, want its DLQ %q", queue, redrive.DeadLetterTargetArn, dlq["QueueArn"])
		}
		if n, _ := strconv.Atoi(q["VisibilityTimeout"]); n < 30 {
			t.Errorf("queue %s: visibility timeout %ss, want at least 30s", queue, q["VisibilityTimeout"])
		}
		dlqRet, _ := strconv.Atoi(dlq["MessageRetentionPeriod"])
		qRet, _ := strconv.Atoi(q["MessageRetentionPeriod"])
		if dlqRet <= qRet {
			t.Errorf("DLQ %s keeps messages %ds, not longer than its queue's %ds", dlqName, dlqRet, qRet)
		}
	}

	ddb := dynamodb.NewFromConfig(cfg)
	desc, err := ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("table %s: %v", table, err)
	}
	td := desc.Table
	if td.BillingModeSummary == nil || td.BillingModeSummary.BillingMode != "PAY_PER_REQUEST" {
		t.Errorf("table %s is not on-demand: %+v", table, td.BillingModeSummary)
	}
	keys := map[string]string{}
	for _, k := range td.KeySchema {
		keys[string(k.KeyType)] = aws.ToString(k.AttributeName)
	}
	if keys["HASH"] != names.PK || keys["RANGE"] != names.SK {
		t.Errorf("table key schema %v, want %s/%s", keys, names.PK, names.SK)
	}
	var gsiOK bool
	for _, g := range td.GlobalSecondaryIndexes {
		if aws.ToString(g.IndexName) == names.GSI1 && len(g.KeySchema) == 2 &&
			aws.ToString(g.KeySchema[0].AttributeName) == names.GSI1PK && aws.ToString(g.KeySchema[1].AttributeName) == names.GSI1SK {
			gsiOK = true
		}
	}
	if !gsiOK {
		t.Errorf("table has no index %s on %s/%s", names.GSI1, names.GSI1PK, names.GSI1SK)
	}

	// The stack's resources as CloudFormation recorded them: everything
	// moto supports must be there.
	tpl := loadTemplate(t)
	cf := cloudformation.NewFromConfig(cfg)
	res, err := cf.DescribeStackResources(ctx, &cloudformation.DescribeStackResourcesInput{StackName: aws.String(stackName(prefix))})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range res.StackResources {
		got[aws.ToString(r.LogicalResourceId)] = true
	}
	skipped := map[string]bool{}
	for _, typ := range append(motoSkips, motoFails...) {
		skipped[typ] = true
	}
	for id, r := range tpl.Resources {
		if r.Condition != "" || skipped[r.Type] {
			continue
		}
		if !got[id] {
			t.Errorf("resource %s (%s) missing from the stack", id, r.Type)
		}
	}
}

// network is a VPC with four subnets and a certificate: moto checks that
// the VPC, subnet and certificate parameters exist.
type network struct {
	vpc         string
	subnets     [4]string
	certificate string
}

func makeNetwork(ctx context.Context, t *testing.T, cfg aws.Config) network {
	t.Helper()
	c := ec2.NewFromConfig(cfg)
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.20.0.0/16")})
	if err != nil {
		t.Fatalf("create vpc: %v", err)
	}
	n := network{vpc: aws.ToString(vpc.Vpc.VpcId)}
	for i := range n.subnets {
		sn, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId:            vpc.Vpc.VpcId,
			CidrBlock:        aws.String(fmt.Sprintf("10.20.%d.0/24", i)),
			AvailabilityZone: aws.String(cfg.Region + string(rune('a'+i%2))),
		})
		if err != nil {
			t.Fatalf("create subnet: %v", err)
		}
		n.subnets[i] = aws.ToString(sn.Subnet.SubnetId)
	}
	cert, err := acm.NewFromConfig(cfg).RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("hooks.boardpack.example.com")})
	if err != nil {
		t.Fatalf("request certificate: %v", err)
	}
	n.certificate = aws.ToString(cert.CertificateArn)
	return n
}

func queueAttributes(ctx context.Context, t *testing.T, c *sqs.Client, name string) map[string]string {
	t.Helper()
	u, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		t.Errorf("queue %s: %v", name, err)
		return nil
	}
	a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Errorf("queue %s attributes: %v", name, err)
		return nil
	}
	return a.Attributes
}
