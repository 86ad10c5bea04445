"""analytics owns no source data. Its derived store is columnar (`analytics.store`), rebuilt from the
source tables by `rebuild_analytics`; these are the vocabularies its results speak."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.TextChoices):
    """A member's segment in a group at an instant (docs/metrics.md): a total partition."""

    POTENTIAL = "potential", _("Potential")
    NEW = "new", _("New")
    CORE = "core", _("Core")
    DORMANT = "dormant", _("Dormant")


# Where a member of the group at a week's start can be at its end: a segment, or out of the group.
LEFT = "left"
SEGMENTS = [Segment.POTENTIAL, Segment.NEW, Segment.CORE, Segment.DORMANT]
TRANSITION_TARGETS = [*SEGMENTS, LEFT]


class Grade(models.TextChoices):
    """Group grade from the trailing window; a high-value group is grade A."""

    A = "A", _("A · high value")
    B = "B", _("B")
    C = "C", _("C")
    D = "D", _("D · no sales")


class Access(models.Model):
    """No table: the holder of the analytics app's permissions, which the roles carry (granted to
    operators and managers by `analytics/migrations/0002_grant_roles.py`; admins hold every permission)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", _("Can see the numbers: rankings, group trends, decompositions, rates")),
            ("view_recap", _("Can read the weekly recap")),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
