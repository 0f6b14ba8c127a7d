"""PostgreSQL cursors that describe a result's columns once per shape, not on every read.

psycopg 3 builds ``cursor.description`` afresh each time it is read: one Python ``Column``
per column, each asking the result for its name, type, modifier and size and looking its
type up (psycopg issue 446). SQLAlchemy reads it after every statement that returns rows;
a presented token with its user and grant is 47 columns, and describing them cost a
worker about 25 µs of CPU per statement, some 3 % of a userinfo request on PostgreSQL.

What a ``Column`` says is made of exactly those four values of the result and of the
connection's types, so each connection keeps the descriptions it made by the four
values of every column (the shape) and answers a result of a shape it has seen with the
same columns again, in a list of the reader's own. Reading the shape costs a fifth of
describing it. SQLAlchemy documents ``connect_args={"cursor_factory": ...}`` as the way to
choose psycopg's cursor class.
"""

from __future__ import annotations

import weakref
from typing import Any

from psycopg import Column, Connection, Cursor

#: Shapes kept per connection; past it they are forgotten and described again. The
#: provider's statements are a few hundred at most.
MAX_SHAPES = 512

_kept: weakref.WeakKeyDictionary[Connection[Any], dict[tuple, list[Column]]] = (
    weakref.WeakKeyDictionary())


class DescribedCursor(Cursor):
    """psycopg's cursor, with ``description`` kept per connection and result shape."""

    @property
    def description(self) -> list[Column] | None:
        result = self.pgresult
        if result is None or not result.nfields:
            return super().description  # no result, a command's, or rows of no columns
        fields = range(result.nfields)
        shape = (tuple(map(result.fname, fields)), tuple(map(result.ftype, fields)),
                 tuple(map(result.fmod, fields)), tuple(map(result.fsize, fields)))
        kept = _kept.get(self.connection)
        if kept is None:
            kept = _kept.setdefault(self.connection, {})
        columns = kept.get(shape)
        if columns is None:
            columns = super().description
            if columns is None:
                return None
            if len(kept) >= MAX_SHAPES:
                kept.clear()
            kept[shape] = columns
        return list(columns)
