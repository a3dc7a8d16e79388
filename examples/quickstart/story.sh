#!/usr/bin/env bash
# The quickstart story in one command: bash examples/quickstart/story.sh
#
# Runs in a fresh temporary directory: init, a first migration for the `User` model, upgrade,
# then the model gains a `phone` column (the `phone` cargo feature), migrate, upgrade,
# history, downgrade. Prints each command and its output.
#
# The database is sqlite://app.db in the temporary directory, or DATABASE_URL when set (use an
# empty PostgreSQL database: DATABASE_URL=postgres://user@localhost/quickstart bash story.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/Cargo.toml"
# Share the workspace's build directory unless the caller chose one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd "$here/../.." && pwd)/target}"

echo "# Building the migrate binary (two versions of the model) ..."
cargo build -q --manifest-path "$manifest" --bin migrate
cargo build -q --manifest-path "$manifest" --bin migrate --features phone

work="$(mktemp -d "${TMPDIR:-/tmp}/strata-quickstart.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

# Shows the command as a user types it in the project, runs it, and shows a failing exit status.
step() {
    local features=() shown="" arg status=0
    for arg in "$@"; do
        if [[ "$arg" == *" "* ]]; then shown+=" \"$arg\""; else shown+=" $arg"; fi
    done
    if [[ "${PHONE:-}" == 1 ]]; then
        features=(--features phone)
        echo "\$ cargo run --features phone --bin migrate --$shown"
    else
        echo "\$ cargo run --bin migrate --$shown"
    fi
    cargo run -q --manifest-path "$manifest" "${features[@]}" --bin migrate -- "$@" || status=$?
    if [[ $status != 0 ]]; then echo "(exit status $status)"; fi
    echo
    return "$status"
}

say() { printf '# %s\n' "$@"; }

say "1. A project with a User model (id, username, email, password_hash)."
step init
if [[ -z "${DATABASE_URL:-}" ]]; then
    # As the init message says: name the database (Strata announces it when it falls back).
    echo "\$ echo 'url = \"sqlite://app.db\"' >> migrations/strata.toml"
    echo 'url = "sqlite://app.db"' >> migrations/strata.toml
    echo
fi
step migrate -m "create users"
step upgrade
step current

say "2. Add a field to the model:" \
    "       #[model(max_length = 20)]" \
    "       pub phone: Option<String>," \
    "   then autogenerate and apply a migration."
PHONE=1
step check || true
step migrate -m "add phone"
echo "\$ cat migrations/versions/*_add_phone.toml"
cat migrations/versions/*_add_phone.toml
echo
step upgrade
step history
step check

say "3. Changed your mind? Go back one revision (the column is dropped again; downgrade" \
    "   lists what it destroys and asks on a terminal, --yes answers for you)."
step downgrade --yes
step current
step history -i
