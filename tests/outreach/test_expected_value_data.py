"""Expected value on the organisation's own orders: the summary's conventions, the command, the stored
values, the nightly task and the agent's sentence."""

import datetime as dt
import io
import json
from decimal import Decimal

import numpy as np
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from campaigns.models import Order
from core import dates
from members.models import Member
from outreach import summary
from outreach.models import MemberValue
from outreach.priorities import priorities_for, reason_for
from outreach.services.values import refresh_member_values
from outreach.summary import member_summary
from outreach.tasks import refresh_member_values_task
from tests.campaigns.factories import MemberFactory, local

pytestmark = pytest.mark.django_db
END = dt.date(2026, 6, 30)


def order(member, placed_at, amount, status=Order.Status.PAID):
    order.n += 1
    return Order(order_id=f"O{order.n:06d}", member=member, placed_at=placed_at, amount=Decimal(amount), status=status)


order.n = 0


def shop(end: dt.date, members: int = 60, seed: int = 1) -> list[Member]:
    """Members with a spread of histories up to local day `end`: a first purchase some weeks back, then a
    purchase every few days or weeks until they stop; amounts ¥50–¥500."""
    rng = np.random.default_rng(seed)
    people = MemberFactory.create_batch(members)
    rows = []
    for person in people:
        first = end - dt.timedelta(days=int(rng.integers(30, 200)))
        gap = int(rng.integers(3, 40))
        buys = int(rng.integers(1, 10))
        for k in range(buys):
            day = first + dt.timedelta(days=k * gap)
            if day > end:
                break
            rows.append(order(person, dates.local_midnight(day) + dt.timedelta(hours=11), int(rng.integers(50, 500))))
    Order.objects.bulk_create(rows)
    return people


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("expected_value", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_summary_counts_distinct_local_days_of_counting_orders_only():
    a, b = MemberFactory.create_batch(2)
    Order.objects.bulk_create(
        [
            order(a, local(2026, 3, 1, 10), "100.00"),
            order(a, local(2026, 3, 1, 18), "50.10"),  # same local day: one purchase of ¥150.10
            order(a, local(2026, 3, 1, 23, 30), "10.00"),  # 15:30 UTC, still March 1st locally
            order(a, local(2026, 3, 2, 0, 30), "200.00"),  # 16:30 UTC on March 1st, but March 2nd locally
            order(a, local(2026, 4, 20, 9), "999.00", Order.Status.REFUNDED),  # counts nowhere
            order(a, local(2026, 5, 11, 9), "300.00"),
            order(a, local(2026, 6, 30, 23, 59), "40.00"),  # the last minute of the end day: in
            order(a, local(2026, 7, 1, 0, 0), "500.00"),  # the first instant after it: out
            order(b, local(2026, 6, 20, 12), "80.00"),
        ]
    )
    s = member_summary(END)
    assert s.member.tolist() == [a.pk, b.pk]
    # a bought on Mar 1, Mar 2, May 11, Jun 30: 3 repeat days, 121 days from first to last, T = 121.
    assert s.frequency.tolist() == [3, 0]
    assert s.recency.tolist() == [121, 0]
    assert s.T.tolist() == [121, 10]
    # Repeat days' mean spend: (200 + 300 + 40) / 3, in cents; none for b.
    assert s.monetary_cents[0] == pytest.approx(54000 / 3)
    assert s.monetary_cents[1] == 0
    assert s.spend_cents.tolist() == [16010 + 20000 + 30000 + 4000, 8000]
    # Last 90 days up to Jun 30 (Apr 2 – Jun 30): May 11 and Jun 30, the refund not counted.
    assert s.recent_orders.tolist() == [2, 1]
    assert s.recent_cents.tolist() == [34000, 8000]
    assert [s.last_order_day(i) for i in range(2)] == [END, dt.date(2026, 6, 20)]


def test_summary_through_datetimes_on_other_databases_is_the_same(monkeypatch):
    # Databases without an epoch expression read datetimes instead: forced here on SQLite, same summary.
    people = shop(END, members=30)
    Order.objects.filter(member__in=people[:5]).update(status=Order.Status.REFUNDED)
    fast = member_summary(END)
    monkeypatch.setattr(summary, "EPOCH_SQL", {})
    slow = member_summary(END)
    for field in ("member", "frequency", "recency", "T", "spend_cents", "recent_orders", "recent_cents"):
        assert getattr(slow, field).tolist() == getattr(fast, field).tolist(), field
    assert len(fast) == len({p.pk for p in people[5:] if p.orders.exists()})


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
def test_local_days_follow_the_zone_across_its_offset_changes(settings, zone):
    settings.TIME_ZONE = zone
    rng = np.random.default_rng(5)
    start = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp())
    seconds = start + rng.integers(0, 2 * 365 * 86400, 20_000)
    # Around every offset change of those two years, to the second.
    tz = dates.zone()

    def offset(t):
        return dt.datetime.fromtimestamp(t, tz).utcoffset()

    edges = [t for t in range(start, start + 2 * 365 * 86400, 900) if offset(t) != offset(t - 1)]
    seconds = np.concatenate([seconds, *[np.arange(e - 2, e + 2) for e in edges]])
    expected = [dt.datetime.fromtimestamp(int(t), dt.UTC).astimezone(tz).date().toordinal() for t in seconds]
    assert summary.local_days(seconds).tolist() == expected
    if zone in ("America/New_York", "Australia/Lord_Howe"):
        assert edges  # the zone did change offset in the window


