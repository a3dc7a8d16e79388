"""The parity model set, as a Flask-SQLAlchemy / SQLAlchemy 2.x user writes it.

runtime/tests/parity.rs declares the same tables as Strata models (hand-built
`strata::model::TableDef` consts) and compares the schema each tool creates.
Keep the two in step: every column, key, index and foreign key here has its
counterpart there.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    # Plain MetaData: no naming convention, as a fresh Flask-SQLAlchemy app has.
    # Constraint and index names are not compared (they legitimately differ).
    metadata = MetaData()


metadata = Base.metadata

# SQLAlchemy's documented idiom for an auto-incrementing BIGINT key: SQLite
# only generates values for a column declared exactly INTEGER PRIMARY KEY (a
# rowid alias), so the SQLite variant is INTEGER. Strata does this by itself
# for an `i64` autoincrement key. See docs/parity.md.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


class User(Base):
    __tablename__ = "users"
    __table_args__ = {"comment": "Registered users"}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(
        String(120), unique=True, index=True, nullable=False
    )
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    bio: Mapped[str | None] = mapped_column(
        Text, nullable=True, comment="Shown on the profile"
    )
    is_admin: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime, nullable=False, server_default=func.now()
    )
    score: Mapped[float] = mapped_column(Float, nullable=False)
    balance: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False)
    avatar: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_user_id_created_at", "user_id", "created_at"),
        UniqueConstraint("user_id", "title", name="uq_posts_user_title"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    user_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("users.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True, nullable=False)


class PostTag(Base):
    """The many-to-many association: a composite primary key of two foreign keys."""

    __tablename__ = "post_tags"

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("users.id", ondelete="RESTRICT", onupdate="CASCADE"),
        nullable=False,
    )
    # Self-reference: deleting a parent comment orphans its replies.
    parent_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("comments.id", ondelete="SET NULL"), nullable=True
    )
    body: Mapped[str] = mapped_column(Text, nullable=False)
