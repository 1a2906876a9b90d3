"""The SQLAlchemy handle shared by every model."""

import itertools
import sqlite3
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from select import POLLIN, poll
from typing import TYPE_CHECKING, Any, ClassVar, cast

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    CursorResult,
    MetaData,
    Table,
    and_,
    bindparam,
    delete,
    event,
    false,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key
from sqlalchemy.pool import Pool

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:  # the type checker cannot follow db.Model; it is Base with Flask's helpers
    class Model(Base):
        """What every model derives from (``db.Model``)."""

        query: ClassVar[Any]
        __table__: ClassVar[Table]
else:
    Model = db.Model


def utcnow() -> datetime:
    """Now, in UTC without a zone: how every timestamp column stores time."""
    return datetime.now(UTC).replace(tzinfo=None)


#: How long a SQLite statement waits for another connection's write lock before it fails.
SQLITE_LOCK_WAIT_S = 10.0
SQLITE_BUSY = 5  # the write lock is held elsewhere: waiting helps
SQLITE_BUSY_SNAPSHOT = 517  # this transaction read a snapshot since overwritten: it never will
#: The pauses between a waiting statement's tries: short first (another writer holds the lock
#: for a millisecond or two, its commit's sync to disk included), then every millisecond.
_LOCK_POLL_S = (0.0001, 0.0002, 0.0003, 0.0005)
_LOCK_POLL_MAX_S = 0.001


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """SQLite, the embedded default: write-ahead log (readers never wait for a writer, one sync
    a commit), foreign keys enforced, and a wait rather than an error when another process
    holds the write lock (by :class:`WaitingConnection`, or else SQLite's own busy timeout)."""
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        if not isinstance(connection, WaitingConnection):  # which waits by itself
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_LOCK_WAIT_S * 1000)}")
        cursor.close()


class WaitingConnection(sqlite3.Connection):
    """A SQLite connection whose statements wait for another connection's write lock in short
    steps (see :data:`_LOCK_POLL_S`), up to ``lock_wait`` seconds, then fail as before.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15 ... ms between tries, so a web process
    waiting for a save that holds the lock for 2 ms slept 3 to 8 ms, idle, while the lock
    stood free. A statement that fails for want of the lock has changed nothing, so trying it
    again is what that handler does too; a transaction whose snapshot was overwritten
    (``SQLITE_BUSY_SNAPSHOT``) fails at once, as there, since waiting never helps it.
    It turns SQLite's own handler off itself. The application's engine and the SQLite queue
    make their connections of this class (``config.engine_options``, ``jobs.queue``).
    """

    lock_wait = SQLITE_LOCK_WAIT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA busy_timeout=0")  # SQLite's own handler off: this one waits

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or WaitingCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)  # sqlite3's own makes a plain cursor

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, seq_of_parameters)

    def commit(self) -> None:
        _waiting(super().commit, self.lock_wait)


class WaitingCursor(sqlite3.Cursor):
    """A cursor of a :class:`WaitingConnection`: its statements wait for the write lock."""

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return _waiting(lambda: super(WaitingCursor, self).execute(sql, parameters),
                        self._lock_wait)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        rows = list(seq_of_parameters)  # a second try needs them all again
        return _waiting(lambda: super(WaitingCursor, self).executemany(sql, rows),
                        self._lock_wait)

    @property
    def _lock_wait(self) -> float:
        return cast(WaitingConnection, self.connection).lock_wait


def _waiting(run: Callable[[], Any], limit: float) -> Any:
    """``run()``, tried again after a short pause while it fails because another connection
    holds the write lock, until ``limit`` seconds have passed since its first failure."""
    pauses = itertools.chain(_LOCK_POLL_S, itertools.repeat(_LOCK_POLL_MAX_S))
    deadline: float | None = None
    while True:
        try:
            return run()
        except sqlite3.OperationalError as error:
            code = getattr(error, "sqlite_errorcode", None)
            if code is None or code & 0xFF != SQLITE_BUSY or code == SQLITE_BUSY_SNAPSHOT:
                raise
            now = time.monotonic()
            deadline = now + limit if deadline is None else deadline
            if now >= deadline:
                raise
            time.sleep(next(pauses))


