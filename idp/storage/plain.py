"""Rows read as plain columns and handed over as instances in no session.

For the hot reads that change nothing through the ORM (a presented token with its user and
grant): one Core statement, and instances filled from its row as a query's load fills
them, without the ORM's loading machinery or the session's identity map, which cost more
than the statement itself. Such an instance is detached: reading a column works; reading a
relationship nobody set, or changing it through its attributes, does not reach the
database (change its row with a statement).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Select, inspect, select
from sqlalchemy.orm import Mapper


def as_loaded(model: type, values: dict[str, Any]) -> Any:
    """Return an instance of `model` holding `values` (every column of it) as if a query had
    loaded it, detached from any session: no change history, and its identity set, so that
    reading a relationship nobody set raises (``DetachedInstanceError``) rather than giving
    None. (``make_transient_to_detached`` does the same and marks every relationship
    expired besides, which was most of the cost of making the instance.)"""
    mapper, primary_key = _shape(model)
    row = mapper.class_manager.new_instance()
    row.__dict__.update(values)
    inspect(row).key = mapper.identity_key_from_primary_key([values[k] for k in primary_key])
    return row


@cache
def _shape(model: type) -> tuple[Mapper, tuple[str, ...]]:
    mapper = inspect(model)
    return mapper, tuple(mapper.get_property_by_column(column).key
                         for column in mapper.primary_key)


class PlainRows:
    """The columns of several models side by side in one statement, and their instances
    from each row it gives."""

    def __init__(self, *models: type):
        self._parts: list[tuple[type, tuple[str, ...], int, int]] = []
        self._columns: list[Any] = []
        for model in models:
            attributes = inspect(model).column_attrs
            start = len(self._columns)
            self._columns += [attribute.columns[0] for attribute in attributes]
            self._parts.append((model, tuple(attribute.key for attribute in attributes),
                                start, len(self._columns)))

    @property
    def columns(self) -> tuple[Any, ...]:
        """Every column of the models, in their order (to select, or for RETURNING)."""
        return tuple(self._columns)

    def select(self) -> Select:
        """Return a SELECT of every column of the models, in their order."""
        return select(*self._columns)

    def rows(self, found: Sequence[Any]) -> tuple[Any, ...]:
        """Return one detached instance per model from a row of ``select()``."""
        return tuple(as_loaded(model, dict(zip(keys, found[start:end], strict=True)))
                     for model, keys, start, end in self._parts)
