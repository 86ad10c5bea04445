"""The triggers that make the database itself log every change to the tables the fact store copies.

Why triggers: the store must never serve a number that a committed write has changed. Anything written in
Python (stamping `updated_at`, a signal, a service hook) misses a `QuerySet.update()`, a fix typed in psql
or sqlite3, and writers nobody has written yet; a trigger fires for all of them, inside the writing
transaction, so the log entry commits or rolls back with the change it describes.

- SQLite: row-level triggers (SQLite has no other kind) insert (source, row id). Writers are serialised
  there, so AUTOINCREMENT log ids are in commit order.
- PostgreSQL: statement-level triggers with transition tables, so a COPY of a million orders logs them in one
  set-wise INSERT … SELECT; each entry carries the writing transaction (`pg_current_xact_id()`), because
  sequence values are not in commit order (`analytics.changelog` reads by transaction visibility). TRUNCATE
  logs one row-less entry: everything in that table changed.

Triggers disappear when Django's SQLite schema editor rebuilds a table (create, copy, drop, rename), when a
dump is restored without them, or when someone disables them. So `install()` is idempotent and runs after
every `migrate` (post_migrate, see `AnalyticsConfig.ready`), and the store checks once per process and
database that they are there (`missing()`); whoever finds one missing installs it and logs "everything
changed", since writes made meanwhile were not logged.

Table names are spelled out rather than read from the models: migrations call this module, and the schema it
describes is the one of the migration that installed it.
"""

import uuid

from django.db import transaction

ORDERS_TABLE = "campaigns_order"
MEMBERSHIPS_TABLE = "members_membership"
LOG_TABLE = "analytics_sourcechange"
STATE_TABLE = "analytics_changelogstate"
# Source codes in the log (analytics.models.SourceChange.Source).
SOURCES = {ORDERS_TABLE: 1, MEMBERSHIPS_TABLE: 2}
OPERATIONS = ("ins", "upd", "del")
PG_FUNCTION = "analytics_log_change"
# An arbitrary constant: concurrent installers (two processes finding the triggers missing) queue on it.
PG_LOCK_KEY = 8_402_117_311


def trigger_name(table: str, operation: str) -> str:
    return f"analytics_log_{table}_{operation}"


def expected(vendor: str) -> list[tuple[str, str]]:
    """(table, trigger name) of every trigger the log needs on this database."""
    operations = (*OPERATIONS, "trunc") if vendor == "postgresql" else OPERATIONS
    return [(table, trigger_name(table, op)) for table in SOURCES for op in operations]


def supported(connection) -> bool:
    return connection.vendor in ("sqlite", "postgresql")


def log_exists(connection) -> bool:
    with connection.cursor() as cursor:
        return LOG_TABLE in connection.introspection.table_names(cursor)


def missing(connection) -> list[str]:
    """Names of the triggers that are absent (or disabled) — one catalog query."""
    names = [name for _table, name in expected(connection.vendor)]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN ({', '.join(['%s'] * len(names))})",
                names,
            )
        else:
            # Trigger names carry their table's name; a disabled trigger ('D') logs nothing, so it is missing.
            cursor.execute(
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND pg_table_is_visible(c.oid)"
                " AND t.tgname = ANY(%s)",
                [names],
            )
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in names if name not in present]


def _sqlite_statements(table: str, names: set[str]) -> list[str]:
    source = SOURCES[table]
    log = f'INSERT INTO "{LOG_TABLE}" ("source", "row_id")'
    bodies = {
        "ins": f'{log} VALUES ({source}, NEW."id");',
        # A changed primary key (rare, but an UPDATE may do it) names both rows.
        "upd": f'{log} VALUES ({source}, NEW."id"); {log} SELECT {source}, OLD."id" WHERE OLD."id" <> NEW."id";',
        "del": f'{log} VALUES ({source}, OLD."id");',
    }
    events = {"ins": "INSERT", "upd": "UPDATE", "del": "DELETE"}
    return [
        f'CREATE TRIGGER IF NOT EXISTS "{trigger_name(table, op)}" AFTER {events[op]} ON "{table}" FOR EACH ROW'
        f" BEGIN {bodies[op]} END"
        for op in OPERATIONS
        if trigger_name(table, op) in names
    ]


