"""Group grades (the seed: judge a company by its number of high-value groups) and the suggested stage from
the segment mix. Thresholds are organisation settings (communityops/settings.py)."""

from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from members.models import Group

from . import conf
from .groups import group_refs
from .metrics import Metrics, period_metrics
from .models import Grade
from .segments import segments_at, zero_counts


def grade_of(m: Metrics) -> str:
    """A: core GMV and core members at the A thresholds; B: core GMV at the B threshold; C: any GMV; D: none."""
    core_gmv = m.core_gmv
    if core_gmv >= conf.get("GRADE_A_CORE_GMV") and m.core_members >= int(conf.get("GRADE_A_CORE_MEMBERS")):
        return Grade.A
    if core_gmv >= conf.get("GRADE_B_CORE_GMV"):
        return Grade.B
    if m.gmv_cents > 0:
        return Grade.C
    return Grade.D


def group_grades(*, at: datetime | None = None, using: str = "default") -> dict[int, str]:
    """group id -> grade, from the trailing grade window ending at `at` (default now)."""
    at = at or timezone.now()
    pm = period_metrics(start=at - conf.grade_window(), end=at, using=using)
    return {m.group.id: grade_of(m) for m in pm.groups}


def high_value_group_count(*, at: datetime | None = None, using: str = "default") -> int:
    """How many groups are grade A: the number a company is judged by."""
    return sum(1 for g in group_grades(at=at, using=using).values() if g == Grade.A)


def suggest_stage(counts: dict[str, int], capacity: int) -> str:
    """Conversion when potential members are at least half the group; acquisition when the group is under
    60 % of capacity with under 30 % potential; retention otherwise. An empty group is under capacity with
    no potential members, so: acquisition."""
    members = sum(counts.values())
    potential = Decimal(counts.get("potential", 0))
    share = potential / members if members else Decimal(0)
    if members and share >= conf.get("STAGE_CONVERSION_POTENTIAL_SHARE"):
        return Group.Stage.CONVERSION
    if Decimal(members) < conf.get("STAGE_ACQUISITION_CAPACITY_SHARE") * capacity and share < conf.get(
        "STAGE_ACQUISITION_POTENTIAL_SHARE"
    ):
        return Group.Stage.ACQUISITION
    return Group.Stage.RETENTION


def suggested_stages(*, at: datetime | None = None, using: str = "default") -> dict[int, str]:
    """group id -> suggested stage from the segment mix at `at` (default now)."""
    at = at or timezone.now()
    counts = segments_at(at=at, using=using).counts()
    return {ref.id: suggest_stage(counts.get(ref.id, zero_counts()), ref.capacity) for ref in group_refs(using=using)}
