"""The fact store: every order and membership as compact numpy columns, kept in step with the source tables.

Why: the period metrics of a quarter over a million orders take 100–175 ms as SQL on PostgreSQL or SQLite,
and the segments of every member a quarter of a second; the same figures from sorted columns in memory take
a few milliseconds. So analytics keeps a derived copy of the two source tables it reads, and computes from
it (`analytics.metrics`, `segments`, `rates`, …).

Why the copy can be trusted — managers act on these numbers, so a stale one must be impossible, not unlikely:
- The database logs every change itself: triggers on orders and memberships write (source, row id) to
  `analytics_sourcechange` in the writing transaction (`analytics.triggers`), whoever writes — the ORM, a
  `QuerySet.update()`, psql, sqlite3. Every `facts()` asks the log what was committed after the store's
  position (`analytics.changelog`; one indexed statement, all there is when nothing changed), re-reads
  exactly those rows by id — a row no longer there was deleted — and merges them in. No file times, no
  `updated_at`, no margins. The triggers are checked once per process and database; missing ones (a table
  rebuilt by a migration, a restored dump) are installed and the store rebuilt.
- When much changed (an import), the snapshot another process wrote after absorbing it (`absorb_writes`) is
  mapped instead, and only the rest is read; failing that, the tables are read again.
- Inside a transaction the connection sees its own uncommitted writes, which may still roll back: it gets a
  throw-away view that includes them, while the shared copy advances, and is persisted, from committed
  data only.
- The snapshot (`ANALYTICS_SNAPSHOT_DIR`, default `var/analytics/`, one directory per database) is a
  generation directory of plain `.npy` arrays and a `meta.json` (position, database instance), switched by
  rewriting a pointer file atomically: a new process maps it in a millisecond (`numpy.load(mmap_mode="r")`)
  and reads only what changed since; anyone can open the arrays with numpy. Log entries a snapshot has
  absorbed are pruned; a process whose position is older than the pruning point reloads the snapshot or
  rebuilds.
- `rebuild_analytics` (`facts(rebuild=True)`) reads the tables again and gives the database a new instance
  token, so every running process drops its copy as well: the way back after restoring a backup.

The facts themselves and their derived views are `analytics.facts`; the files, `analytics.snapshot`.
"""

import functools
import hashlib
import logging
import threading
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction

from . import changelog, conf, snapshot, sources, triggers
from .changelog import Position
from .facts import MEMBERSHIP_FIELDS, ORDER_FIELDS, Facts
from .sources import MembershipColumns, OrderColumns

logger = logging.getLogger(__name__)


# --- the shared copy per database ---------------------------------------------------------------------


@dataclass
class _State:
    """The committed copy of one database: the facts, and the log position they include."""

    facts: Facts
    position: Position
    instance: str  # the database's instance token when the facts were read (changelog.Head.instance)
    origin: str  # how the facts were last replaced: "tables", "snapshot" or "log"
    generation: str | None = None  # the snapshot generation last seen through the pointer
    persisted: Position | None = None  # the position of the snapshot these facts came from or went to
    persisted_facts: Facts | None = None  # the facts object that snapshot holds (unchanged: link, not write)
    rows_since_persist: int = 0


_states: dict[str, _State] = {}
_verified: set[str] = set()  # databases whose triggers this process has seen in place
_locks: dict[str, threading.RLock] = {}
_states_lock = threading.Lock()

# Changed rows are re-read by id while they are fewer than this share of the store (and this many);
# beyond that, one scan of the tables is cheaper.
_REREAD_SHARE = 0.1
_REREAD_MIN = 10_000


def _db_key(using: str) -> str:
    s = connections[using].settings_dict
    ident = "|".join(str(s.get(k, "")) for k in ("ENGINE", "NAME", "HOST", "PORT"))
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def _lock(key: str) -> threading.RLock:
    with _states_lock:
        return _locks.setdefault(key, threading.RLock())


def clear(using: str | None = None) -> None:
    """Forget the in-memory store, and check the triggers again on next use (tests; after a restore)."""
    with _states_lock:
        if using is None:
            _states.clear()
            _verified.clear()
        else:
            key = _db_key(using)
            _states.pop(key, None)
            _verified.discard(key)


