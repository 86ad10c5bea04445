"""The fact store stays equal to the source tables when orders are imported, updated, refunded,
re-attributed or deleted and when members leave — without being rebuilt by hand."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import metrics, segments, sources, store
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


def stamp(qs, **changes):
    """Change rows the way the importer does: one UPDATE statement that also stamps updated_at."""
    return qs.update(updated_at=timezone.now(), **changes)


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
        st.tuples(st.just("delete"), st.integers(0, 100)),
        st.tuples(st.just("leave"), st.integers(0, 100), instants),
        st.tuples(st.just("join"), st.integers(0, 5), st.sampled_from(["G1", "G2", "G3"]), instants),
    ),
    min_size=1,
    max_size=6,
)


def apply(mutation, counter):
    kind, *args = mutation
    orders = list(Order.objects.order_by("id").values_list("id", flat=True))
    pick = orders[args[0] % len(orders)] if orders and kind not in ("add", "join", "leave") else None
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
        stamp(one, status=Order.Status.REFUNDED)
    elif kind == "unrefund":
        stamp(one, status=Order.Status.PAID)
    elif kind == "regroup":
        stamp(one, group=None if args[1] is None else Group.objects.get(code=args[1]))
    elif kind == "remember":
        stamp(one, member=Member.objects.get(external_id=f"M{args[1]}"))
    elif kind == "amount":
        stamp(one, amount=Decimal(args[1]) / 100)
    elif kind == "delete":
        one.delete()
    if kind == "leave":
        open_ = list(Membership.objects.filter(status="active").order_by("id"))
        if open_:
            ms = open_[args[0] % len(open_)]
            left = max(args[1], ms.joined_at) if ms.joined_at else args[1]
            # Memberships have no updated_at: the store must notice without one.
            Membership.objects.filter(id=ms.id).update(status="left", left_at=left)
    if kind == "join":
        member, code, at = args
        member = Member.objects.get(external_id=f"M{member}")
        group = Group.objects.get(code=code)
        if not Membership.objects.filter(member=member, group=group, status__in=["active", "invited"]).exists():
            Membership.objects.create(member=member, group=group, joined_at=at)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds, steps=mutations)
def test_store_follows_every_change_without_a_rebuild(world, steps):
    with transaction.atomic():
        store.clear()
        build(world)
        check_against_reference()  # warms the store
        for i, step in enumerate(steps):
            apply(step, i)
            check_against_reference()
        transaction.set_rollback(True)
    store.clear()


@pytest.mark.django_db
def test_an_order_stamped_before_the_watermark_is_still_read():
    """A transaction that stamped its rows earlier but committed after another one is within the margin."""
    build_story()
    before = metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv
    order = Order.objects.get(order_id="S2")  # A's ¥300 on Thursday
    Order.objects.filter(pk=order.pk).update(status="refunded", updated_at=timezone.now() - timedelta(minutes=5))
    Order.objects.create(order_id="X", member=order.member, group=order.group, placed_at=local(2026, 1, 5, 8),
                         amount=Decimal("1.00"))  # fmt: skip
    after = metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv
    assert after == before - Decimal("300.00") + Decimal("1.00")


@pytest.mark.django_db
def test_a_change_without_a_stamp_is_caught_by_the_count_check_or_a_rebuild():
    build_story()
    metrics.period_metrics(start=WEEK[0], end=WEEK[1])
    Order.objects.filter(order_id="S1").delete()
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == Decimal("575.50")
    # An UPDATE that forgets updated_at is invisible to the watermark: rebuild_analytics is the way back.
    Order.objects.filter(order_id="S2").update(amount=Decimal("1.00"), updated_at=timezone.now() - timedelta(days=1))
    store.facts(rebuild=True)
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == Decimal("276.50")


@pytest.mark.django_db
def test_snapshot_file_round_trip(tmp_path, settings):
    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    settings.ANALYTICS_PERSIST_MIN_ROWS = 1
    build_story()
    first = metrics.period_metrics(start=WEEK[0], end=WEEK[1])
    assert list(tmp_path.glob("facts-*.bin"))
    store.clear()  # as a new process would start
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]) == first
    Order.objects.filter(order_id="S1").update(status="refunded", updated_at=timezone.now())
    store.clear()
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == first.platform.gmv - Decimal("200.00")


@pytest.mark.django_db
def test_sqlite_datetime_text_shapes_read_to_the_microsecond():
    """Whatever shape of datetime text a writer leaves in SQLite, the store reads the same instant."""
    build_story()
    order = Order.objects.get(order_id="S0")  # 2026-01-04 23:59:59 +08:00 = 15:59:59 UTC
    from django.db import connection

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
        with connection.cursor() as cursor:
            cursor.execute("UPDATE campaigns_order SET placed_at = %s WHERE id = %s", [shape, order.pk])
        cols = sources.order_columns()
        assert int(cols.ts[cols.id == order.pk][0]) == expected, shape
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_order SET placed_at = %s WHERE id = %s", ["2026-01-04 15:59:59.999999", order.pk]
        )
    cols = sources.order_columns()
    assert int(cols.ts[cols.id == order.pk][0]) == expected + 999_999


@pytest.mark.django_db
def test_an_update_stamped_before_the_watermark_alone_is_still_seen():
    """A refund committed late with an early stamp changes neither the count nor the latest stamp."""
    story = build_story()
    a = story["members"][0]
    Order.objects.create(order_id="X", member=a, group=story["vip"], placed_at=local(2026, 1, 5, 8), amount=1)
    before = metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv  # watermark: X's stamp
    Order.objects.filter(order_id="S2").update(status="refunded", updated_at=timezone.now() - timedelta(minutes=5))
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == before - Decimal("300.00")


@pytest.mark.django_db
def test_tasks_refresh_and_rebuild(tmp_path, settings):
    from analytics.tasks import rebuild_analytics_task, refresh_analytics_task

    settings.ANALYTICS_SNAPSHOT_DIR = tmp_path
    build_story()
    assert refresh_analytics_task.delay().get()["orders"] == 11
    assert list(tmp_path.glob("facts-*.bin"))
    Order.objects.filter(order_id="S1").delete()
    assert rebuild_analytics_task.delay().get()["orders"] == 10


@pytest.mark.django_db
def test_rebuild_command_prints_a_summary_to_stderr():
    from io import StringIO

    from django.core.management import call_command

    build_story()
    out, err = StringIO(), StringIO()
    call_command("rebuild_analytics", stdout=out, stderr=err)
    assert out.getvalue() == ""
    assert "11 orders (9 counting)" in err.getvalue()


@pytest.mark.django_db
def test_the_recent_window_moves_forward_when_nothing_changed():
    """After a bulk import the window holds every imported row; once nothing changes it is shortened."""
    build_story()
    metrics.period_metrics(start=WEEK[0], end=WEEK[1])
    state = store._states[store._db_key("default")]
    old = timezone.now() - timedelta(hours=3)
    state.recent_since, state.token = old, sources.source_token(recent_since=old)
    before = metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv
    assert state.recent_since > old + timedelta(hours=2)
    Order.objects.filter(order_id="S2").update(status="refunded", updated_at=timezone.now())
    assert metrics.period_metrics(start=WEEK[0], end=WEEK[1]).platform.gmv == before - Decimal("300.00")
