"""Every service against the naive reference (tests/analytics/reference.py) on generated worlds."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import decomposition, grades, metrics, rates, segments, store
from core.dates import week_bounds

from . import reference as ref
from .worlds import MONDAY, build, instants, worlds

examples = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@contextmanager
def world_in_db(world):
    """Write a generated world, yield, and roll it back so the next example starts empty."""
    with transaction.atomic():
        store.clear()
        build(world)
        yield ref.Source()
        transaction.set_rollback(True)
    store.clear()


def as_dict(m: metrics.Metrics) -> dict:
    return {
        "gmv": m.gmv,
        "orders": m.orders,
        "buyers": m.buyers,
        "core_members": m.core_members,
        "core_orders": m.core_orders,
        "core_gmv": m.core_gmv,
        "other_gmv": m.other_gmv,
    }


def assert_metrics_match(pm: metrics.PeriodMetrics, expected: dict):
    for m in pm.groups:
        want = expected[m.group.code]
        assert as_dict(m) == {k: want[k] for k in as_dict(m)}, m.group.code
        assert m.repurchases == want["repurchases"]
        assert m.aov == want["aov"]
    assert as_dict(pm.platform) == {k: expected["platform"][k] for k in as_dict(pm.platform)}


day_offsets = st.integers(min_value=-42, max_value=14)


@pytest.mark.django_db
@examples
@given(world=worlds, a=day_offsets, b=day_offsets)
def test_period_metrics_match_the_reference(world, a, b):
    start, end = MONDAY + timedelta(days=min(a, b)), MONDAY + timedelta(days=max(a, b) + 1)
    with world_in_db(world) as src:
        for s, e in [(start, end), week_bounds(MONDAY.date())]:
            assert_metrics_match(metrics.period_metrics(start=s, end=e), ref.metrics(src, s, e))


@pytest.mark.django_db
@examples
@given(world=worlds, at=instants)
def test_segments_match_the_reference(world, at):
    with world_in_db(world) as src:
        for t in (at, MONDAY, MONDAY + timedelta(days=7)):
            snapshot = segments.segments_at(at=t)
            expected = ref.segments(src, t)
            for code, group in ((g.code, g) for g in src.groups):
                assert snapshot.of_group(group.id) == expected[code], (code, t)


@pytest.mark.django_db
@examples
@given(world=worlds)
def test_week_transitions_and_rates_match_the_reference(world):
    with world_in_db(world) as src:
        t0, t1 = week_bounds(MONDAY.date())
        expected = ref.transitions(src, t0, t1)
        for wt in rates.week_transitions(monday=MONDAY.date()):
            want = expected[wt.group.code]
            assert wt.start_counts == want["start"]
            assert wt.end_counts == want["end"]
            assert wt.transitions == want["transitions"]
            for name, value in wt.rates().items():
                assert value == want[name], name


@pytest.mark.django_db
@examples
@given(world=worlds, shift=st.integers(min_value=1, max_value=5))
def test_decomposition_sums_exactly_and_matches_lmdi(world, shift):
    with world_in_db(world) as src:
        after = week_bounds(MONDAY.date())
        before = (after[0] - timedelta(days=7 * shift), after[1] - timedelta(days=7 * shift))
        comparison = decomposition.compare_periods(before=before, after=after)
        m0, m1 = ref.metrics(src, *before), ref.metrics(src, *after)
        for d in [*comparison.groups, comparison.platform]:
            key = "platform" if d.before.group is None else d.before.group.code
            total = d.core_members_effect + d.repurchases_effect + d.aov_effect + d.other_effect
            assert total == m1[key]["gmv"] - m0[key]["gmv"]
            assert d.other_effect == m1[key]["other_gmv"] - m0[key]["other_gmv"]
            effects = ref.lmdi(m0[key], m1[key])
            if effects is None:
                assert d.core_members_effect == m1[key]["core_gmv"] - m0[key]["core_gmv"]
                assert d.repurchases_effect == d.aov_effect == 0
            else:
                got = (d.core_members_effect, d.repurchases_effect, d.aov_effect)
                for g, e in zip(got, effects, strict=True):
                    # Each effect is the LMDI term rounded to the cent; the residue (at most a few cents)
                    # goes to the largest term.
                    assert abs(g - Decimal(e)) <= Decimal("0.03")


@pytest.mark.django_db
@examples
@given(world=worlds, at=instants)
def test_grades_and_stages_match_the_reference(world, at):
    with world_in_db(world) as src, override_thresholds():
        expected = ref.metrics(src, at - timedelta(days=28), at)
        graded = grades.group_grades(at=at)
        stages = grades.suggested_stages(at=at)
        segs = ref.segments(src, at)
        for g in src.groups:
            assert graded[g.id] == ref.grade(expected[g.code], a_gmv=Decimal(300), a_members=2, b_gmv=Decimal(100))
            members = segs[g.code]
            potential = sum(1 for s in members.values() if s == "potential")
            n = len(members)
            if n and potential / n >= 0.5:
                want = "conversion"
            elif n < 0.6 * g.capacity and (potential / n if n else 0) < 0.3:
                want = "acquisition"
            else:
                want = "retention"
            assert stages[g.id] == want
        assert grades.high_value_group_count(at=at) == sum(1 for v in graded.values() if v == "A")


@contextmanager
def override_thresholds():
    from django.test import override_settings

    # Small thresholds so generated worlds reach every grade.
    with override_settings(GRADE_A_CORE_GMV=Decimal(300), GRADE_A_CORE_MEMBERS=2, GRADE_B_CORE_GMV=Decimal(100)):
        yield
