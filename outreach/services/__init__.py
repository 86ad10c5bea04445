"""The writes of outreach, each one transaction: building and running call lists, claiming tasks, recording
calls."""

from .calls import call_record, task_mark_joined
from .claims import task_claim, task_claim_next
from .lists import CallListSpec, call_list_build, call_list_close, call_list_reassign

__all__ = [
    "CallListSpec", "call_list_build", "call_list_close", "call_list_reassign", "call_record", "task_claim",
    "task_claim_next", "task_mark_joined",
]  # fmt: skip
