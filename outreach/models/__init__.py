"""Outreach: call lists built from saved selections, the agents' tasks and calls, scripts, and the audit of
every full phone number shown."""

from .audit import PhoneReveal
from .calls import CallAttempt, CallList, CallListAgent, CallListGroup, CallTask, CallTaskQuerySet, Script
from .value import MemberValue

__all__ = [
    "CallAttempt", "CallList", "CallListAgent", "CallListGroup", "CallTask", "CallTaskQuerySet", "MemberValue",
    "PhoneReveal", "Script",
]  # fmt: skip
