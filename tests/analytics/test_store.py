"""The fact store stays equal to the source tables whatever writes them — the ORM, `QuerySet.update()`, raw
SQL — without anything stamping `updated_at` and without a rebuild by hand: the database logs every change
(triggers) and the store catches up from that log."""

import json
import logging
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import changelog, metrics, segments, sources, store, triggers
from analytics.models import ChangeLogState, SourceChange
from analytics.snapshot import SNAPSHOT_FORMAT
from campaigns.models import Order
from core.dates import week_bounds
from members.models import Group, Member, Membership

from . import reference as ref
from .story import build_story, local
from .test_services import assert_metrics_match
from .worlds import MONDAY, build, instants, worlds

WEEK = week_bounds(MONDAY.date())


def check_against_reference():
    src = ref.Source()
    for start, end in [WEEK, (MONDAY - timedelta(days=35), MONDAY + timedelta(days=14))]:
        assert_metrics_match(metrics.period_metrics(start=start, end=end), ref.metrics(src, start, end))
    for at in (MONDAY, WEEK[1]):
        snapshot = segments.segments_at(at=at)
        expected = ref.segments(src, at)
        for g in src.groups:
            assert snapshot.of_group(g.id) == expected[g.code]


def raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))


mutations = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"), st.integers(0, 5), st.sampled_from(["G1", "G2", "G3"]), instants, st.integers(0, 9999)
        ),
        st.tuples(st.just("refund"), st.integers(0, 100)),
        st.tuples(st.just("unrefund"), st.integers(0, 100)),
        st.tuples(st.just("regroup"), st.integers(0, 100), st.sampled_from(["G1", "G2", "G3", None])),
        st.tuples(st.just("remember"), st.integers(0, 100), st.integers(0, 5)),
        st.tuples(st.just("amount"), st.integers(0, 100), st.integers(0, 99999)),
        st.tuples(st.just("raw_amount"), st.integers(0, 100), st.integers(0, 99999)),
        st.tuples(st.just("delete"), st.integers(0, 100)),
        st.tuples(st.just("raw_delete"), st.integers(0, 100)),
        st.tuples(st.just("leave"), st.integers(0, 100), instants),
        st.tuples(st.just("reinvite"), st.integers(0, 100)),
        st.tuples(st.just("join"), st.integers(0, 5), st.sampled_from(["G1", "G2", "G3"]), instants),
    ),
    min_size=1,
    max_size=6,
)


def apply(mutation, counter):
    """One change, written as the code paths that write them do — none of them stamps anything."""
    kind, *args = mutation
    orders = list(Order.objects.order_by("id").values_list("id", flat=True))
    pick = orders[args[0] % len(orders)] if orders and kind not in ("add", "join", "leave", "reinvite") else None
    one = Order.objects.filter(id=pick)
    if kind == "add":
        member, code, at, cents = args
        Order.objects.create(
            order_id=f"N{counter}",
            member=Member.objects.get(external_id=f"M{member}"),
            group=Group.objects.get(code=code),
            placed_at=at,
            amount=Decimal(cents) / 100,
        )
    elif pick is None:
        pass
    elif kind == "refund":
        one.update(status=Order.Status.REFUNDED)
    elif kind == "unrefund":
        one.update(status=Order.Status.PAID)
    elif kind == "regroup":
        one.update(group=None if args[1] is None else Group.objects.get(code=args[1]))
    elif kind == "remember":
        one.update(member=Member.objects.get(external_id=f"M{args[1]}"))
    elif kind == "amount":
        one.update(amount=Decimal(args[1]) / 100)
    elif kind == "raw_amount":
        raw("UPDATE campaigns_order SET amount = %s WHERE id = %s", [Decimal(args[1]) / 100, pick])
    elif kind == "delete":
        one.delete()
    elif kind == "raw_delete":
        raw("DELETE FROM campaigns_order WHERE id = %s", [pick])
    if kind in ("leave", "reinvite"):
        open_ = list(Membership.objects.filter(status="active").order_by("id"))
        if open_:
            ms = open_[args[0] % len(open_)]
            if kind == "leave":
                left = max(args[1], ms.joined_at) if ms.joined_at else args[1]
                Membership.objects.filter(id=ms.id).update(status="left", left_at=left)
            else:  # back to a mere invitation: the membership leaves the store
                Membership.objects.filter(id=ms.id).update(status="invited")
    if kind == "join":
        member, code, at = args
        member = Member.objects.get(external_id=f"M{member}")
        group = Group.objects.get(code=code)
        if not Membership.objects.filter(member=member, group=group, status__in=["active", "invited"]).exists():
            Membership.objects.create(member=member, group=group, joined_at=at)