def test_command_prints_the_parameters_and_every_buyer_by_expected_value():
    people = shop(END)
    MemberFactory(external_id="NEVER-BOUGHT")
    out, err = run("--calibration-end", END.isoformat(), "--format", "json")
    doc = json.loads(out)
    assert err == ""
    assert doc["params"] == {k: doc[k] for k in ("r", "alpha", "a", "b")}
    assert all(v > 0 for v in doc["params"].values())
    assert set(doc["spend"]) == {"p", "q", "v"}
    assert doc["horizon_days"] == 56
    assert doc["calibration_end"] == "2026-06-30"
    members = doc["members"]
    assert {m["external_id"] for m in members} == {p.external_id for p in people}
    values = [Decimal(m["expected_value"]) for m in members]
    assert values == sorted(values, reverse=True)
    assert all(len(m["expected_value"].split(".")[1]) == 2 for m in members)
    assert all(0 <= m["p_alive"] <= 1 and m["expected_purchases"] >= 0 for m in members)
    once = [p.external_id for p in people if p.orders.count() == 1]
    assert once
    assert all(m["p_alive"] == 1.0 for m in members if m["external_id"] in once)
    # A longer horizon expects more purchases from everyone.
    longer = {m["external_id"]: m for m in json.loads(run("--calibration-end", "2026-06-30", "--horizon-days",
                                                          "112", "--format", "json")[0])["members"]}  # fmt: skip
    assert all(longer[m["external_id"]]["expected_purchases"] > m["expected_purchases"] for m in members)
    # The table for people names the parameters.
    assert "BG/NBD: r=" in run("--calibration-end", "2026-06-30")[0]


def test_command_store_writes_what_it_prints():
    shop(END)
    out, err = run("--calibration-end", "2026-06-30", "--format", "json", "--store")
    doc = json.loads(out)
    assert err.strip() == f"stored {len(doc['members'])} member values"
    stored = {v.member.external_id: v for v in MemberValue.objects.select_related("member")}
    assert len(stored) == len(doc["members"])
    for m in doc["members"]:
        assert stored[m["external_id"]].expected_value == Decimal(m["expected_value"])
        assert stored[m["external_id"]].p_alive == pytest.approx(m["p_alive"], abs=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--calibration-end", "2026-13-01"], "is not a date"),
        (["--calibration-end", "yesterday"], "is not a date"),
        (["--calibration-end", "2026-06-30", "--horizon-days", "0"], "between 1 and 3650"),
        (["--calibration-end", "2026-06-30", "--horizon-days", "-7"], "between 1 and 3650"),
        (["--calibration-end", "2026-06-30", "--horizon-days", "3651"], "between 1 and 3650"),
        (["--calibration-end", "2026-06-30", "--horizon-days", "eight"], "whole number"),
        (["--calibration-end", "2020-01-01"], "no counting orders"),
    ],
)
def test_command_errors_cleanly(args, message):
    shop(END, members=10)
    with pytest.raises(CommandError, match=message):
        run(*args, "--format", "json")


