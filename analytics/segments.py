"""The segment provider: the module settings.SEGMENT_PROVIDER names, through which `members` and `campaigns`
read segments without importing analytics (dependencies point analytics → campaigns → members).

A provider offers `SEGMENT_CHOICES`, `segment_member_ids(segment=..., group=None, group_ids=None, at=None)`,
`member_segments(member=..., at=None)` and `segments_of_members(member_ids=..., at=None)`.
"""

from .models import Segment
from .selectors import member_ids_in_segment as segment_member_ids
from .selectors import member_segments, segments_of_members

SEGMENT_CHOICES = Segment.choices

__all__ = ["SEGMENT_CHOICES", "member_segments", "segment_member_ids", "segments_of_members"]