examples = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.django_db
@examples
@given(world=worlds, steps=mutations)
def test_inside_a_transaction_the_store_sees_every_uncommitted_change(world, steps):
    with transaction.atomic():
        store.clear()
        build(world)
        check_against_reference()
        for i, step in enumerate(steps):
            apply(step, i)
            check_against_reference()
        transaction.set_rollback(True)
    store.clear()


def wipe():
    Order.objects.all().delete()
    Membership.objects.all().delete()
    Member.objects.all().delete()
    Group.objects.all().delete()


@pytest.mark.django_db(transaction=True)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds, steps=mutations)
def test_the_shared_copy_follows_every_committed_change(world, steps):
    """Committed writes: the store's own copy advances through the log (no rebuild between examples either:
    each example's world replaces the previous one through deletes and inserts the log carries)."""
    try:
        build(world)
        check_against_reference()
        assert store.stats()["origin"] in ("tables", "log")
        for i, step in enumerate(steps):
            apply(step, i)
            check_against_reference()
    finally:
        wipe()


@pytest.mark.django_db(transaction=True)
def test_nothing_changed_is_one_query():
    build_story()
    store.facts()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            store.facts()
    assert len(queries) == 5, [q["sql"] for q in queries]
    assert "analytics_sourcechange" in queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_is_never_absorbed_and_a_reused_log_id_is_still_read():
    """SQLite hands a rolled-back transaction's log ids out again: the copy must not have advanced past them."""
    build_story()
    before = metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv
    position = store.stats()["position"]
    with transaction.atomic():
        Order.objects.filter(order_id="S2").update(amount=Decimal("1.00"))  # A's ¥300 on Thursday
        assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == before - Decimal("299.00")
        assert store._states[store._db_key("default")].position.value == position
        transaction.set_rollback(True)
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == before
    Order.objects.filter(order_id="S4").update(status="refunded")  # B's ¥80 on Tuesday: same log id on SQLite
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == before - Decimal("80.00")


@pytest.mark.django_db(transaction=True)
def test_a_large_change_reads_the_tables_again():
    build_story()
    store.facts()
    store._REREAD_MIN, old = 3, store._REREAD_MIN
    try:
        Order.objects.update(amount=Decimal("1.00"))
        assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == Decimal("7.00")
        assert store.stats()["origin"] == "tables"
        Order.objects.filter(order_id="S2").update(amount=Decimal("2.00"))
        assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == Decimal("8.00")
        assert store.stats()["origin"] == "log"
    finally:
        store._REREAD_MIN = old