def facts(*, using: str = "default", rebuild: bool = False) -> Facts:
    """The fact store for a database, with every change committed before the call (and, inside a
    transaction, the transaction's own changes)."""
    connection = connections[using]
    if not triggers.supported(connection):
        _warn_once(f"analytics: no change log on {connection.vendor}; every read scans the tables")
        return _read_tables(using)
    key = _db_key(using)
    with _lock(key):
        if connection.in_atomic_block:
            return _facts_in_transaction(using, key, rebuild=rebuild)
        if not _verify_triggers(using, key):
            rebuild = True
        state = _states.get(key)
        if state is None or rebuild:
            state = _start(using, key, rebuild=rebuild)
        else:
            state = _catch_up(state, using, key)
        _states[key] = state
        return state.facts


def absorb_writes(using: str = "default") -> None:
    """A bulk write just committed: catch up now, persist the snapshot and prune the log, so that the next
    page or command (in any process) maps the snapshot instead of reading the changes itself.

    Inside a transaction this runs when it commits (nothing to absorb before that)."""
    if connections[using].in_atomic_block:
        transaction.on_commit(functools.partial(_absorb, using=using), using=using)
        return
    _absorb(using)


def _absorb(using: str) -> None:
    connection = connections[using]
    facts(using=using)
    # Still inside a transaction (a commit hook run while an outer one is open, as in tests): only committed
    # data may be persisted, and deferring again would never end.
    if connection.in_atomic_block or not triggers.supported(connection):
        return
    key = _db_key(using)
    with _lock(key):
        state = _states.get(key)
        if state is not None:
            _persist(state, key, using)


def persist(*, using: str = "default") -> None:
    """Bring the store up to date, write its snapshot and prune the log (the periodic task)."""
    absorb_writes(using=using)


def stats(*, using: str = "default") -> dict:
    """Sizes of the store, for the rebuild command's summary line (and where it stands, for tests)."""
    f = facts(using=using)
    state = _states.get(_db_key(using))
    return {
        "orders": len(f.orders),
        "counting_orders": len(f.ts),
        "memberships": len(f.memberships.group),
        "pairs": len(f.pair_keys),
        "position": None if state is None else state.position.value,
        "origin": None if state is None else state.origin,
    }


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        logger.warning(message)


def _read_tables(using: str) -> Facts:
    return Facts.build(sources.order_columns(using=using), sources.membership_columns(using=using))


def _verify_triggers(using: str, key: str) -> bool:
    """Whether the triggers were in place (checked once per process and database). Missing ones are
    installed — outside a transaction — and the caller rebuilds: writes made meanwhile were not logged."""
    if key in _verified:
        return True
    connection = connections[using]
    absent = triggers.missing(connection)
    if not absent:
        _verified.add(key)
        return True
    if not triggers.log_exists(connection):
        raise ImproperlyConfigured("analytics: the change log table is missing; run `manage.py migrate`")
    if connection.in_atomic_block:
        logger.warning("analytics: change-log triggers missing (%s); reading the tables", ", ".join(absent))
        return False
    logger.warning(
        "analytics: change-log triggers were missing (%s) — a table rebuilt by a migration, or a restored dump? "
        "Installing them and rebuilding the store.",
        ", ".join(absent),
    )
    triggers.install(connection)
    _verified.add(key)
    return False


def _start(using: str, key: str, *, rebuild: bool) -> _State:
    """A first copy in this process: the snapshot when it is valid, else the tables."""
    if rebuild:
        # Every other process's copy and every older snapshot stop matching the database.
        changelog.new_instance(connections[using])
    else:
        state = _load_snapshot(using, key)
        if state is not None:
            return _catch_up(state, using, key)
    state = _from_tables(using)
    _persist(state, key, using, force=rebuild)
    return state


def _from_tables(using: str) -> _State:
    # The position first: whatever commits while the tables are read is read again later, never missed.
    head = changelog.read_head(connections[using])
    return _State(facts=_read_tables(using), position=head.position, instance=head.instance, origin="tables")


