#!/usr/bin/env bash
# Runs Boardpack on this machine against a local AWS emulator.
#
#   boardpack-local.sh run    foreground: start everything, send demo reports (saved under
#                             .run/mail/), Ctrl-C stops all
#   boardpack-local.sh up     the same in the background; returns once every service is healthy
#   boardpack-local.sh down   stop exactly what `up` started (pid files in .run/pids)
#
# AWS: if AWS_ENDPOINT_URL is set it is used as is (LocalStack, a moto you
# run, or unset the variable and set AWS credentials for real AWS — but the
# demo is meant for an emulator). Otherwise, if nothing listens on
# 127.0.0.1:4566, moto_server is started there.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
state=.run
pids=$state/pids
logs=$state/logs
bin=$root/bin
services=(aggregator mailer scheduler stripe-collector aws-collector alerter)
declare -A ports=([stripe-collector]=8080 [aggregator]=8081 [scheduler]=8082 [mailer]=8083 [aws-collector]=8084 [alerter]=8085)
demo_tenant=${BOARDPACK_DEMO_TENANT:-queen-of-san-diego}
# The demo portfolio (deploy/demo/tenants.yaml, portfolios:): its five
# reports are sent too.
demo_portfolio=${BOARDPACK_DEMO_PORTFOLIO:-holding}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'boardpack-local: %s\n' "$*" >&2; exit 1; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_http() { # url timeout-seconds
	local deadline=$((SECONDS + $2))
	until curl -fsS -o /dev/null "$1" 2>/dev/null; do
		((SECONDS < deadline)) || return 1
		sleep 0.2
	done
}

stop_pidfile() { # pidfile
	local f=$1 pid
	[[ -f $f ]] || return 0
	pid=$(cat "$f")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$f"
}

down() {
	local f
	for s in "${services[@]}"; do stop_pidfile "$pids/$s.pid"; done
	for f in "$pids"/*.pid; do [[ -e $f ]] && stop_pidfile "$f"; done
	rm -f "$state/env"
}

# The local run allows what a production deployment refuses: literal
# secrets in the tenants file, and tenants without aws.role_arn read in the
# (emulated) hosting account.
export BOARDPACK_ALLOW_LITERAL_SECRETS=true BOARDPACK_ALLOW_AMBIENT_AWS=true

start_emulator() {
	export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
	export AWS_REGION=${AWS_REGION:-us-east-1}
	if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
		say "using AWS endpoint $AWS_ENDPOINT_URL"
		return
	fi
	export AWS_ENDPOINT_URL=http://127.0.0.1:4566
	if listening 4566; then
		say "using the emulator already listening on 127.0.0.1:4566"
		return
	fi
	command -v moto_server >/dev/null || die "no AWS endpoint: set AWS_ENDPOINT_URL, run LocalStack on :4566 (docker compose up localstack) or install moto (pip install 'moto[server]')"
	say "starting moto_server on 127.0.0.1:4566"
	setsid moto_server -H 127.0.0.1 -p 4566 >"$logs/moto.log" 2>&1 &
	echo $! >"$pids/moto.pid"
	wait_http "$AWS_ENDPOINT_URL/moto-api/" 60 || die "moto did not start (see $logs/moto.log)"
}

start_services() {
	for s in "${services[@]}"; do
		if [[ -f $pids/$s.pid ]] && kill -0 "$(cat "$pids/$s.pid")" 2>/dev/null; then
			die "$s is already running (pid $(cat "$pids/$s.pid")); run 'make down' first"
		fi
		listening "${ports[$s]}" && die "port ${ports[$s]} (for $s) is taken by another process"
	done
	for s in "${services[@]}"; do
		# BOARDPACK_LOCAL: the local run, where the mailer may sign
		# unsubscribe and View in browser links with its development keys.
		BOARDPACK_LOCAL=${BOARDPACK_LOCAL:-true} BOARDPACK_HTTP_ADDR=127.0.0.1:${ports[$s]} setsid "$bin/$s" >"$logs/$s.log" 2>&1 &
		echo $! >"$pids/$s.pid"
	done
	for s in "${services[@]}"; do
		wait_http "http://127.0.0.1:${ports[$s]}/healthz" 30 || die "$s is not healthy (see $logs/$s.log)"
		echo "    $s healthy on 127.0.0.1:${ports[$s]} (log $logs/$s.log)"
	done
}

demo() {
	local ctl=$bin/reportctl
	say "bootstrap"
	"$ctl" bootstrap >/dev/null
	say "apply demo tenants"
	"$ctl" tenants apply -f deploy/demo/tenants.yaml
	start_services
	say "load the demo data (signed Stripe webhooks, spreadsheets) and send one report per role for $demo_tenant and for portfolio $demo_portfolio"
	# The demo covers the last complete month of its data (demo load --help).
	"$ctl" demo load --dir deploy/demo --url http://127.0.0.1:8080 --send "$demo_tenant" --send-portfolio "$demo_portfolio" --timeout 300s | sed 's/^/    /'
	say "sent"
	"$ctl" report status --tenant "$demo_tenant" || true
	"$ctl" report status --tenant "$demo_portfolio" || true
	say "emails SES accepted, saved under $state/mail/ (open the .html in a browser)"
	rm -rf "$state/mail"
	"$ctl" outbox --save "$state/mail" >/dev/null
	ls "$state"/mail/*.html 2>/dev/null | sed 's/^/    /' || echo "    (none)"
	cat <<MSG

Boardpack is running against $AWS_ENDPOINT_URL.
  Emails SES accepted:  $state/mail/ (each as .eml and .html); list them again with
                        source $state/env && bin/reportctl outbox [--save DIR]
  Stripe webhooks:      POST http://127.0.0.1:8080/webhooks/stripe/<tenant>
  Operator CLI:         AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL bin/reportctl --help
  Logs:                 $logs/
MSG
}

write_env() {
	cat >"$state/env" <<ENV
export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_REGION=$AWS_REGION AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export BOARDPACK_ALLOW_LITERAL_SECRETS=$BOARDPACK_ALLOW_LITERAL_SECRETS BOARDPACK_ALLOW_AMBIENT_AWS=$BOARDPACK_ALLOW_AMBIENT_AWS
export BOARDPACK_SLACK_ALLOWED_HOSTS=$BOARDPACK_SLACK_ALLOWED_HOSTS
ENV
}

prepare() {
	mkdir -p "$pids" "$logs"
	# A local HTTP receiver may stand in for Slack (alerts: slack.webhook).
	export BOARDPACK_SLACK_ALLOWED_HOSTS=${BOARDPACK_SLACK_ALLOWED_HOSTS:-127.0.0.1,localhost}
	[[ -x $bin/reportctl ]] || die "binaries missing: run 'make build'"
	start_emulator
	write_env
}

case ${1:-} in
run)
	trap 'echo; say "stopping"; down; exit 0' INT TERM
	trap 'down' EXIT
	prepare
	demo
	say "running; Ctrl-C stops everything"
	while sleep 1; do
		for s in "${services[@]}"; do
			kill -0 "$(cat "$pids/$s.pid")" 2>/dev/null || { echo "$s exited (see $logs/$s.log)"; exit 1; }
		done
	done
	;;
up)
	trap 'rc=$?; ((rc == 0)) || down; exit $rc' EXIT
	prepare
	demo
	say "up: 'make down' stops it; 'source .run/env' points your shell at the emulator"
	;;
down)
	down
	say "down"
	;;
*)
	die "usage: $0 run|up|down"
	;;
esac