@event.listens_for(Pool, "checkout")
def _replace_closed_server_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection that the database server has closed since its last use (a restart,
    an ended backend, an idle timeout) is replaced before a request gets it: the pool takes a
    new one, as it does for any connection found gone at checkout."""
    if not isinstance(dbapi_connection, sqlite3.Connection) and server_closed(dbapi_connection):
        raise DisconnectionError("the database server closed this pooled connection")


def server_closed(connection: Any) -> bool:
    """Whether an idle connection to a database server is known to be closed, told without a
    round trip to the server.

    A server says nothing to an idle client, except when it ends the connection: then it sends
    its reason and closes the socket, and either makes the socket readable. So a connection
    that is closed or broken on this side, or whose socket has something to read while it
    waits in the pool, is gone. (Asking the server instead, ``SELECT 1`` before every use,
    cost every request one more round trip.) A server that vanished without a word (its
    machine lost, the network cut) is found by the first statement, which fails that request;
    the pool then drops that connection and every older one.
    """
    if getattr(connection, "closed", False) or getattr(connection, "broken", False):
        return True
    fileno = getattr(connection, "fileno", None)
    if fileno is None:
        return False
    try:
        poller = poll()
        poller.register(fileno(), POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def take_turns(key: str, table: Table, *, row_locked: bool = False) -> None:
    """Make writers that read-then-write ``key`` (a counter, a chain head) take turns until
    the transaction ends, across processes and machines.

    PostgreSQL: a transaction-scoped advisory lock named by ``key``. SQLite: a write statement
    on ``table`` that changes nothing, which still opens the write transaction (others wait on
    busy_timeout); a plain SELECT would read outside any transaction. A SQLite transaction
    that has already written holds the database's only write lock, so it has its turn.

    ``row_locked``: the caller reads the one row it changes with ``SELECT ... FOR UPDATE`` next;
    on PostgreSQL that row lock is the turn, and no advisory lock is taken.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        if row_locked:
            return
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                           {"k": zlib.crc32(key.encode())})
    elif dialect == "sqlite" and not _sqlite_writing():
        db.session.execute(_no_change(table))


@cache
def _no_change(table: Table) -> Any:
    return delete(table).where(false())


def _sqlite_writing() -> bool:
    """Whether this SQLite transaction has written (the driver begins one at the first write)."""
    driver = db.session.connection().connection.dbapi_connection
    return bool(getattr(driver, "in_transaction", False))


def insert_row(row: Any, *, attach: bool = False) -> None:
    """Write ``row``, a new model instance not yet in the session, by one prepared insert in
    the session's transaction: no flush walks the session's other objects for it. The
    attributes set on it are written (the others take their columns' defaults), and its
    primary key is set from the insert.

    ``attach``: the row then joins the session as a stored row with its defaults as written,
    so the session finds it (``get``, lazy loads) without reading it back."""
    table = row.__table__
    given = inspect(row).dict
    values = {c.key: given[c.key] for c in table.columns if c.key in given}
    with db.session.no_autoflush:  # this row alone: what else the session holds waits
        result = cast(CursorResult[Any], db.session.execute(_insert(table), values))
    key = result.inserted_primary_key
    assert key is not None  # a single-row insert always knows its key
    for column, value in zip(table.primary_key.columns, key, strict=True):
        setattr(row, column.key, value)
    if attach:
        written = result.last_inserted_params()
        for column in table.columns:
            if column.key not in given and column.key in written:
                setattr(row, column.key, written[column.key])
        make_transient_to_detached(row)
        db.session.add(row)


