#!/usr/bin/env bash
# make bench: runs the benchmarks that carry Boardpack's published figures,
# side by side on one local moto, and writes BENCHMARKS.md: the machine,
# the date, each figure against its goal, then every raw benchmark line.
# BENCH_QUICK=1 runs each with fewer iterations.
# BOARDPACK_BENCH_MOTO_KEEPALIVE=true puts a keep-alive proxy in front of
# moto for BenchmarkIngest, the raw ceiling and the naive peer alike
# (mototest.KeepAlive): moto answers every request `Connection: close`,
# AWS does not, and behind the proxy those dials are not charged to the
# services' CPU. Off by default; a figure measured with it says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=BENCHMARKS.md
raw=$(mktemp)
trap 'rm -f "$raw"; [[ -n ${moto_pid:-} ]] && kill "$moto_pid" 2>/dev/null; true' EXIT

export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-testing} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-testing} AWS_REGION=${AWS_REGION:-us-east-1}
if [[ -z ${AWS_ENDPOINT_URL:-} ]]; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
	moto_pid=$!
	export AWS_ENDPOINT_URL=http://127.0.0.1:$port
	for _ in $(seq 1 100); do curl -fs -o /dev/null "$AWS_ENDPOINT_URL/moto-api/" && break; sleep 0.2; done
fi

q=${BENCH_QUICK:-}
if [[ -n $q ]]; then
	# The open-loop load run (P7, P8) shortened.
	export BOARDPACK_LOAD_P7_SECONDS=${BOARDPACK_LOAD_P7_SECONDS:-5} BOARDPACK_LOAD_OVERLOAD_SECONDS=${BOARDPACK_LOAD_OVERLOAD_SECONDS:-10}
fi
# package dir; benchmark regexp; iterations (full); iterations (quick); extra go test flags
runs=(
	"services/e2e;^BenchmarkRawSQSCeiling$;100x;20x"
	"services/e2e;^BenchmarkNaiveWatermillPeer$;200x;30x"
	"services/e2e;^BenchmarkIngest$;50x;10x"
	"services/e2e;^BenchmarkWebhookToSlack$;1x;1x"
	"services/e2e;^BenchmarkWebhookLoad$;1x;1x"
	"services/e2e;^BenchmarkServiceFootprint$;3x;1x"
	"services/internal/domain/report;^Benchmark(Build|Render)$;20x;3x"
	"services/internal/domain/report;^Benchmark(Build|Render)History$;20x;3x"
	"services/internal/domain/readmodel;^BenchmarkHotTenantShards$;1x;1x"
	"services/mailer/internal/mailer;^BenchmarkThroughput$;3x;1x"
	"services/mailer;^BenchmarkReportDueToSlackDigest$;1x;1x"
	"services/stripe-collector/internal/webhook;^Benchmark(VerifyTranslate|HandlerNoIO)$;20000x;2000x;-cpu 1"
	"services/stripe-collector/internal/webhook;^BenchmarkWebhookToSNS$;2000x;400x"
	"services/internal/platform/bus;^BenchmarkPublishBatch$;100x;20x"
	"services/aws-collector/internal/collector;^BenchmarkPassOneTenant$;5x;1x"
	"services/scheduler/internal/scheduler;^BenchmarkCatchUpPass$;1x;1x"
	"services/internal/domain/schedule;^BenchmarkCatchUpWeekOfMinutes$;5x;1x"
	"services/internal/domain/schedule;^BenchmarkNextWeekly$;200x;20x"
	"services/internal/domain/importer;^BenchmarkScanExpenses$;2x;1x"
	"services/aggregator;^BenchmarkAggregatorMoto$;1x;1x"
	"services/reportctl/internal/cmd/stripe;^BenchmarkBackfill5Years$;1x;1x"
)
for r in "${runs[@]}"; do
	IFS=';' read -r dir re full quick flags <<<"$r"
	[[ -n $q ]] && n=$quick || n=$full
	[[ -n ${BENCH:-} && ! $re =~ ${BENCH} ]] && continue
	echo "==> $dir $re ($n)"
	# shellcheck disable=SC2086 # flags are words
	(cd "$dir" && go test -run '^$' -bench "$re" -benchtime "$n" ${flags:-} -timeout 30m . 2>&1) | tee -a "$raw" | grep -E '^(Benchmark|FAIL|---)' || true
done

python3 deploy/local/bench_report.py "$raw" >"$out"
echo "wrote $out"
