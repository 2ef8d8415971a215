#!/usr/bin/env bash
# The two commands of a fresh machine (README.md):
#   deploy/dev.sh up     install what is missing, then run everything locally (`curbside up`)
#   deploy/dev.sh test   install what is missing, then run the checks and the whole test suite
# Both are idempotent: on a machine that has everything they only check, in a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: deploy/dev.sh up|test [pytest arguments]" >&2; exit 2; }
[ $# -ge 1 ] || usage
action=$1
shift

bash deploy/install-services.sh

# The project's virtual environment, reinstalled only when pyproject.toml changed.
PYTHON=${CURBSIDE_PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PYTHON --version)" >&2
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.curbside-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "[setup] installing curbside and its dependencies into .venv" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
  echo "$wanted" >"$stamp"
fi

case "$action" in
  up)
    exec .venv/bin/curbside up "$@"
    ;;
  test)
    echo "[check] ruff" >&2
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    echo "[check] mypy" >&2
    .venv/bin/mypy
    echo "[check] pytest" >&2
    exec .venv/bin/pytest "$@"
    ;;
  *) usage ;;
esac