PG_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    src smallint := TG_ARGV[0]::smallint;
BEGIN
    -- pg_current_xact_id() per row produced, so a statement that touched nothing assigns no transaction id.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "{LOG_TABLE}" ("source", "row_id", "xact")
        SELECT src, n."id", pg_current_xact_id()::text::bigint FROM analytics_new n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO "{LOG_TABLE}" ("source", "row_id", "xact")
        SELECT src, u."id", pg_current_xact_id()::text::bigint
        FROM (SELECT n."id" FROM analytics_new n UNION SELECT o."id" FROM analytics_old o) u;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "{LOG_TABLE}" ("source", "row_id", "xact")
        SELECT src, o."id", pg_current_xact_id()::text::bigint FROM analytics_old o;
    ELSE  -- TRUNCATE: no rows to name; everything in the table changed
        INSERT INTO "{LOG_TABLE}" ("source", "row_id", "xact") VALUES (src, NULL, pg_current_xact_id()::text::bigint);
    END IF;
    RETURN NULL;
END
$body$
"""


def _pg_statements(table: str, names: set[str], replace: bool) -> list[str]:
    source = SOURCES[table]
    events = {
        "ins": ("INSERT", "REFERENCING NEW TABLE AS analytics_new"),
        "upd": ("UPDATE", "REFERENCING OLD TABLE AS analytics_old NEW TABLE AS analytics_new"),
        "del": ("DELETE", "REFERENCING OLD TABLE AS analytics_old"),
        "trunc": ("TRUNCATE", ""),
    }
    statements = []
    for op, (event, referencing) in events.items():
        name = trigger_name(table, op)
        if name not in names:
            continue
        create = "CREATE OR REPLACE TRIGGER" if replace else "CREATE TRIGGER"
        if not replace:
            statements.append(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
        statements.append(
            f'{create} "{name}" AFTER {event} ON "{table}" {referencing} FOR EACH STATEMENT'
            f" EXECUTE FUNCTION {PG_FUNCTION}('{source}')"
        )
        # CREATE OR REPLACE keeps a disabled trigger disabled.
        statements.append(f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"')
    return statements


def install(connection) -> list[str]:
    """Create the triggers that are missing (and the log's state row); return their names.

    Idempotent and safe to run concurrently. When any trigger had to be created on a table that already
    existed, writes may have gone unlogged: one row-less entry per source tells every store to read
    everything again.
    """
    if not supported(connection):
        return []
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])
        absent = missing(connection)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                if absent:
                    cursor.execute(PG_FUNCTION_SQL)
                replace = connection.pg_version >= 140000
                statements = [s for table in SOURCES for s in _pg_statements(table, set(absent), replace)]
            else:
                statements = [s for table in SOURCES for s in _sqlite_statements(table, set(absent))]
            for statement in statements:
                cursor.execute(statement)
            if absent:
                xact = "pg_current_xact_id()::text::bigint" if connection.vendor == "postgresql" else "NULL"
                for source in sorted(SOURCES.values()):
                    cursor.execute(
                        f'INSERT INTO "{LOG_TABLE}" ("source", "row_id", "xact") VALUES (%s, NULL, {xact})', [source]
                    )
            # The state row: which database this is (a snapshot of another one is not used) and the pruning point.
            cursor.execute(
                f'INSERT INTO "{STATE_TABLE}" ("id", "instance", "pruned_through") VALUES (1, %s, 0)'
                ' ON CONFLICT ("id") DO NOTHING',
                [uuid.uuid4().hex],
            )
    return absent


def uninstall(connection) -> None:
    """Drop the triggers (the reverse of the migration that installed them)."""
    if not supported(connection):
        return
    with connection.cursor() as cursor:
        for table, name in expected(connection.vendor):
            if connection.vendor == "postgresql":
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
            else:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
