#!/usr/bin/env bash
# The test runner `make test` calls (after ruff).  Two interpreters:
#   .venv-rasa (Python 3.10): Rasa-side unit tests, tests/actions and tests/bot
#   .venv      (Python 3.11): everything else: retrieval, service, channels, web and e2e tests
# The Rasa-side run goes first so the last line printed is the main run's pytest summary.
# Exits non-zero if either run fails.
#
#   CDS_TEST_MARKERS="not slow" scripts/test.sh     # quick loop: select tests by marker
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

markers=()
if [[ -n "${CDS_TEST_MARKERS:-}" ]]; then markers=(-m "$CDS_TEST_MARKERS"); fi

echo "== Rasa-side tests (.venv-rasa): tests/actions tests/bot"
.venv-rasa/bin/python -m pytest tests/actions tests/bot "${markers[@]}" -p no:cacheprovider
rasa_status=$?
if ((rasa_status != 0)); then
    echo "!! Rasa-side tests failed (pytest exit $rasa_status)"
fi

echo "== Retrieval, service, channel and e2e tests (.venv): tests"
.venv/bin/python -m pytest tests --ignore=tests/actions --ignore=tests/bot "${markers[@]}"
main_status=$?

if ((rasa_status != 0)); then exit "$rasa_status"; fi
exit "$main_status"