def _usable(position: Position, instance: str, head: changelog.Head) -> bool:
    """Whether the log can bring a copy at `position` up to `head`: same database, not restored to an
    earlier point, and no entry it still needs pruned."""
    return (
        instance == head.instance and not changelog.went_back(position, head) and position.floor >= head.pruned_through
    )


def _catch_up(state: _State, using: str, key: str, *, depth: int = 0) -> _State:
    connection = connections[using]
    head = changelog.read_head(connection)
    if not _usable(state.position, state.instance, head):
        if changelog.went_back(state.position, head):
            logger.warning("analytics: the database is behind the store (restored from a backup?): rebuilding")
        return _reload(using, key, head, depth)
    if changelog.same(state.position, head):
        return state
    # After an import another process has usually absorbed it and written a snapshot: mapping that costs a
    # millisecond, merging or re-reading the same rows far more.
    newer = _load_snapshot(using, key, head=head, newer_than=state)
    if newer is not None:
        state = newer
        if changelog.same(state.position, head):
            return state
    changes = changelog.changes(connection, state.position, head, limit=_reread_limit(state.facts))
    if changes.pruned_through > state.position.floor:  # pruned while we read: entries may be gone
        return _reload(using, key, changelog.read_head(connection), depth)
    if changes.empty:
        state.position = head.position
        return state
    if changes.everything:
        state.facts = _read_tables(using)
        state.origin = "tables"
        rows = len(state.facts.orders) + len(state.facts.memberships)
    else:
        state.facts = Facts.build(*_apply(state.facts, changes, using))
        state.origin = "log"
        rows = len(changes.orders) + len(changes.memberships)
    state.position = head.position
    state.rows_since_persist += rows
    if state.rows_since_persist >= int(conf.get("ANALYTICS_PERSIST_MIN_ROWS")):
        _persist(state, key, using)
    return state


def _reload(using: str, key: str, head: changelog.Head, depth: int) -> _State:
    """The log cannot bring this copy up to date: the snapshot if it can be, else the tables."""
    state = _load_snapshot(using, key, head=head) if depth == 0 else None
    if state is not None:
        return _catch_up(state, using, key, depth=depth + 1)
    state = _from_tables(using)
    _persist(state, key, using)
    return state


def _facts_in_transaction(using: str, key: str, *, rebuild: bool) -> Facts:
    """What this transaction sees, its own uncommitted changes included; the shared copy is not advanced
    (those changes may roll back, and on SQLite their log ids be handed out again)."""
    connection = connections[using]
    verified = _verify_triggers(using, key)
    state = _states.get(key)
    if state is None and verified and not rebuild:
        state = _load_snapshot(using, key)  # committed data: fine to keep
        if state is not None:
            _states[key] = state
    if state is None or rebuild or not verified:
        return _read_tables(using)
    head = changelog.read_head(connection)
    if not _usable(state.position, state.instance, head):
        return _read_tables(using)
    if changelog.same(state.position, head):
        return state.facts
    changes = changelog.changes(connection, state.position, head, limit=_reread_limit(state.facts))
    if changes.everything or changes.pruned_through > state.position.floor:
        return _read_tables(using)
    if changes.empty:
        return state.facts
    return Facts.build(*_apply(state.facts, changes, using))


def _reread_limit(f: Facts) -> int:
    return max(_REREAD_MIN, int((len(f.orders) + len(f.memberships)) * _REREAD_SHARE))


def _apply(f: Facts, changes: changelog.Changes, using: str) -> tuple[OrderColumns, MembershipColumns]:
    """The columns with the changed rows read again: replaced, added, or gone when no longer there."""
    orders, memberships = f.orders, f.memberships
    if len(changes.orders):
        fresh = sources.order_columns(using=using, ids=changes.orders)
        orders = OrderColumns(**_merge(orders, changes.orders, fresh, ORDER_FIELDS))
    if len(changes.memberships):
        fresh = sources.membership_columns(using=using, ids=changes.memberships)
        memberships = MembershipColumns(**_merge(memberships, changes.memberships, fresh, MEMBERSHIP_FIELDS))
    return orders, memberships


