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
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import alembic
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.dialects import mysql
except ImportError as e:  # pragma: no cover - the message is the point
    sys.exit(f"flask_app: {e}. Install: pip install -r tests/parity/requirements.txt")

from create import sqlalchemy_url  # noqa: E402

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
)

ENV_PY = '''\
"""Alembic env.py as Flask-Migrate writes it, reduced to the online path."""
import sys

from alembic import context
from sqlalchemy import engine_from_config, pool

sys.path.insert(0, {here!r})
import flask_app  # noqa: E402

config = context.config
connectable = engine_from_config(
    config.get_section(config.config_ini_section, {{}}),
    prefix="sqlalchemy.",
    poolclass=pool.NullPool,
)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=flask_app.metadata)
    with context.begin_transaction():
        context.run_migrations()
'''


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    url = sqlalchemy_url(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="strata_flask_app_") as tmp:
        script_dir = os.path.join(tmp, "migrations")
        os.makedirs(os.path.join(script_dir, "versions"))
        template = os.path.join(
            os.path.dirname(alembic.__file__), "templates", "generic", "script.py.mako"
        )
        shutil.copy(template, os.path.join(script_dir, "script.py.mako"))
        with open(os.path.join(script_dir, "env.py"), "w") as f:
            f.write(ENV_PY.format(here=HERE))
        cfg = Config()
        cfg.set_main_option("script_location", script_dir)
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        command.revision(cfg, message="initial", autogenerate=True)
        command.upgrade(cfg, "head")
        print(ScriptDirectory.from_config(cfg).get_current_head())


if __name__ == "__main__":
    main()
