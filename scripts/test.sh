#!/usr/bin/env bash
# The whole test suite on a fresh machine: starts the database servers the tests need
# (PostgreSQL, MariaDB) when they are down, installs the parity peer (SQLAlchemy, Alembic) into a virtual environment under the
# build directory, builds the library without its command line, then runs every test. Extra
# arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac

ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return 0; fi
  echo "PostgreSQL is down on 127.0.0.1:5432; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && return 0
    sleep 1
  done
  echo "PostgreSQL did not come up on 127.0.0.1:5432; start it with:" >&2
  echo "  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
  exit 1
}

ensure_mysql() {
  if mysqladmin -h 127.0.0.1 -P 3306 -u root --connect-timeout=2 ping >/dev/null 2>&1; then return 0; fi
  echo "MariaDB is down on 127.0.0.1:3306; starting it"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || \
    service mariadb start || true
  for _ in $(seq 1 30); do
    mysqladmin -h 127.0.0.1 -P 3306 -u root --connect-timeout=2 ping >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "MariaDB did not come up on 127.0.0.1:3306; start it with:" >&2
  echo "  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd" >&2
  exit 1
}

# The parity test's peer, pinned in tests/parity/requirements.txt, in its own environment so
# nothing is installed into the system Python. Rebuilt when the requirements change.
ensure_parity_peer() {
  local venv="$target/parity-venv"
  local stamp="$venv/.requirements"
  if [ -x "$venv/bin/python" ] && cmp -s tests/parity/requirements.txt "$stamp"; then
    return 0
  fi
  echo "Installing the parity peer (tests/parity/requirements.txt) into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r tests/parity/requirements.txt
  cp tests/parity/requirements.txt "$stamp"
}

ensure_postgres
ensure_mysql
ensure_parity_peer
# An application that embeds `Migrator` without the command line: the library must build with
# the `cli` feature off (no clap, indicatif, dotenvy), for each dialect alone.
for dialect in sqlite postgres mysql; do
  echo "Building strata without the command line (--no-default-features --features $dialect)"
  cargo build -p strata --locked --no-default-features --features "$dialect"
done
export STRATA_PYTHON="$target/parity-venv/bin/python"
exec cargo test --workspace --locked "$@"
