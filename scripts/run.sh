#!/usr/bin/env bash
# Start the assistant on loopback: retrieval service, action server and Rasa (REST + socket.io).
#
# Trains the Rasa model first if bot/ changed, waits until all three answer, prints the chat page
# URL and stops all of them on Ctrl-C / SIGTERM (or when one of them dies).
#
# Environment (defaults in brackets):
#   CDS_HOST [127.0.0.1]  CDS_RETRIEVAL_PORT [8000]  CDS_ACTIONS_PORT [5055]  CDS_RASA_PORT [5005]
#   CDS_TRACKER_DIALECT [sqlite]  CDS_TRACKER_DB [data/rasa_tracker.sqlite]  CDS_TRACKER_URL []
#     (PostgreSQL: CDS_TRACKER_DIALECT=postgresql CDS_TRACKER_URL=postgresql://user:pass@host:5432/rasa)
#   CDS_FEEDBACK_DB [data/feedback.sqlite]  CDS_PUBLIC_URL [http://$CDS_HOST:$CDS_RETRIEVAL_PORT]
#   CDS_READY_TIMEOUT [600] seconds to wait for the three services
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

HOST="${CDS_HOST:-127.0.0.1}"
RETRIEVAL_PORT="${CDS_RETRIEVAL_PORT:-8000}"
ACTIONS_PORT="${CDS_ACTIONS_PORT:-5055}"
RASA_PORT="${CDS_RASA_PORT:-5005}"
READY_TIMEOUT="${CDS_READY_TIMEOUT:-600}"
PY="$ROOT/.venv/bin/python"
RASA_PY="$ROOT/.venv-rasa/bin/python"
LOG_DIR="$ROOT/data/logs"

RETRIEVAL_URL="http://$HOST:$RETRIEVAL_PORT"
export CDS_RETRIEVAL_URL="${CDS_RETRIEVAL_URL:-$RETRIEVAL_URL}"
export CDS_PUBLIC_URL="${CDS_PUBLIC_URL:-$RETRIEVAL_URL}"
export CDS_RASA_URL="${CDS_RASA_URL:-http://$HOST:$RASA_PORT}"
export CDS_ACTION_URL="${CDS_ACTION_URL:-http://$HOST:$ACTIONS_PORT/webhook}"
export CDS_TRACKER_DIALECT="${CDS_TRACKER_DIALECT:-sqlite}"
export CDS_TRACKER_DB="${CDS_TRACKER_DB:-$ROOT/data/rasa_tracker.sqlite}"
export CDS_TRACKER_URL="${CDS_TRACKER_URL:-}"
export CDS_FEEDBACK_DB="${CDS_FEEDBACK_DB:-$ROOT/data/feedback.sqlite}"

for bin in "$PY" "$RASA_PY"; do
    [[ -x "$bin" ]] || { echo "missing $bin: run 'make venv venv-rasa' (or simply 'make run')" >&2; exit 1; }
done
mkdir -p "$LOG_DIR" "$(dirname "$CDS_TRACKER_DB")"

MODEL="$(bash scripts/train_model.sh | tail -n 1)"

PIDS=()
stop_all() {
    trap - INT TERM EXIT
    if ((${#PIDS[@]})); then
        echo "stopping services ..." >&2
        for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
        for pid in "${PIDS[@]}"; do
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        done
    fi
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

start() {  # name, log file, command...
    local name="$1" log="$2"; shift 2
    "$@" >"$log" 2>&1 &
    PIDS+=("$!")
    echo "started $name (pid $!, log $log)" >&2
}

start retrieval "$LOG_DIR/retrieval.log" \
    "$PY" -m retrieval serve --host "$HOST" --port "$RETRIEVAL_PORT"
start actions "$LOG_DIR/actions.log" \
    env SANIC_HOST="$HOST" "$RASA_PY" -m rasa_sdk --actions actions --port "$ACTIONS_PORT"
# Never --enable-api without auth (CVE-2024-49375): only the channels' webhooks are served.
start rasa "$LOG_DIR/rasa.log" \
    bash -c 'cd bot && exec "$0" -m rasa run --model "$1" --endpoints endpoints.yml --credentials "${CDS_CREDENTIALS:-credentials.yml}" --interface "$2" --port "$3" --cors "$4" "http://localhost:$5"' \
    "$RASA_PY" "$MODEL" "$HOST" "$RASA_PORT" "$RETRIEVAL_URL" "$RETRIEVAL_PORT"

wait_ready() {  # name, url, pid index
    local name="$1" url="$2" pid="${PIDS[$3]}" deadline=$((SECONDS + READY_TIMEOUT))
    until curl -fs -o /dev/null --max-time 2 "$url"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$name exited before it was ready; last lines of its log:" >&2
            tail -n 30 "$LOG_DIR/$name.log" >&2
            exit 1
        fi
        if ((SECONDS > deadline)); then
            echo "$name not ready after ${READY_TIMEOUT}s ($url); see $LOG_DIR/$name.log" >&2
            exit 1
        fi
        sleep 0.5
    done
    echo "$name ready: $url" >&2
}
wait_ready retrieval "$RETRIEVAL_URL/readyz" 0
wait_ready actions "http://$HOST:$ACTIONS_PORT/health" 1
wait_ready rasa "http://$HOST:$RASA_PORT/" 2

echo
echo "Chat: $RETRIEVAL_URL/chat/"
echo "(Rasa REST: http://$HOST:$RASA_PORT/webhooks/rest/webhook; Ctrl-C stops everything)"

# Stay up until interrupted or until one of the services dies.
set +e
wait -n "${PIDS[@]}"
status=$?
echo "a service exited (status $status); stopping the others" >&2
exit "$status"
