# Sourced by the other scripts: make .venv beside the repository and install Shelfspace in it.
# Only python3 (3.11 or newer, with venv) is assumed; everything else comes from PyPI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Shelfspace needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
target="."
[ -n "${SHELFSPACE_EXTRAS:-}" ] && target=".[${SHELFSPACE_EXTRAS}]"
.venv/bin/python -m pip install --quiet -e "$target"