@cache
def _insert(table: Table) -> Any:
    return table.insert()


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (column values; the others take their defaults) into ``table`` by its
    insert built once, in one statement: nothing is read back and no flush is made."""
    db.session.execute(_insert(table), rows)


def row_by_id(model: Any, row_id: int) -> Any:
    """``db.session.get(model, row_id)`` for a model keyed by one ``id`` column, by a select
    built once per model: ``get`` builds its select and that select's cache key on each
    call, which costs more than running it. A row the session holds is returned as is."""
    if identity_key(model, row_id) in db.session.identity_map:
        return db.session.get(model, row_id)
    return db.session.scalar(_by_id(model), {"id": row_id})


@cache
def _by_id(model: Any) -> Any:
    return select(model).where(model.id == bindparam("id"))


def write_rows(*rows: Any) -> None:
    """Write the changes of ``rows`` (stored model instances), each by one prepared update of
    the columns that changed, then flush whatever else the session holds unwritten (nothing,
    usually, and then the flush costs nothing).

    What a flush would do, without its unit of work walking the session for a few known
    rows: a versioned row is written only as read (changed meanwhile, it raises
    :class:`StaleDataError`) and its version is bumped; ``onupdate`` columns are set; a value
    set again unchanged is not written; the session then holds the values as written, with
    nothing left for the flush to look at. A row whose relationships changed is left to
    the flush."""
    for row in rows:
        _update_row(row)
    db.session.flush()


def _update_row(row: Any) -> None:
    state = inspect(row)
    mapper = state.mapper
    if not state.modified or not state.persistent:
        return
    keys = list(state.committed_state)
    if any(key not in mapper.column_attrs or mapper.column_attrs[key].columns[0].key != key
           for key in keys):
        return  # a relationship changed (or a column is renamed): the flush writes it
    values = {key: state.dict[key] for key in keys if state.attrs[key].history.has_changes()}
    if values:
        _write_changes(row, state, values)
    for key in keys:
        if key not in values:  # set again to what it held: as a flush finds, nothing to write
            set_committed_value(row, key, state.dict[key])
    # set_committed_value leaves the row listed as modified, so the next flush would still
    # walk the session (to find nothing to write); clearing that mark, as a flush does after
    # its update, has no public call. Without it the flush only costs more.
    commit_all = getattr(state, "_commit_all", None)
    if commit_all is not None and not state.committed_state:
        commit_all(state.dict, db.session().identity_map)


def _write_changes(row: Any, state: Any, values: dict[str, Any]) -> None:
    """One prepared update of ``values``, checked against the version as read if the row
    has one; the row then holds the values as written."""
    mapper = state.mapper
    params: dict[str, Any] = {f"pk_{i}": value for i, value
                              in enumerate(mapper.primary_key_from_instance(row))}
    version = None
    if mapper.version_id_col is not None:
        version = mapper.get_property_by_column(mapper.version_id_col).key
        params["version_as_read"] = state.dict[version]
        values = {**values, version: mapper.version_id_generator(state.dict[version])}
    statement = _update(mapper.local_table, version)
    with db.session.no_autoflush:
        result = cast(CursorResult[Any], db.session.execute(statement, {**values, **params}))
    if result.rowcount != 1:
        raise StaleDataError(f"{mapper.local_table.name} {params}: changed or gone meanwhile")
    written = result.last_updated_params()
    for column in mapper.local_table.columns:
        if column.key in written and column.key in mapper.column_attrs:
            set_committed_value(row, column.key, written[column.key])


@cache
def _update(table: Table, version: str | None) -> Any:
    """An update of the row whose key is bound as ``pk_0``..., and whose ``version`` column,
    if any, still holds ``version_as_read``; the values bound as it runs name the columns
    it sets (each set of names is compiled once)."""
    conditions = [column == bindparam(f"pk_{i}")
                  for i, column in enumerate(table.primary_key.columns)]
    if version is not None:
        conditions.append(table.c[version] == bindparam("version_as_read"))
    return table.update().where(and_(*conditions))


def upsert(table: Table, key: dict[str, Any], values: dict[str, Any], *,
           changing: tuple[str, ...]) -> None:
    """Insert the row ``key`` with ``values``, or if it exists set its ``changing`` columns,
    in one statement (SQLite and PostgreSQL both say ``ON CONFLICT ... DO UPDATE``)."""
    dialect = db.session.get_bind().dialect.name
    statement = _upsert_statement(dialect, table, tuple(key), changing)
    db.session.execute(statement, {**key, **values})


@cache
def _upsert_statement(dialect: str, table: Table, key: tuple[str, ...],
                      changing: tuple[str, ...]) -> Any:
    """Built once: its values are bound when it runs, so it is compiled once too."""
    from sqlalchemy.dialects import postgresql, sqlite

    statement: Any = (postgresql.insert(table) if dialect == "postgresql"
                      else sqlite.insert(table))
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in changing})
