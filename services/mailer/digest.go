package main

import (
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/notify"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"

	"github.com/boardpack/boardpack/services/mailer/internal/mailer"
)

// newDigest wires the Slack digests (slack.digests: true): the alerter's
// notifier, posting through the real Slack client (paced per webhook, 429
// Retry-After waited out), resolving slack.webhook references (ssm:,
// secretsmanager:, env:), claiming each digest once per report in the
// send records and remembering dead webhooks (404/410, reported once) in
// the same table as the alerter, so a webhook one found gone the other
// does not post to either. Its counter goes on reg.
func newDigest(awsCfg aws.Config, db dynamoClient, cfg Config, log *slog.Logger, reg prometheus.Registerer) mailer.DigestFunc {
	slack := notify.NewSlack()
	// A post, Retry-After waits included, ends well inside the handler's
	// timeout (3/4 of the visibility timeout) after the emails.
	slack.MaxWait = cfg.VisibilityTimeout / 4
	dead := prometheus.NewCounter(prometheus.CounterOpts{Name: "boardpack_mailer_slack_dead_webhooks_total",
		Help: "Slack webhooks found gone (404/410) by a digest; each reported once in the log."})
	reg.MustRegister(dead)
	n := &notify.Notifier{
		Sends: delivery.Store{DB: db, Table: cfg.Names.Table}, Dead: episodes.Store{DB: db, Table: cfg.Names.Table},
		Slack: slack, Secrets: tenants.NewSecretResolver(awsCfg, 5*time.Minute), AllowedHosts: cfg.SlackAllowedHosts,
		ClaimTTL: cfg.VisibilityTimeout, Log: log,
		OnDeadWebhook: func(string) { dead.Inc() },
	}
	return mailer.SlackDigest(n)
}
