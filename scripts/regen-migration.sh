#!/usr/bin/env bash
# Development helper: regenerate the newest Alembic revision from the models.
#   scripts/regen-migration.sh <revision-id> "<message>"
# It deletes the revision with that id, upgrades a scratch SQLite database to the remaining head,
# and autogenerates a replacement. Use only on a revision that has not landed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stem="$1"; message="$2"
rm -f "$root"/native/model/migrations/versions/"$stem"*.py
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
"$root/.venv/bin/python" - "$scratch/db.sqlite" "$stem" "$message" <<'PY'
import sys
from native.model import migrate
url = f"sqlite:///{sys.argv[1]}"
migrate.upgrade(url=url)
migrate.revision(url=url, message=sys.argv[3], rev_id=sys.argv[2])
PY
"$root/.venv/bin/ruff" format -q "$root/native/model/migrations/versions"
