"""What livecodes does when a lower floor signals (connected in LivecodesConfig.ready)."""

from .choice import snapshots_drop
from .models import PoolEntry
from .services import referrals_match


def on_memberships_changed(sender, *, joined=(), ended=(), **kwargs) -> None:
    """members.signals.memberships_changed (sent after commit): the room of these groups changed, so the
    live codes that pool them decide from the database again; a newcomer who joined may be a referral."""
    from members.models import Membership

    ids = list(joined) + list(ended)
    group_ids = Membership.objects.filter(pk__in=ids).values("group_id")
    slugs = set(PoolEntry.objects.filter(group_id__in=group_ids).values_list("live_code__slug", flat=True))
    if slugs:
        snapshots_drop(slugs)
    if joined:
        referrals_match(joined)
