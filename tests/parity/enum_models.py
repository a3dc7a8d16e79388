"""The enum parity model, as a SQLAlchemy 2.x user writes it: one table with two columns of
one named `Enum` type (values from a Python enum, by value).

runtime/tests/parity.rs (`enum_parity`) declares the same table as a Strata model with a
`strata::Enum` column type and compares what each tool creates. Keep the two in step.
"""

import enum

from sqlalchemy import Enum, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = MetaData()


metadata = Base.metadata


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"
    SO_SO = "so-so"


# One named type for both columns (PostgreSQL: one CREATE TYPE), stored by value.
mood_type = Enum(Mood, name="mood", values_callable=lambda e: [m.value for m in e])


class Diary(Base):
    __tablename__ = "diary"

    # Not generated: the enum is under test, not the key (see models.py for keys).
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    mood: Mapped[Mood] = mapped_column(mood_type, nullable=False)
    previous: Mapped[Mood | None] = mapped_column(mood_type, nullable=True)
