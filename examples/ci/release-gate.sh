#!/usr/bin/env bash
# sqlgate release gate for any CI: evaluate a candidate's predictions on the golden suite,
# gate them, and exit with the verdict.
#
#   examples/ci/release-gate.sh PREDICTIONS.jsonl [CANDIDATE]
#
# Exit status: 0 the gate passed, 1 it failed (reasons in the log, verdict.json and the JUnit
# file), 2 bad input (file:line: field: what was expected), 3+ a harness error.
# Artifacts, in $SQLGATE_REPORTS/<candidate>/ (default reports/<candidate>/): results.json,
# junit.xml (one test case per example and one per gate rule), verdict.json, scorecard.html.
#
# Settings (environment):
#   SQLGATE_POLICY     gate policy (default gates/offline.toml: replayed predictions have no
#                      latency; use gates/release.toml for a served model)
#   SQLGATE_BASELINE   results.json of the promoted model, for the paired comparison
#   SQLGATE_EVAL_SETS  golden files, space-separated (default: the whole golden suite)
#   SQLGATE_REPORTS    report root (default reports)
#   SQLGATE_MLFLOW=1   also log the run to MLflow (MLFLOW_TRACKING_URI, default ./mlruns)
#   SQLGATE_PYTHON     the Python to run sqlgate with (default: .sqlgate-venv/bin/python,
#                      created and installed from this clone with the pinned constraints the
#                      first time, or any python3 that already imports harness)
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 PREDICTIONS.jsonl [CANDIDATE]" >&2
    exit 2
fi
predictions=$1
candidate=${2:-candidate}
root=$(cd "$(dirname "$0")/../.." && pwd)

python=${SQLGATE_PYTHON:-}
if [[ -z $python ]]; then
    if python3 -c "import harness.cli" 2>/dev/null; then
        python=python3
    else
        python=$root/.sqlgate-venv/bin/python
        if [[ ! -x $python ]]; then
            python3 -m venv "$root/.sqlgate-venv"
            "$python" -m pip install --quiet -c "$root/constraints.txt" -e "$root"
        fi
    fi
fi

args=(evaluate --predictions "$predictions" --candidate "$candidate"
      --policy "${SQLGATE_POLICY:-$root/gates/offline.toml}"
      --out "${SQLGATE_REPORTS:-reports}/$candidate")
for eval_set in ${SQLGATE_EVAL_SETS:-}; do
    args+=(--eval-set "$eval_set")
done
if [[ -n ${SQLGATE_BASELINE:-} ]]; then
    args+=(--baseline "$SQLGATE_BASELINE")
fi
if [[ ${SQLGATE_MLFLOW:-0} == 1 ]]; then
    args+=(--mlflow)
fi

status=0
"$python" -m harness "${args[@]}" || status=$?
echo "sqlgate release gate: exit status $status ($(case $status in
    0) echo passed ;; 1) echo 'failed: see verdict.json' ;; 2) echo 'bad input' ;;
    *) echo 'harness error' ;; esac)); reports in ${SQLGATE_REPORTS:-reports}/$candidate/"
exit "$status"
