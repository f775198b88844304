#!/usr/bin/env bash
# make mutation: gremlins (v0.6.0) on the packages whose figures must be
# right to the cent. Each mutant re-runs the package's tests, so one moto is
# started here and shared through AWS_ENDPOINT_URL (the harness then starts
# none). Prints each package's efficacy (killed / (killed + lived)) and the
# surviving mutants; fails when a package is below MUTATION_MIN (default 90).
#   MUTATION_PKGS="stripemap report" make mutation   # a subset
# A package whose whole suite is too slow to re-run per mutant (report:
# minutes, mostly the chromium and PDF checks) can be measured on a subset,
# and the result must then be reported as such:
#   MUTATION_GOFLAGS="-short -run=^(TestA|TestB)$"  go test flags (GOFLAGS)
#                                                    for every test run
#   MUTATION_EXCLUDE="pdf\.go chart\.go"             files not mutated
set -euo pipefail
cd "$(dirname "$0")/../.."
min=${MUTATION_MIN:-90}
pkgs=${MUTATION_PKGS:-"stripemap readmodel report importer"}
workers=${MUTATION_WORKERS:-2}
out=${MUTATION_OUT:-.run/mutation}
mkdir -p "$out"
out=$(cd "$out" && pwd)

GREMLINS=$(command -v gremlins || echo "$(go env GOPATH)/bin/gremlins")
if [ ! -x "$GREMLINS" ]; then
	echo "installing gremlins v0.6.0"
	GOFLAGS= GOWORK=off go install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$out/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/moto-api/data.json" >/dev/null && break; sleep 0.2; done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test

# gremlins copies the module (services/internal) into $TMPDIR/gremlins-*/wd-*/
# and runs each mutant's tests there. Paths that leave the module would then
# point at nothing (go.mod's `replace => ../../messages`, the tests'
# ../../../../deploy/demo fixtures): every mutant would fail to build or
# find its fixtures and count as killed. So $TMPDIR is a folder whose
# messages/ and deploy/ are the repository's, at the depth those paths
# expect, and the unmutated tests must pass in such a copy first.
stage=$(mktemp -d)
trap 'kill $moto 2>/dev/null || true; rm -rf "$stage"' EXIT
ln -s "$PWD/messages" "$stage/messages"
ln -s "$PWD/deploy" "$stage/deploy"
mkdir -p "$stage/baseline"
cp -r services/internal "$stage/baseline/internal"
# -count=1: gremlins times each mutant against the coverage run; a cached
# coverage run takes no time, so every mutant would then "time out" uncounted.
export GOWORK=off TMPDIR="$stage" GOFLAGS="-count=1 ${MUTATION_GOFLAGS:-}"
exclude=()
for x in ${MUTATION_EXCLUDE:-}; do exclude+=(-E "$x"); done
targets=$(for p in $pkgs; do printf './domain/%s ' "$p"; done)
if ! (cd "$stage/baseline/internal" && go test -count=1 $targets >"$out/baseline.log" 2>&1); then
	echo "the packages' tests fail in a copy laid out as gremlins lays it out; see $out/baseline.log" >&2
	exit 1
fi

status=0
printf '%-10s %8s %8s %8s %9s\n' package killed lived timeout efficacy
for p in $pkgs; do
	dir=services/internal/domain/$p
	json="$out/$p.json"
	(cd services/internal && "$GREMLINS" unleash --silent --workers "$workers" --timeout-coefficient 4 \
		"${exclude[@]}" -o "$json" "./domain/$p") >"$out/$p.log" 2>&1 || true
	python3 - "$json" "$p" "$min" <<'PY' || status=1
import json, sys
path, pkg, minimum = sys.argv[1], sys.argv[2], float(sys.argv[3])
try:
    r = json.load(open(path))
except Exception as e:
    print(f"{pkg:<10} no result ({e}); see {path.replace('.json', '.log')}")
    sys.exit(1)
k, l, t = r.get("mutants_killed", 0), r.get("mutants_lived", 0), r.get("mutants_timed_out", 0)
eff = 100.0 * k / (k + l) if k + l else 100.0
print(f"{pkg:<10} {k:8d} {l:8d} {t:8d} {eff:8.1f}%")
for f in r.get("files", []):
    for m in f.get("mutations", []):
        if m.get("status") == "LIVED":
            print(f"    lived {m.get('type')} {f.get('file_name')}:{m.get('line')}:{m.get('column')}")
sys.exit(0 if eff >= minimum else 1)
PY
done
exit $status