def _merge(base, changed: np.ndarray, fresh, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Columns sorted by id: drop the rows of `changed` ids, then insert `fresh` (the ones that still exist)."""
    pos = np.searchsorted(base.id, changed)
    found = pos < len(base.id)
    found[found] = base.id[pos[found]] == changed[found]
    keep = np.ones(len(base.id), dtype=bool)
    keep[pos[found]] = False
    kept_ids = base.id[keep]
    at = np.searchsorted(kept_ids, fresh.id)
    out = {}
    for name in names:
        column = np.asarray(getattr(base, name))[keep]
        out[name] = np.insert(column, at, getattr(fresh, name)) if len(fresh.id) else column
    return out


# --- the snapshot (analytics.snapshot writes and maps the files) -----------------------------------


def _load_snapshot(
    using: str, key: str, *, head: changelog.Head | None = None, newer_than: _State | None = None
) -> _State | None:
    """The snapshot, if it belongs to this database and the log can bring it up to date (and, with
    `newer_than`, only if it is ahead of that copy); None otherwise, or when a writer won a race with us."""
    directory = snapshot.directory_for(key)
    if directory is None:
        return None
    connection = connections[using]
    for _attempt in range(3):
        generation = snapshot.read_pointer(directory)
        if generation is None:
            return None
        if newer_than is not None and generation == newer_than.generation:
            return None
        meta = snapshot.read_meta(directory, generation)
        if meta is None or meta.get("vendor") != connection.vendor:
            continue  # replaced and removed while we read the pointer; or not ours
        position = Position(connection.vendor, meta["position"])
        if head is None:
            head = changelog.read_head(connection)
        if not _usable(position, meta["instance"], head):
            return None
        if newer_than is not None:
            newer_than.generation = generation
            if position.key() <= newer_than.position.key() and newer_than.instance == meta["instance"]:
                return None
        try:
            f = snapshot.load_facts(directory, generation, meta)
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            logger.warning("analytics: ignoring an unreadable snapshot %s: %s", directory / generation, exc)
            return None
        return _State(
            facts=f,
            position=position,
            instance=meta["instance"],
            origin="snapshot",
            generation=generation,
            persisted=position,
            persisted_facts=f,
        )
    return None


def _persist(state: _State, key: str, using: str, *, force: bool = False) -> None:
    """Write the copy as a new generation (unless the pointer already holds one at least as new), switch
    the pointer to it, remove old generations, then prune the log up to what the pointer's copy absorbed.

    `force` (a rebuild) writes even when the pointer looks newer: after a restore, positions go back."""
    directory = snapshot.directory_for(key)
    if directory is None:
        return
    connection = connections[using]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with snapshot.writer_lock(directory):
            current = snapshot.read_pointer(directory)
            meta = snapshot.read_meta(directory, current) if current else None
            pointed = None
            if meta is not None and meta.get("vendor") == connection.vendor and meta["instance"] == state.instance:
                pointed = Position(connection.vendor, meta["position"])
            if force or pointed is None or pointed.key() < state.position.key():
                current = _write_generation(directory, state, connection.vendor)
                pointed = state.position
            state.generation = current
            snapshot.remove_old_generations(directory, current)
        state.rows_since_persist = 0
    except OSError as exc:  # a read-only disk costs speed, not correctness
        logger.warning("analytics: cannot write the snapshot in %s: %s", directory, exc)
        return
    legacy = directory.parent / f"facts-{key}.bin"  # the single-file layout before SNAPSHOT_FORMAT 3
    legacy.unlink(missing_ok=True)
    if not connection.in_atomic_block:
        changelog.prune(connection, pointed.floor)


def _write_generation(directory, state: _State, vendor: str) -> str:
    # Facts unchanged since they were loaded or written (only the position moved): link the same files.
    same = state.persisted_facts is state.facts and state.generation and (directory / state.generation).is_dir()
    name = snapshot.write_generation(
        directory,
        state.facts,
        {"vendor": vendor, "instance": state.instance, "position": state.position.value},
        link_from=state.generation if same else None,
    )
    state.persisted = state.position
    state.persisted_facts = state.facts
    return name
