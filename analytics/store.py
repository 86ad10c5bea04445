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

Derived views (computed once per refresh, shared read-only by every request):
- the *counting* orders — paid, attributed to a group, and not placed after the member left that group
  (see `counting_mask`) — sorted by time, so a period is one contiguous slice;
- per (group, member) pair the first counting order's instant, for "ordered before t" in segments.
"""

import contextlib
import functools
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.utils import timezone

from . import changelog, conf, sources, triggers
from .changelog import Position
from .sources import MembershipColumns, OrderColumns

logger = logging.getLogger(__name__)

# Bump when the snapshot's layout changes: older generations are then ignored and the store rebuilt.
SNAPSHOT_FORMAT = 3


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for int64 keys, by sorting: NumPy 2's default (hash-based) unique is ~100× slower on them."""
    if not len(values):
        return values
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def counting_mask(orders: OrderColumns, memberships: MembershipColumns) -> np.ndarray:
    """Which orders count for their group: paid, with a group, and not placed while the member was out of it.

    "Members who left a group stop counting from the instant they left": an order attributed to group g
    at instant t does not count for g when the member had left g at or before t (`left_at <= t`) and was
    not back in g at t (no membership with `joined_at <= t < left_at`). Orders placed before a member
    ever joined still count (the shop attributed them to the group; a join date is often recorded late),
    and so do orders of buyers who never had a membership row.
    """
    mask = orders.paid & (orders.group >= 0)
    if not len(memberships.group) or not mask.any():
        return mask
    span = _span(orders, memberships)
    closed = memberships.left != sources.NEVER_AFTER
    if not closed.any():
        return mask
    ms_key = memberships.group * span + memberships.member
    closed_keys = sorted_unique(ms_key[closed])
    order_key = orders.group * span + orders.member
    pos = np.searchsorted(closed_keys, order_key)
    pos[pos == len(closed_keys)] = 0
    flagged = np.flatnonzero(mask & (closed_keys[pos] == order_key))
    if not len(flagged):
        return mask
    # Pair every flagged order with every membership interval of its (group, member).
    by_key = np.argsort(ms_key, kind="stable")
    sorted_keys = ms_key[by_key]
    fk = order_key[flagged]
    lo = np.searchsorted(sorted_keys, fk, side="left")
    hi = np.searchsorted(sorted_keys, fk, side="right")
    counts = hi - lo
    owner = np.repeat(np.arange(len(flagged)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    interval = by_key[np.repeat(lo, counts) + offsets]
    t = orders.ts[flagged][owner]
    joined = memberships.joined[interval]
    left = memberships.left[interval]
    covered = np.bincount(owner, weights=(joined <= t) & (t < left), minlength=len(flagged)) > 0
    had_left = np.bincount(owner, weights=left <= t, minlength=len(flagged)) > 0
    mask = mask.copy()
    mask[flagged[had_left & ~covered]] = False
    return mask


def _span(orders: OrderColumns, memberships: MembershipColumns) -> int:
    """Pair keys are group * span + member: span is one more than the largest member id."""
    top = 0
    if len(orders):
        top = max(top, int(orders.member.max()))
    if len(memberships.member):
        top = max(top, int(memberships.member.max()))
    return top + 1


@dataclass(frozen=True)
class Facts:
    """A consistent, read-only view of the source data. Services compute from its arrays."""

    orders: OrderColumns
    memberships: MembershipColumns
    # Counting orders sorted by (time, id): a period [s, e) is the slice searchsorted(ts, [s, e)).
    ts: np.ndarray
    group: np.ndarray
    member: np.ndarray
    cents: np.ndarray
    span: int
    # Sorted (group * span + member) keys of pairs with a counting order, and their first order's instant;
    # per counting order, the index of its pair (so a period's per-pair counts are one bincount, no sort).
    pair_keys: np.ndarray
    pair_first_ts: np.ndarray
    pair_index: np.ndarray
    # Memberships: pair keys, sorted ascending, with their intervals (a pair may have several).
    ms_keys: np.ndarray
    ms_joined: np.ndarray
    ms_left: np.ndarray

    @classmethod
    def build(cls, orders: OrderColumns, memberships: MembershipColumns) -> "Facts":
        mask = counting_mask(orders, memberships)
        idx = np.flatnonzero(mask)
        # Orders are sorted by id; a stable sort by time keeps ties in id order.
        idx = idx[np.argsort(orders.ts[idx], kind="stable")]
        span = _span(orders, memberships)
        ts = orders.ts[idx]
        group = orders.group[idx]
        member = orders.member[idx]
        keys = group * span + member
        pair_keys, first, pair_index = np.unique(keys, return_index=True, return_inverse=True)
        ms_keys = memberships.group * span + memberships.member
        by_key = np.argsort(ms_keys, kind="stable")
        return cls(
            orders=orders,
            memberships=memberships,
            ts=ts,
            group=group,
            member=member,
            cents=orders.cents[idx],
            span=span,
            pair_keys=pair_keys,
            pair_first_ts=ts[first],
            pair_index=pair_index.astype(np.int32),
            ms_keys=ms_keys[by_key],
            ms_joined=memberships.joined[by_key],
            ms_left=memberships.left[by_key],
        )

    def slice(self, start_us: int, end_us: int) -> slice:
        """The counting orders placed in [start, end)."""
        lo, hi = np.searchsorted(self.ts, [start_us, end_us], side="left")
        return slice(int(lo), int(hi))

    def members_at(self, at_us: int) -> np.ndarray:
        """Sorted unique pair keys of the members in a group at an instant: joined at or before it, not left."""
        inside = (self.ms_joined <= at_us) & (at_us < self.ms_left)
        keys = self.ms_keys[inside]  # already sorted: only duplicates (overlapping memberships) to drop
        return keys[np.r_[True, keys[1:] != keys[:-1]]] if len(keys) else keys


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
    connection = connections[using]
    if connection.in_atomic_block:
        transaction.on_commit(functools.partial(absorb_writes, using=using), using=using)
        return
    facts(using=using)
    if not triggers.supported(connection):
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
        orders = OrderColumns(**_merge(orders, changes.orders, fresh, _ORDER_FIELDS))
    if len(changes.memberships):
        fresh = sources.membership_columns(using=using, ids=changes.memberships)
        memberships = MembershipColumns(**_merge(memberships, changes.memberships, fresh, _MEMBERSHIP_FIELDS))
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


# --- the snapshot: a generation directory of .npy arrays, and a pointer ------------------------------

_POINTER = "CURRENT"
_ORDER_FIELDS = ("id", "member", "group", "ts", "cents", "paid")
_MEMBERSHIP_FIELDS = ("id", "group", "member", "joined", "left")
_FACT_FIELDS = (
    "ts", "group", "member", "cents", "pair_keys", "pair_first_ts", "pair_index", "ms_keys", "ms_joined", "ms_left",
)  # fmt: skip


def _arrays(f: Facts) -> dict[str, np.ndarray]:
    """Every array of the facts by file stem: orders.<field>, memberships.<field>, facts.<field>."""
    out = {f"orders.{n}": getattr(f.orders, n) for n in _ORDER_FIELDS}
    out.update({f"memberships.{n}": getattr(f.memberships, n) for n in _MEMBERSHIP_FIELDS})
    out.update({f"facts.{n}": getattr(f, n) for n in _FACT_FIELDS})
    return out


def _snapshot_dir(key: str) -> Path | None:
    directory = conf.get("ANALYTICS_SNAPSHOT_DIR")
    return Path(directory) / key if directory else None


@contextlib.contextmanager
def _directory_lock(directory: Path):
    """Writers of one snapshot directory take turns (several web processes, a worker, commands)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: one writer at a time is then the deployment's business
        yield
        return
    with open(directory / "lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_pointer(directory: Path) -> str | None:
    try:
        return (directory / _POINTER).read_text().strip() or None
    except FileNotFoundError:
        return None


def _read_meta(directory: Path, generation: str) -> dict | None:
    try:
        meta = json.loads((directory / generation / "meta.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return meta if meta.get("format") == SNAPSHOT_FORMAT else None


def _load_snapshot(
    using: str, key: str, *, head: changelog.Head | None = None, newer_than: _State | None = None
) -> _State | None:
    """The snapshot, if it belongs to this database and the log can bring it up to date (and, with
    `newer_than`, only if it is ahead of that copy); None otherwise, or when a writer won a race with us."""
    directory = _snapshot_dir(key)
    if directory is None:
        return None
    connection = connections[using]
    for _attempt in range(3):
        generation = _read_pointer(directory)
        if generation is None:
            return None
        if newer_than is not None and generation == newer_than.generation:
            return None
        meta = _read_meta(directory, generation)
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
            arrays = {
                name: np.load(directory / generation / f"{name}.npy", mmap_mode="r", allow_pickle=False).view(
                    np.ndarray
                )
                for name in meta["arrays"]
            }
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            logger.warning("analytics: ignoring an unreadable snapshot %s: %s", directory / generation, exc)
            return None
        if any(len(arrays[name]) != length for name, length in meta["arrays"].items()):
            logger.warning("analytics: ignoring an incomplete snapshot %s", directory / generation)
            return None
        f = Facts(
            orders=OrderColumns(**{n: arrays[f"orders.{n}"] for n in _ORDER_FIELDS}),
            memberships=MembershipColumns(**{n: arrays[f"memberships.{n}"] for n in _MEMBERSHIP_FIELDS}),
            span=int(meta["span"]),
            **{n: arrays[f"facts.{n}"] for n in _FACT_FIELDS},
        )
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
    directory = _snapshot_dir(key)
    if directory is None:
        return
    connection = connections[using]
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with _directory_lock(directory):
            current = _read_pointer(directory)
            meta = _read_meta(directory, current) if current else None
            pointed = None
            if meta is not None and meta.get("vendor") == connection.vendor and meta["instance"] == state.instance:
                pointed = Position(connection.vendor, meta["position"])
            if force or pointed is None or pointed.key() < state.position.key():
                current = _write_generation(directory, state, connection.vendor)
                pointed = state.position
            state.generation = current
            _remove_old_generations(directory, current)
        state.rows_since_persist = 0
    except OSError as exc:  # a read-only disk costs speed, not correctness
        logger.warning("analytics: cannot write the snapshot in %s: %s", directory, exc)
        return
    legacy = directory.parent / f"facts-{key}.bin"  # the single-file layout before SNAPSHOT_FORMAT 3
    legacy.unlink(missing_ok=True)
    if not connection.in_atomic_block:
        changelog.prune(connection, pointed.floor)


def _write_generation(directory: Path, state: _State, vendor: str) -> str:
    name = f"gen-{time.time_ns():020d}-{os.getpid()}"
    tmp = directory / f"{name}.tmp"
    tmp.mkdir()
    f = state.facts
    # Facts unchanged since they were loaded or written (only the position moved): link the same files.
    same = state.persisted_facts is f and state.generation and (directory / state.generation).is_dir()
    arrays = _arrays(f)
    for stem, array in arrays.items():
        target = tmp / f"{stem}.npy"
        if same:
            try:
                os.link(directory / state.generation / f"{stem}.npy", target)
                continue
            except OSError:
                pass
        np.save(target, np.ascontiguousarray(array), allow_pickle=False)
    meta = {
        "format": SNAPSHOT_FORMAT,
        "vendor": vendor,
        "instance": state.instance,
        "position": state.position.value,
        "span": f.span,
        "written_at": timezone.now().isoformat(),
        "arrays": {stem: len(array) for stem, array in arrays.items()},
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    os.rename(tmp, directory / name)
    pointer = directory / f"{_POINTER}.{os.getpid()}.tmp"
    pointer.write_text(name + "\n")
    os.replace(pointer, directory / _POINTER)  # atomic: a reader finds the old generation or the new one
    state.persisted = state.position
    state.persisted_facts = f
    return name


def _remove_old_generations(directory: Path, current: str | None) -> None:
    """Keep the current generation and the one before it (a reader may have just read the old pointer);
    a reader that still loses the race retries with the new pointer."""
    generations = sorted(p.name for p in directory.iterdir() if p.name.startswith("gen-") and p.is_dir())
    keep = {current}
    older = [g for g in generations if g != current and not g.endswith(".tmp")]
    if older:
        keep.add(older[-1])
    for name in generations:
        if name not in keep:
            shutil.rmtree(directory / name, ignore_errors=True)
    for leftover in directory.glob(f"{_POINTER}.*.tmp"):
        leftover.unlink(missing_ok=True)