@pytest.mark.django_db
def test_sqlite_datetime_text_shapes_read_to_the_microsecond():
    """Whatever shape of datetime text a writer leaves in SQLite, the store reads the same instant."""
    build_story()
    order = Order.objects.get(order_id="S0")  # 2026-01-04 23:59:59 +08:00 = 15:59:59 UTC
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    expected = sources.to_us(order.placed_at)
    shapes = [
        "2026-01-04 15:59:59",
        "2026-01-04T15:59:59",
        "2026-01-04 23:59:59+08:00",
        "2026-01-04 15:59:59.000000",
        "2026-01-04T23:59:59.000000+08:00",
    ]
    for shape in shapes:
        raw("UPDATE campaigns_order SET placed_at = %s WHERE id = %s", [shape, order.pk])
        cols = sources.order_columns()
        assert int(cols.ts[cols.id == order.pk][0]) == expected, shape
        one = sources.order_columns(ids=np.array([order.pk]))
        assert one.id.tolist() == [order.pk], shape
        assert int(one.ts[0]) == expected, shape
    raw("UPDATE campaigns_order SET placed_at = %s WHERE id = %s", ["2026-01-04 15:59:59.999999", order.pk])
    cols = sources.order_columns()
    assert int(cols.ts[cols.id == order.pk][0]) == expected + 999_999


# --- the snapshot files -------------------------------------------------------------------------------


def snapshot_dir(tmp_path):
    (directory,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    return directory


@pytest.mark.django_db(transaction=True)
def test_the_snapshot_is_npy_files_that_numpy_opens(tmp_path, settings):
    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    build_story()
    first = metrics.period_metrics(start=WEEK[0], end=WEEK[1])  # no snapshot yet: reads the tables, writes one
    directory = snapshot_dir(tmp_path)
    generation = directory / (directory / "CURRENT").read_text().strip()
    meta = json.loads((generation / "meta.json").read_text())
    assert meta["format"] == SNAPSHOT_FORMAT
    assert meta["vendor"] == connection.vendor
    assert meta["instance"] == ChangeLogState.objects.get().instance
    ids = np.load(generation / "orders.id.npy")  # a plain numpy file: anyone can open it
    assert ids.tolist() == sorted(Order.objects.values_list("id", flat=True))
    cents = np.load(generation / "orders.cents.npy")
    assert int(cents.sum()) == int(sum(Order.objects.values_list("amount", flat=True)) * 100)
    assert np.load(generation / "memberships.id.npy").tolist() == sorted(
        Membership.objects.exclude(status="invited").values_list("id", flat=True)
    )
    assert sorted(p.name for p in generation.glob("*.npy")) == sorted(f"{name}.npy" for name in meta["arrays"])

    store.clear()  # as a new process starts
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]) == first
    assert store.stats()["origin"] == "snapshot"
    assert isinstance(store.facts().orders.id.base, np.memmap)  # mapped, not read
    raw("UPDATE campaigns_order SET status = 'refunded' WHERE order_id = 'S1'")  # A's ¥200 on Monday
    store.clear()
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == first.platform.gmv - Decimal("200.00")
    assert store.stats()["origin"] == "log"


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_of_another_database_is_not_used(tmp_path, settings):
    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    build_story()
    store.absorb_writes()
    # Same file name, another database: the log ids may well be past the snapshot's position.
    ChangeLogState.objects.update(instance="another")
    Order.objects.filter(order_id="S1").delete()
    store.clear()
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == Decimal("575.50")
    assert store.stats()["origin"] == "tables"


@pytest.mark.django_db(transaction=True)
def test_absorb_writes_persists_prunes_and_old_generations_go(tmp_path, settings):
    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    build_story()
    store.absorb_writes()
    directory = snapshot_dir(tmp_path)
    assert SourceChange.objects.count() == 0  # everything absorbed by the snapshot: pruned
    for i in range(4):
        Order.objects.filter(order_id="S2").update(amount=Decimal(i + 1))
        assert SourceChange.objects.count() == 1
        store.absorb_writes()
        assert SourceChange.objects.count() == 0
    generations = [p for p in directory.iterdir() if p.name.startswith("gen-")]
    assert len(generations) == 2  # the current one and the one before it
    pruned = ChangeLogState.objects.get().pruned_through
    assert pruned == int(store.stats()["position"]) + 1 if connection.vendor == "sqlite" else pruned > 0


