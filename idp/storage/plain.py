"""Rows read as plain columns and handed over as instances in no session.

For the hot reads that change nothing through the ORM (a presented token with its user and
grant): one Core statement, and instances filled from its row as a query's load fills
them, without the ORM's loading machinery or the session's identity map, which cost more
than the statement itself. Such an instance is detached: reading a column works; reading a
relationship nobody set, or changing it through its attributes, does not reach the
database (change its row with a statement).

The hottest statements (``PlainStatement``, and ``PlainQuery`` for rows handed over as
instances) skip SQLAlchemy's execution too: the statement is compiled once per dialect and
run on the driver's cursor, which costs a fifth (SQLite) to a half (PostgreSQL) of running
it through the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from functools import cache
from typing import Any

from sqlalchemy import Insert, Select, inspect, select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql.base import Executable

from .db import current_session, db


def as_loaded(model: type, values: dict[str, Any]) -> Any:
    """Return an instance of `model` holding `values` (every column of it) as if a query had
    loaded it, detached from any session: no change history, and its identity set, so that
    reading a relationship nobody set raises (``DetachedInstanceError``) rather than giving
    None. (``make_transient_to_detached`` does the same and marks every relationship
    expired besides, which was most of the cost of making the instance.)"""
    mapper, primary_key = _shape(model)
    row = mapper.class_manager.new_instance()
    row.__dict__.update(values)
    instance_state(row).key = mapper.identity_key_from_primary_key(
        [values[k] for k in primary_key])
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


class PlainStatement:
    """A Core statement run on the driver's cursor, for the statements every request of an
    endpoint makes: the reads of a presented token or code, and the writes of an exchange or
    a refresh.

    What SQLAlchemy does around a statement is done here once or kept:

    - the SQL and how to pass parameters are compiled once per dialect (an INSERT once per
      set of columns given), and each column's conversion (JSON, booleans on SQLite) is the
      one its type gives SQLAlchemy. A column whose value SQLAlchemy would make itself (a
      Python default or ``onupdate``) must be given: it is refused when compiled, never
      left empty;
    - a write runs on the connection of the context's session, in its transaction, which
      the session commits or rolls back as any other; a read runs there too when the
      context has a session, so that it sees what that transaction wrote and the request
      never holds two pooled connections; otherwise on a pooled connection of its own,
      given back at once;
    - the engine's ``before_cursor_execute`` listeners see the statement, as any other
      (on a pooled connection of its own there is no ``Connection``: they get None for
      it), so PostgreSQL reads run outside a transaction and its first write begins one
      (``idp.storage.db.begin_at_first_write``);
    - the driver's errors come as SQLAlchemy's (``DBAPIError`` and its kinds, so outages are
      told as ever), and a connection found gone is dropped from the pool, with every
      connection the pool made before it renewed at its next checkout, as SQLAlchemy does.

    Nothing of the ORM runs: no autoflush before the statement, and the session's instances
    of the rows it writes are not told (write rows the session holds no instances of).
    """

    def __init__(self, statement: Executable):
        self._statement = statement
        self._compiled: dict[tuple[str, frozenset[str] | None], _Compiled] = {}

    def first(self, **params: Any) -> list[Any] | None:
        """Return the first row of a SELECT with these parameters, its columns converted,
        or None."""
        engine = db.engine
        compiled = self._for(engine.dialect, params)
        parameters = compiled.parameters(params)
        session = current_session()
        if session is not None:
            connection = session.connection()
            return compiled.run(engine, connection.connection, parameters, connection)
        try:
            pooled = engine.raw_connection()
        except engine.dialect.loaded_dbapi.Error as exc:
            raise compiled.failure(exc, None, False) from exc
        try:
            return compiled.run(engine, pooled, parameters, None)
        finally:
            pooled.close()

    def execute(self, **params: Any) -> int:
        """Run an INSERT, UPDATE or DELETE with these parameters in the transaction of the
        context's session; return how many rows it changed."""
        connection = db.session().connection()
        engine = db.engine
        compiled = self._for(engine.dialect, params)
        return compiled.run(engine, connection.connection, compiled.parameters(params),
                            connection, read=False)

    def _for(self, dialect: Dialect, params: dict[str, Any]) -> _Compiled:
        # An INSERT's SQL names the columns given; every other statement's is fixed.
        keys = frozenset(params) if isinstance(self._statement, Insert) else None
        compiled = self._compiled.get((dialect.name, keys))
        if compiled is None:
            compiled = self._compiled[(dialect.name, keys)] = _Compiled(
                self._statement, dialect, keys)
        return compiled


