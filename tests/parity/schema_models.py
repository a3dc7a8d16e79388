"""The schema parity model, as a SQLAlchemy 2.x user writes it: a table in the default
schema and one in the PostgreSQL schema `audit` (`__table_args__ = {"schema": "audit"}`)
referencing it, with an index. Alembic autogenerates tables in other schemas only with
`include_schemas=True` and never creates the schema itself: create.py creates it first, as
such a user does by hand (`op.execute("CREATE SCHEMA audit")`).

runtime/tests/parity.rs (`postgres_schema_matches_alembic`) declares the same tables as
Strata models (`schema: Some("audit")`) and compares what each tool creates. Keep the two in
step. The naming convention is Strata's built-in one, so the names agree too.
"""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )


metadata = Base.metadata


class Account(Base):
    __tablename__ = "accounts"

    # Not generated: the schema is under test, not the key (see models.py for keys).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index(None, "at"), {"schema": "audit"})

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
