"""Kept recaps: a complete period's recap is computed once and kept (`analytics.models.Recap`), so it reads the
same after late imports; `recap_regenerate` recomputes it and says which headline numbers changed. A period
still running is computed afresh on every read and not kept. The retrospective is kept apart
(`RecapNote`), so regenerating never loses it."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import Recap, RecapNote
from .data import build_recap
from .periods import RecapPeriod


@dataclass(frozen=True)
class RecapRead:
    document: dict
    kept: Recap | None  # None: computed afresh (the period is still running)


def recap_get(period: RecapPeriod, *, by=None, now: datetime | None = None) -> RecapRead:
    """The kept recap of a complete period (computed and kept on first read), or a fresh one of a running period."""
    now = now or timezone.now()
    if not period.is_complete(now):
        return RecapRead(build_recap(period, now=now), None)
    kept = Recap.objects.filter(period=period.key).first()
    if kept is None:
        document = build_recap(period, now=now)
        with transaction.atomic():
            kept, _created = Recap.objects.get_or_create(
                period=period.key, defaults={"document": document, "generated_at": now, "generated_by": by}
            )
    return RecapRead(kept.document, kept)


def headline(document: dict) -> dict[str, object]:
    """The numbers a manager compares between two versions of a recap, by key."""
    out: dict[str, object] = {
        "target": document["targets"]["total"]["target"],
        "campaign_gmv": document["targets"]["total"]["gmv"],
        "attainment": document["targets"]["total"]["attainment"],
    }
    platform = document["groups"]["platform"]
    for key in ("gmv", "orders", "buyers", "core_members", "repurchases", "aov", "delta"):
        out[f"platform.{key}"] = platform[key]
    for grade, n in document["groups"]["grade_counts"].items():
        out[f"grade.{grade}"] = n
    for row in document["systems"]:
        out[f"system.{row['key']}"] = row["value"]
    rates = document["rates"]["platform"] or {}
    for key in ("new_add_rate", "conversion_rate", "churn_rate", "reactivation_rate"):
        out[f"rate.{key}"] = rates.get(key)
    problems = document["problems"]
    out["problems.reminders_late"] = sum(r["late"] for r in problems["reminders"])
    out["problems.reminders_missed"] = sum(r["missed"] for r in problems["reminders"])
    out["problems.sold_out"] = len(problems["sold_out"])
    out["problems.rising_churn"] = len(problems["rising_churn"])
    return out


@dataclass(frozen=True)
class Change:
    key: str
    before: object
    after: object


def headline_changes(before: dict, after: dict) -> list[Change]:
    old, new = headline(before), headline(after)
    return [Change(key, old.get(key), new.get(key)) for key in new if old.get(key) != new.get(key)]


def recap_regenerate(period: RecapPeriod, *, by=None, now: datetime | None = None) -> tuple[Recap, list[Change]]:
    """Recompute the period's recap from today's data, keep it, and return what changed in its headline."""
    now = now or timezone.now()
    document = build_recap(period, now=now)
    with transaction.atomic():
        kept = Recap.objects.select_for_update().filter(period=period.key).first()
        changes = headline_changes(kept.document, document) if kept else []
        kept, _created = Recap.objects.update_or_create(
            period=period.key, defaults={"document": document, "generated_at": now, "generated_by": by}
        )
    return kept, changes


def note_get(period: RecapPeriod) -> RecapNote | None:
    return RecapNote.objects.filter(period=period.key).select_related("updated_by").first()


def note_save(period: RecapPeriod, *, text: str, by) -> RecapNote:
    note, _created = RecapNote.objects.update_or_create(
        period=period.key, defaults={"text": text.strip(), "updated_by": by}
    )
    return note