class PlainQuery:
    """A SELECT of a ``PlainRows``' columns (``PlainRows.select()`` with its joins and
    conditions) run on the driver's cursor (``PlainStatement``), handed over as instances in
    no session."""

    def __init__(self, plain: PlainRows, statement: Select):
        self._plain = plain
        self._statement = PlainStatement(statement)

    def first(self, **params: Any) -> tuple[Any, ...] | None:
        """Return the instances of the first row with these parameters, or None."""
        found = self._statement.first(**params)
        return None if found is None else self._plain.rows(found)


class _Compiled:
    """A statement as one dialect runs it: its SQL, its parameters' order, its columns'
    conversions."""

    def __init__(self, statement: Executable, dialect: Dialect,
                 keys: frozenset[str] | None):
        compiled = statement.compile(dialect=dialect,
                                     column_keys=sorted(keys) if keys is not None else None)
        # Values SQLAlchemy would make in Python as it runs the statement (a column's
        # default, its onupdate): nothing here would.
        made = [column.key for column in (*getattr(compiled, "insert_prefetch", ()),
                                          *getattr(compiled, "update_prefetch", ()))]
        if made:
            raise ValueError(f"give {', '.join(made)}: SQLAlchemy would make them, and a "
                             f"plain statement does not")
        self.dialect = dialect
        self.sql = compiled.string
        self._construct = compiled.construct_params
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        self._binds = {name: processor for name, bind in compiled.binds.items()
                       if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))}
        self._types = tuple(column.type.dialect_impl(dialect)
                            for column in getattr(statement, "selected_columns", ()))
        self._results: tuple[Any, ...] | None = None  # from the first result's description

    def parameters(self, params: dict[str, Any]) -> Any:
        values = self._construct(params)
        for name, processor in self._binds.items():
            values[name] = processor(values[name])
        return values if self._order is None else tuple(values[name] for name in self._order)

    def run(self, engine: Any, pooled: Any, parameters: Any, connection: Any,
            read: bool = True) -> Any:
        """Run the statement on the pooled connection `pooled` (`connection`: the session's
        ``Connection`` around it, if any); return its first row, converted (`read`), or
        how many rows it changed."""
        dbapi_connection = pooled.dbapi_connection
        cursor = dbapi_connection.cursor()
        try:
            engine.dispatch.before_cursor_execute(connection, cursor, self.sql, parameters,
                                                  None, False)
            cursor.execute(self.sql, parameters)
            if not read:
                return cursor.rowcount
            if self._results is None:  # as SQLAlchemy asks: with the driver's type codes
                self._results = tuple(kind.result_processor(self.dialect, column[1])
                                      for kind, column in zip(self._types, cursor.description,
                                                              strict=True))
            found = cursor.fetchone()
        except self.dialect.loaded_dbapi.Error as exc:
            gone = self.dialect.is_disconnect(exc, dbapi_connection, cursor)
            if gone:
                # As SQLAlchemy's own execution does on a disconnect: every connection the
                # pool made before this one's loss is stale too, and renewed at its next
                # checkout (``Pool._invalidate``, which has no public twin); this one goes
                # through its Connection, if any, so that it knows.
                engine.pool._invalidate(pooled, exc, _checkin=False)
                (connection if connection is not None else pooled).invalidate(exc)
            raise self.failure(exc, parameters, gone) from exc
        finally:
            with suppress(self.dialect.loaded_dbapi.Error):  # a connection gone takes it along
                cursor.close()
        if found is None:
            return None
        return [value if convert is None or value is None else convert(value)
                for convert, value in zip(self._results, found, strict=True)]

    def failure(self, exc: Exception, parameters: Any, gone: bool) -> DBAPIError:
        """Return the driver's error `exc` as SQLAlchemy raises it (parameters hidden)."""
        return DBAPIError.instance(self.sql, parameters, exc, self.dialect.loaded_dbapi.Error,
                                   hide_parameters=True, connection_invalidated=gone,
                                   dialect=self.dialect)

