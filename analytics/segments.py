"""The segment provider other apps load by name (settings.COUPON_SEGMENT_PROVIDER), so they never import
analytics: `segment_member_ids(group=..., segment=..., at=...)` -> member ids."""

from datetime import datetime

from .selectors import member_ids_in_segment


def segment_member_ids(*, group, segment: str, at: datetime | None = None) -> list[int]:
    """Ids of the members of `group` in `segment` (potential / new / core / dormant) at `at`."""
    return member_ids_in_segment(group=group, segment=segment, at=at)
