// Package alerting is Boardpack's alerts between the digests: per-tenant
// rules over the metric stream, the episode state machine that makes each
// rule notify once per episode, the DynamoDB store of that state, and the
// senders (Slack incoming webhooks, SES email).
//
// # Rules
//
// A Rule names an alert metric from the catalogue (Metrics), a condition
// (above, below, or change_pct: the value moved by at least Threshold
// percent over Window), a threshold in the metric's unit (a decimal amount
// in the tenant's currency for money, a percentage for rates, a number for
// counts and hours), a window, an optional repeat interval, a severity,
// recipients (roles or addresses), channels (email, slack) and quiet hours
// in the tenant's time zone. Defaults() is the set that applies when a
// tenant gives none; rules a tenant gives replace defaults of the same
// name, and `alerts.defaults: false` turns the rest off.
//
// # Episodes
//
// For each (rule, subject) — the subject is the dispute, payout or finding
// for per-entity metrics, and "" for aggregate ones — an Episode is open
// from the observation that makes the condition true until the condition
// has been false for the rule's window. Step applies one observation, Tick
// advances the clock; both are pure and return the notifications to send:
// one "firing" when an episode opens, at most one "repeat" per Repeat
// interval while it lasts and the condition holds, and one "resolved" when
// it closes.
//
// Duplicated and reordered facts never alert twice: an observation older
// than the latest transition of its (rule, subject) cannot open an
// episode (it belongs to one already told), an open episode ignores
// further true observations except to extend it, and notification ids are
// derived from (rule, subject, episode number, kind, repeat number), so
// two workers racing on the same state produce the same ids and the
// conditional writes of the store keep one. Point events (a failed payout)
// are true at their instant only: their episode closes Window after the
// last one.
//
// # Quiet hours
//
// A notification whose time falls in the rule's quiet hours (tenant time
// zone) is held until they end, unless the rule is critical. Held
// notifications stay in the episode state (Pending) and are sent by the
// tick that finds them due.
package alerting
