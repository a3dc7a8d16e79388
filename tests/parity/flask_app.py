#!/usr/bin/env python3
"""Create the database of a Flask-Migrate project, for `migrate adopt` to take over.

Usage: flask_app.py URL

The models are the SQLAlchemy side of the end-to-end test project's `legacy` build
(tests/tests/common/mod.rs, keep the two in step): `users` with server defaults spelled the
way SQLAlchemy projects spell them (`func.now()`, `true()`, `'0'`, `'member'`). As
Flask-Migrate does: a scratch Alembic environment whose env.py targets the models,
`alembic revision --autogenerate` against the empty database, then `alembic upgrade head`;
the database then also holds `alembic_version`. Prints the revision id Alembic wrote.

URL is a Strata/sqlx URL (see create.py). Needs: pip install -r tests/parity/requirements.txt
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import sqlalchemy as sa
    from sqlalchemy.dialects import mysql
except ImportError as e:  # pragma: no cover - the message is the point
    sys.exit(f"flask_app: {e}. Install: pip install -r tests/parity/requirements.txt")

from create import sqlalchemy_url, via_alembic  # noqa: E402

metadata = sa.MetaData()

# Strata's timestamp is DATETIME(6) on MySQL; a project moving over declares the same.
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), unique=True, nullable=False),
    sa.Column("email", sa.String(120), nullable=False),
    sa.Column("created_at", Timestamp, server_default=sa.func.now(), nullable=False),
    sa.Column("active", sa.Boolean, server_default=sa.true(), nullable=False),
    sa.Column("score", sa.Integer, server_default="0", nullable=False),
    sa.Column("role", sa.String(20), server_default="member", nullable=False),
    # The Rust model's doc comment (`/// A user.`) is the table comment.
    comment="A user.",
)

def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    # Alembic's own "Generating ..." line goes to stdout first; the id is the last line.
    print(via_alembic(sqlalchemy_url(sys.argv[1]), show=False, module="flask_app"))


if __name__ == "__main__":
    main()
