"""What livecodes does when a lower floor signals (connected in LivecodesConfig.ready)."""

import logging

from .choice import snapshots_drop
from .models import PoolEntry


def on_memberships_changed(sender, *, joined=(), ended=(), **kwargs) -> None:
    """members.signals.memberships_changed (sent after commit): the room of these groups changed, so the
    live codes that pool them decide from the database again; a newcomer who joined may be a referral."""
    try:
        _memberships_changed(joined=list(joined), ended=list(ended))
    except Exception:  # noqa: BLE001 - the memberships are committed; a live code's cache or match must not undo that
        logging.getLogger(__name__).exception("live codes: reacting to memberships changed failed")


def on_groups_changed(sender, *, groups=(), **kwargs) -> None:
    """members.signals.groups_changed (sent after commit): a group closed, made smaller, made legacy or given
    another flash end date must not be shown from a cached pool; the live codes pooling it decide from the
    database again. (Another worker's lease of it lasts at most choice.LEASE_SECONDS.)"""
    try:
        slugs = set(PoolEntry.objects.filter(group_id__in=list(groups)).values_list("live_code__slug", flat=True))
        if slugs:
            snapshots_drop(slugs)
    except Exception:  # noqa: BLE001 - the groups are committed; a live code's cache must not undo that
        logging.getLogger(__name__).exception("live codes: reacting to groups changed failed")


def _memberships_changed(*, joined: list, ended: list) -> None:
    from members.models import Membership

    from .services import referrals_match  # here, not at start-up: it loads the phone parser and Pillow

    ids = joined + ended
    group_ids = Membership.objects.with_ids(ids).values("group_id")
    slugs = set(PoolEntry.objects.filter(group_id__in=group_ids).values_list("live_code__slug", flat=True))
    if slugs:
        snapshots_drop(slugs)
    if joined:
        referrals_match(joined)
