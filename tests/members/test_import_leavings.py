"""The members import records leavings: `status` left / removed (退群 / 移出), `left_at`, `reason`. Bad rows are
named by line and column and nothing is written; the churn rate the analytics compute from the imported
leavings equals a naive count made from the files themselves."""

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from analytics import rates, store
from core.dates import local_midnight, week_bounds
from imports.jobs import import_file
from members.models import Member, Membership
from members.signals import memberships_changed
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def csv_bytes(header, rows) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode("utf-8"))


def import_members(header, rows, **options):
    with translation.override("en"):
        return import_file(kind="members", source=csv_bytes(header, rows), **options)


@pytest.fixture
def changes():
    sent = []

    def receiver(sender, joined, ended, **kwargs):
        sent.append((sorted(joined), sorted(ended)))

    memberships_changed.connect(receiver)
    yield sent
    memberships_changed.disconnect(receiver)


def test_leaving_rows_end_open_memberships_add_history_and_announce_once(django_capture_on_commit_callbacks, changes):
    g1, g2 = GroupFactory(code="G1"), GroupFactory(code="G2")
    staying = MembershipFactory(member=MemberFactory(external_id="A"), group=g1,
                                joined_at=datetime(2026, 9, 1, tzinfo=UTC))  # fmt: skip
    leaving = MembershipFactory(member=MemberFactory(external_id="B"), group=g1,
                                joined_at=datetime(2026, 9, 1, tzinfo=UTC))  # fmt: skip
    other_group = MembershipFactory(member=leaving.member, group=g2, joined_at=datetime(2026, 9, 2, tzinfo=UTC))
    header = ["external_id", "group", "joined_at", "status", "left_at", "reason"]
    rows = [
        ["A", "G1", "", "active", "", ""],
        ["B", "G1", "", "退群", "2026-11-18 09:30", "搬家了"],
        ["C", "G1", "2026-10-01", "removed", "2026-11-19", "发广告两次"],  # new member, leaving in the history
        ["D", "G2", "", "", "", ""],  # a new member joining
    ]
    with django_capture_on_commit_callbacks(execute=True):
        report = import_members(header, rows)
    assert report.invalid == 0, report.errors
    assert report.written
    staying.refresh_from_db()
    leaving.refresh_from_db()
    other_group.refresh_from_db()
    assert staying.status == Membership.Status.ACTIVE
    assert staying.left_at is None
    assert (leaving.status, leaving.reason) == (Membership.Status.LEFT, "搬家了")
    assert leaving.left_at == datetime(2026, 11, 18, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    assert leaving.joined_at == datetime(2026, 9, 1, tzinfo=UTC)  # kept
    assert other_group.is_open  # a leaving is from the row's group only
    history = Membership.objects.get(member__external_id="C")
    assert (history.status, history.reason, history.group_id) == (Membership.Status.REMOVED, "发广告两次", g1.pk)
    assert history.joined_at == local_midnight(date(2026, 10, 1))
    assert history.left_at == local_midnight(date(2026, 11, 19))
    joined_d = Membership.objects.get(member__external_id="D")
    assert changes == [([joined_d.pk], sorted([leaving.pk, history.pk]))]

    # The same file again: nothing to change, no second history row, nothing announced.
    with django_capture_on_commit_callbacks(execute=True):
        again = import_members(header, rows)
    assert (again.created, again.updated, again.invalid) == (0, 0, 0)
    assert Membership.objects.filter(member__external_id="C").count() == 1
    assert len(changes) == 1

    # A corrected reason (and removed instead of left) amends the stored leaving instead of adding one.
    rows[2] = ["C", "G1", "2026-10-01", "移出", "2026-11-19", "辱骂群友"]
    import_members(header, rows)
    history.refresh_from_db()
    assert (history.status, history.reason) == (Membership.Status.REMOVED, "辱骂群友")
    assert Membership.objects.filter(member__external_id="C").count() == 1


def test_bad_leaving_rows_are_named_by_line_and_nothing_is_written():
    g1 = GroupFactory(code="G1")
    joined = MembershipFactory(member=MemberFactory(external_id="OLD"), group=g1,
                               joined_at=datetime(2026, 11, 10, tzinfo=UTC))  # fmt: skip
    fine = MembershipFactory(member=MemberFactory(external_id="FINE"), group=g1,
                             joined_at=datetime(2026, 9, 1, tzinfo=UTC))  # fmt: skip
    header = ["external_id", "name", "group", "joined_at", "status", "left_at", "reason"]
    rows = [
        ["FINE", "改名", "G1", "", "left", "2026-11-20", "ok"],  # line 2: valid, but must not be written
        ["N1", "", "G1", "", "left", "", ""],  # 3: no left_at
        ["N2", "", "G1", "", "active", "2026-11-20", ""],  # 4: left_at on an active row
        ["N3", "", "", "", "removed", "2026-11-20", ""],  # 5: no group
        ["N4", "", "G1", "2026-11-21", "left", "2026-11-20", ""],  # 6: left before joined (in the file)
        ["OLD", "", "G1", "", "left", "2026-11-01", ""],  # 7: left before the stored join
        ["N5", "", "G1", "", "gone", "2026-11-20", ""],  # 8: unknown status
        ["N6", "", "G1", "", "", "", "why"],  # 9: a reason without a leaving
        ["N7", "", "G1", "", "left", "2099-01-01", ""],  # 10: in the future
        ["N8", "", "G1", "", "left", "2026-11-31", ""],  # 11: not a date
    ]
    before = list(Membership.objects.order_by("pk").values_list("pk", "status", "left_at", "reason"))
    report = import_members(header, rows)
    assert not report.written
    with translation.override("en"):
        messages = [str(e) for e in report.errors]
    assert messages == [
        "line 3, column left_at: a value is required when status is left or removed",
        "line 4, column left_at: left_at is only for status left or removed",
        "line 5, column group: a member who left or was removed needs the group they left",
        "line 6, column left_at: left_at is before joined_at",
        "line 7, column left_at: the member joined this group on 2026-11-10: they cannot have left before",
        "line 8, column status: “gone” is not a status: active, left or removed (在群, 退群, 移出)",
        "line 9, column reason: a reason is only for status left or removed",
        "line 10, column left_at: left_at is in the future",
        "line 11, column left_at: “2026-11-31” is not a date or time: use ISO 8601, e.g. 2026-03-05 or "
        "2026-03-05 14:30:00",
    ]
    assert report.invalid == 9
    assert list(Membership.objects.order_by("pk").values_list("pk", "status", "left_at", "reason")) == before
    assert Member.objects.get(external_id="FINE").name != "改名"
    assert not Member.objects.filter(external_id__startswith="N").exists()
    assert joined.pk
    assert fine.pk

    # Skipping the invalid rows writes the valid one only.
    report = import_members(header, rows, skip_invalid=True)
    assert report.written
    assert report.invalid == 9
    fine.refresh_from_db()
    assert fine.status == Membership.Status.LEFT
    assert fine.reason == "ok"
    assert Membership.objects.get(pk=joined.pk).is_open


MONDAY = date(2026, 11, 16)


def test_churn_rate_from_imported_leavings_matches_the_files(django_capture_on_commit_callbacks):
    """Two files as a team sends them: the roster (joins), then the week's leavings and removals. The churn
    rate (potential, new or core -> dormant or left, over the cohort at the week's start; nobody here has
    ordered, so everyone is potential) is counted again, naively, from the files."""
    rng = random.Random(13)
    start, end = week_bounds(MONDAY)
    groups = ["G1", "G2", "G3"]
    for code in groups:
        GroupFactory(code=code)
    roster, leavings = [], []
    for n in range(300):
        group = rng.choice(groups)
        joined = start - timedelta(days=rng.randint(-6, 60), hours=rng.randint(0, 23))
        roster.append([f"M{n:04d}", group, joined.astimezone(UTC).isoformat()])
        if rng.random() < 0.35:
            left = joined + timedelta(days=rng.randint(0, 20), hours=rng.randint(1, 23))
            if left < datetime(2026, 11, 30, tzinfo=UTC):
                status = rng.choice(["left", "removed", "退群", "移出"])
                leavings.append([f"M{n:04d}", group, status, left.astimezone(UTC).isoformat(), "原因"])
    store.clear()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert import_members(["external_id", "group", "joined_at"], roster).written
        with django_capture_on_commit_callbacks(execute=True):
            report = import_members(["external_id", "group", "status", "left_at", "reason"], leavings)
        assert report.written, report.errors
        got = {wt.group.code: wt.churn_rate for wt in rates.week_transitions(monday=MONDAY)}
    finally:
        store.clear()

    left_at = {row[0]: datetime.fromisoformat(row[3]) for row in leavings}
    expected = {}
    for code in groups:
        cohort = [r[0] for r in roster if r[1] == code and datetime.fromisoformat(r[2]) <= start
                  and (r[0] not in left_at or left_at[r[0]] > start)]  # fmt: skip
        churned = [m for m in cohort if m in left_at and left_at[m] <= end]
        expected[code] = Decimal(len(churned)) / Decimal(len(cohort)) if cohort else None
    assert got == expected
    assert any(value and value > 0 for value in expected.values())
    assert Membership.objects.filter(status__in=["left", "removed"]).count() == len(leavings)