@pytest.mark.django_db(transaction=True)
def test_absorb_writes_in_a_transaction_waits_for_the_commit(tmp_path, settings):
    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    build_story()
    store.absorb_writes()
    directory = snapshot_dir(tmp_path)
    pointer = (directory / "CURRENT").read_text()
    with transaction.atomic():
        Order.objects.filter(order_id="S2").update(amount=Decimal("1.00"))
        store.absorb_writes()
        assert (directory / "CURRENT").read_text() == pointer
    assert (directory / "CURRENT").read_text() != pointer
    assert SourceChange.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_process_behind_the_pruning_point_reloads_the_snapshot(tmp_path, settings):
    """Another process absorbed and pruned entries this one never read: it must not skip them."""
    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    build_story()
    before = metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv
    key = store._db_key("default")
    stale = replace(store._states[key])  # this process's copy, as it stands
    Order.objects.filter(order_id="S2").update(status="refunded")  # ¥300
    store.absorb_writes()  # "another process": catches up, persists, prunes the entry
    assert not SourceChange.objects.exists()
    assert ChangeLogState.objects.get().pruned_through > stale.position.floor
    store._states[key] = stale  # back to the copy that never saw the refund
    Order.objects.filter(order_id="S3").update(amount=Decimal("60.00"))  # a refunded order: no effect on GMV
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == before - Decimal("300.00")
    assert store.stats()["origin"] in ("snapshot", "log")
    check_against_reference()


@pytest.mark.django_db(transaction=True)
def test_without_the_snapshot_a_process_behind_the_pruning_point_rebuilds(tmp_path, settings):
    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    build_story()
    metrics.period_metrics(start=WEEK[0], end=WEEK[1])
    key = store._db_key("default")
    stale = replace(store._states[key])
    Order.objects.filter(order_id="S2").update(status="refunded")
    store.absorb_writes()
    for generation in snapshot_dir(tmp_path).glob("gen-*"):
        for array in generation.glob("*.npy"):
            array.unlink()  # a snapshot nobody can read any more
    store._states[key] = stale
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == Decimal("475.50")
    assert store.stats()["origin"] == "tables"


# --- the triggers -------------------------------------------------------------------------------------


def trigger_names():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall() if row[0].startswith("analytics_log_")}


@pytest.mark.django_db(transaction=True)
def test_missing_triggers_are_detected_installed_and_the_store_rebuilt(caplog):
    build_story()
    metrics.period_metrics(start=WEEK[0], end=WEEK[1])
    assert trigger_names() == {name for _table, name in triggers.expected(connection.vendor)}
    raw(f'DROP TRIGGER "{triggers.trigger_name("campaigns_order", "upd")}"')  # a restored dump without it, say
    logged = SourceChange.objects.count()
    raw("UPDATE campaigns_order SET amount = 1 WHERE order_id = 'S2'")
    assert SourceChange.objects.count() == logged  # not logged
    store.clear()  # a new process
    with caplog.at_level(logging.WARNING, logger="analytics.store"):
        assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == Decimal("476.50")
    assert "triggers were missing" in caplog.text
    assert trigger_names() == {name for _table, name in triggers.expected(connection.vendor)}
    assert store.stats()["origin"] == "tables"
    # And they log again.
    raw("UPDATE campaigns_order SET amount = 2 WHERE order_id = 'S2'")
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == Decimal("477.50")


