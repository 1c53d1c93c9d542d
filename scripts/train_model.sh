#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed.
#
# The model is cached as bot/models/<hash>.tar.gz, where <hash> is a sha256 over bot/config.yml,
# bot/domain.yml, bot/data/*.yml, the tokenizer component (bot/components/*.py) and
# bot/requirements.txt.  The last line printed is the model's path (run.sh and the tests read it).
#
#   scripts/train_model.sh           train if needed, print the model path
#   scripts/train_model.sh --hash    print the hash only
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
RASA_PY="${CDS_RASA_PYTHON:-$ROOT/.venv-rasa/bin/python}"
PY="${CDS_PYTHON:-$ROOT/.venv/bin/python}"

# Lookup tables follow corpus/plans.yaml; regenerating is cheap and deterministic.
if [[ -x "$PY" ]]; then "$PY" scripts/gen_lookups.py >/dev/null; fi

model_hash() {
    # File names are part of the hash so a renamed file counts as a change.
    find bot/config.yml bot/domain.yml bot/requirements.txt bot/data bot/components \
        -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.py' -o -name '*.txt' \) \
        -not -path '*/__pycache__/*' | LC_ALL=C sort | while read -r f; do
        printf '%s\n' "$f"; cat "$f"
    done | sha256sum | cut -c1-16
}

HASH="$(model_hash)"
if [[ "${1:-}" == "--hash" ]]; then echo "$HASH"; exit 0; fi

MODEL="bot/models/$HASH.tar.gz"
if [[ -f "$MODEL" ]]; then
    echo "model up to date: $MODEL" >&2
    echo "$ROOT/$MODEL"
    exit 0
fi

# Several callers (make, tests of other channels) may ask at once: one trains, the rest wait.
mkdir -p bot/models
exec 9>bot/models/.train.lock
flock 9
if [[ -f "$MODEL" ]]; then
    echo "model up to date: $MODEL" >&2
    echo "$ROOT/$MODEL"
    exit 0
fi

if [[ ! -x "$RASA_PY" ]]; then
    echo "no Rasa venv at $RASA_PY: run 'make venv-rasa' first" >&2
    exit 1
fi

echo "training Rasa model $HASH (bot/ changed) ..." >&2
(
    cd bot
    "$RASA_PY" -m rasa train --fixed-model-name "$HASH-partial" --out models --quiet >&2
)
mv "bot/models/$HASH-partial.tar.gz" "$MODEL"
# Keep the three newest models; older ones are only disk space.
ls -1t bot/models/*.tar.gz 2>/dev/null | tail -n +4 | xargs -r rm -f
echo "trained $MODEL" >&2
echo "$ROOT/$MODEL"