def test_command_without_repeat_buyers_says_so():
    Order.objects.bulk_create([order(p, local(2026, 6, 1, 10), "10.00") for p in MemberFactory.create_batch(3)])
    with pytest.raises(CommandError, match="cannot fit"):
        run("--calibration-end", "2026-06-30", "--format", "json")


def test_nightly_task_replaces_every_value_and_is_idempotent():
    yesterday = dates.local_date(timezone.now()) - dt.timedelta(days=1)
    people = shop(yesterday)
    late = MemberFactory()
    # Today's orders are not in the nightly fit (it takes whole days, up to yesterday).
    Order.objects.create(order_id="TODAY", member=late, placed_at=timezone.now(), amount=Decimal("99.00"))
    first = refresh_member_values_task.apply().get()
    assert first["members"] == len(people)
    assert first["calibration_end"] == yesterday.isoformat()
    rows = {v.member_id: (v.expected_value, v.p_alive) for v in MemberValue.objects.all()}
    assert set(rows) == {p.pk for p in people}
    assert all(v.calibration_end == yesterday for v in MemberValue.objects.all())
    assert refresh_member_values_task.apply().get() == first
    assert {v.member_id: (v.expected_value, v.p_alive) for v in MemberValue.objects.all()} == rows
    # A buyer whose orders were all refunded has no value the next night.
    gone = people[0]
    Order.objects.filter(member=gone).update(status=Order.Status.REFUNDED)
    refresh_member_values()
    assert not MemberValue.objects.filter(member=gone).exists()
    assert MemberValue.objects.count() == len(people) - 1


def test_nightly_task_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["outreach-member-values"]
    assert entry["task"] == refresh_member_values_task.name == "outreach.refresh_member_values"
    assert entry["schedule"].hour == {2}


def test_task_with_nothing_to_fit_keeps_the_stored_values():
    assert refresh_member_values_task.apply().get() == {
        "skipped": "no counting orders before the calibration end: nothing to fit"
    }


def test_reason_reads_right_in_chinese_and_english():
    value = MemberValue(frequency=5, last_order_date=dt.date(2026, 10, 21), recent_gmv=Decimal("3200.00"))
    today = dt.date(2026, 12, 1)
    with translation.override("zh-hans"):
        assert reason_for(value, today=today) == "买过 6 次，最近一次 41 天前，近 90 天 ¥3,200"
    with translation.override("en"):
        assert reason_for(value, today=today) == "bought 6 times, last 41 days ago, ¥3,200 in 90 days"
        once = MemberValue(frequency=0, last_order_date=today, recent_gmv=Decimal("59.50"))
        assert reason_for(once, today=today) == "bought 1 time, last 0 days ago, ¥59.50 in 90 days"


def test_priorities_for_a_call_list_come_from_the_stored_values():
    people = shop(END)
    refresh_member_values(calibration_end=END)
    newcomer = MemberFactory()
    with translation.override("zh-hans"):
        got = priorities_for([p.pk for p in people[:5]] + [newcomer.pk])
    assert set(got) == {p.pk for p in people[:5]}
    for person in people[:5]:
        value = MemberValue.objects.get(member=person)
        assert got[person.pk][0] == value.expected_value
        assert got[person.pk][1].startswith(f"买过 {value.frequency + 1} 次")
