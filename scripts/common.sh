# Sourced by the scripts that run the project (run.sh, nlu_cv.sh): strict mode, the repository
# root as working directory, the two interpreters.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"            # retrieval service (Python 3.11)
RASA_PY="$ROOT/.venv-rasa/bin/python"  # Rasa and the action server (Python 3.10)

require_venvs() {  # the interpreters named, e.g. require_venvs "$PY" "$RASA_PY"
    local bin
    for bin in "$@"; do
        [[ -x "$bin" ]] || { echo "missing $bin: run 'make venv venv-rasa' (or simply 'make run')" >&2; exit 1; }
    done
}