@pytest.mark.django_db(transaction=True)
def test_a_migration_that_rebuilds_the_table_gets_its_triggers_back(caplog):
    """Django's SQLite schema editor rebuilds a table to alter a column (new table, copy, drop, rename): the
    triggers go with the old table. post_migrate puts them back and logs "everything changed", so even a
    process that had checked its triggers long before reads what was written in between."""
    from django.core.management import call_command

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's schema editor")
    build_story()
    before = metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv  # a warm store, triggers checked
    old = Order._meta.get_field("status")
    new = Order._meta.get_field("status").clone()
    new.set_attributes_from_name("status")
    new.max_length = 20
    new.model = Order
    try:
        with connection.schema_editor() as editor:
            editor.alter_field(Order, old, new)  # what AlterField does: on SQLite, _remake_table
        assert not any(name.startswith("analytics_log_campaigns_order") for name in trigger_names())
        raw("UPDATE campaigns_order SET status = 'refunded' WHERE order_id = 'S2'")  # unlogged: no trigger
        with caplog.at_level(logging.WARNING, logger="analytics.apps"):
            call_command("migrate", verbosity=0)  # nothing to apply; post_migrate still runs
        assert "re-installed" in caplog.text
        assert trigger_names() == {name for _table, name in triggers.expected("sqlite")}
        assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == before - Decimal("300.00")
    finally:
        with connection.schema_editor() as editor:
            editor.alter_field(Order, new, old)
        call_command("migrate", verbosity=0)
    assert trigger_names() == {name for _table, name in triggers.expected("sqlite")}


@pytest.mark.django_db(transaction=True)
def test_install_is_idempotent():
    assert triggers.install(connection) == []
    assert triggers.missing(connection) == []
    count = SourceChange.objects.count()
    assert triggers.install(connection) == []
    assert SourceChange.objects.count() == count  # nothing was missing: no "everything changed" entry


@pytest.mark.django_db(transaction=True)
def test_the_log_names_rows_of_both_tables():
    story = build_story()
    SourceChange.objects.all().delete()
    a = story["members"][0]
    order = Order.objects.create(order_id="X", member=a, group=story["vip"], placed_at=local(2026, 1, 5, 8), amount=1)
    Membership.objects.filter(member=a, group=story["vip"]).update(left_at=local(2026, 1, 9), status="left")
    ms = Membership.objects.get(member=a, group=story["vip"])
    order_pk = order.pk
    order.delete()
    rows = list(SourceChange.objects.order_by("id").values_list("source", "row_id"))
    assert rows == [(1, order_pk), (2, ms.pk), (1, order_pk)]
    head = changelog.read_head(connection)
    assert changelog.went_back(head.position, head) is False


# --- the tasks and the command ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_tasks_refresh_and_rebuild(tmp_path, settings):
    from analytics.tasks import rebuild_analytics_task, refresh_analytics_task

    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    build_story()
    assert refresh_analytics_task.delay().get()["orders"] == 11
    assert list(snapshot_dir(tmp_path).glob("gen-*/orders.id.npy"))
    assert not SourceChange.objects.exists()
    Order.objects.filter(order_id="S1").delete()
    instance = ChangeLogState.objects.get().instance
    assert rebuild_analytics_task.delay().get()["orders"] == 10
    assert ChangeLogState.objects.get().instance != instance  # every other process drops its copy


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_elsewhere_makes_a_running_process_drop_its_copy(tmp_path, settings):
    """After a restore, `rebuild_analytics` in one process must reach the copies of the others."""
    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    build_story()
    metrics.period_metrics(start=WEEK[0], end=WEEK[1])
    key = store._db_key("default")
    running = replace(store._states[key])
    # A restore would put back rows without logging anything; here: a write with the triggers out of the way.
    raw(f'DROP TRIGGER "{triggers.trigger_name("campaigns_order", "upd")}"')
    raw("UPDATE campaigns_order SET amount = 1 WHERE order_id = 'S2'")
    triggers.install(connection)
    SourceChange.objects.all().delete()  # as if the restored log knew nothing of it
    store.facts(rebuild=True)  # rebuild_analytics
    store._states[key] = running
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == Decimal("476.50")


@pytest.mark.django_db(transaction=True)
def test_rebuild_command_prints_a_summary_to_stderr():
    from io import StringIO

    from django.core.management import call_command

    build_story()
    out, err = StringIO(), StringIO()
    call_command("rebuild_analytics", stdout=out, stderr=err)
    assert out.getvalue() == ""
    assert "11 orders (9 counting)" in err.getvalue()
