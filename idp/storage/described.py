"""PostgreSQL cursors that describe a result's columns once per shape, not on every read.

psycopg 3 builds ``cursor.description`` afresh each time it is read: one Python ``Column``
per column, each asking the result for its name, type, modifier and size and looking its
type up (psycopg issue 446). SQLAlchemy reads it after every statement that returns rows;
a presented token with its user and grant is 47 columns, and describing them cost a
worker about 25 µs of CPU per statement, some 3 % of a userinfo request on PostgreSQL.

What a ``Column`` says is made of exactly those four values of the result, the name
decoded in the connection's encoding, and the type the number names. So the process keeps
the descriptions it made by the four values of every column and the encoding (the shape),
and answers a result of a shape it has seen with the same columns again, in a list of the
reader's own. Reading the shape costs a fifth of describing it. One cache serves every
connection: a type is known by its number, and a type that exists only in one schema or
database has a number of its own. SQLAlchemy documents
``connect_args={"cursor_factory": ...}`` as the way to choose psycopg's cursor class.
"""

from __future__ import annotations

from psycopg import Column, Cursor

#: Shapes kept; past it they are all forgotten and described again. The provider's
#: statements are a few hundred at most (a hundred shapes of 20 columns hold about 0.5 MiB).
MAX_SHAPES = 512

_kept: dict[tuple, list[Column]] = {}


class DescribedCursor(Cursor):
    """psycopg's cursor, with ``description`` kept per result shape."""

    @property
    def description(self) -> list[Column] | None:
        result = self.pgresult
        if result is None or not result.nfields:
            return super().description  # no result, a command's, or rows of no columns
        fields = range(result.nfields)
        shape = (self.connection.info.encoding, tuple(map(result.fname, fields)),
                 tuple(map(result.ftype, fields)), tuple(map(result.fmod, fields)),
                 tuple(map(result.fsize, fields)))
        columns = _kept.get(shape)
        if columns is None:
            columns = super().description
            if columns is None:
                return None
            if len(_kept) >= MAX_SHAPES:
                _kept.clear()
            _kept[shape] = columns
        return list(columns)
