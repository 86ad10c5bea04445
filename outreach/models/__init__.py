"""Outreach: call lists built from saved selections, the agents' tasks and calls, scripts, and the audit of
every full phone number shown."""

from .audit import PhoneReveal
from .calls import CallAttempt, CallList, CallListAgent, CallListGroup, CallTask, CallTaskQuerySet, Script
from .questionnaires import Answer, Choice, Question, Questionnaire, QuestionnaireLink, Response
from .value import MemberValue

__all__ = [
    "Answer", "CallAttempt", "CallList", "CallListAgent", "CallListGroup", "CallTask", "CallTaskQuerySet", "Choice",
    "MemberValue", "PhoneReveal", "Question", "Questionnaire", "QuestionnaireLink", "Response", "Script",
]  # fmt: skip
