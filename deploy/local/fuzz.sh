#!/usr/bin/env bash
# make fuzz: each fuzz target for FUZZTIME. A failure that saved a crashing
# input (testdata/fuzz/...) fails at once; a fuzzer that stopped without
# one (a worker killed or hung on a loaded machine) is retried once.
set -uo pipefail
cd "$(dirname "$0")/../.."
fuzztime=${FUZZTIME:-10s}
targets=(
	"services/stripe-collector/internal/webhook FuzzWebhook"
	"services/internal/domain/importer FuzzParse"
	"services/internal/domain/tenants FuzzParse"
)
failed=0
for t in "${targets[@]}"; do
	read -r dir name <<<"$t"
	for attempt in 1 2; do
		before=$(find "$dir/testdata/fuzz/$name" -type f 2>/dev/null | wc -l)
		log=$(mktemp)
		(cd "$dir" && go test -short -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" .) >"$log" 2>&1
		rc=$?
		grep -v '^fuzz: elapsed' "$log"
		after=$(find "$dir/testdata/fuzz/$name" -type f 2>/dev/null | wc -l)
		rm -f "$log"
		if ((rc == 0)); then break; fi
		if ((after > before)); then
			echo "fuzz: $dir $name found a failing input (saved under $dir/testdata/fuzz/$name)"
			failed=1
			break
		fi
		if ((attempt == 2)); then
			echo "fuzz: $dir $name failed twice without a failing input"
			failed=1
		else
			echo "fuzz: $dir $name stopped without a failing input; retrying once"
		fi
	done
done
exit $failed
