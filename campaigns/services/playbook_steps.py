"""A team's own playbooks, step by step, on the playbook page. The shipped playbooks stay as shipped (their data
migration keeps them in line with the app): a team copies one and adjusts the copy.

A step changed or removed here changes what later applications schedule (and the daily steps' days not yet
scheduled); reminders already scheduled keep their time and text.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import PlaybookStep
from .playbooks import playbook_step_save


def _check_editable(step: PlaybookStep) -> None:
    if step.playbook.is_shipped:
        raise ValidationError(
            _("This playbook ships with the app and stays as shipped: copy it, then adjust the copy.")
        )


@transaction.atomic
def playbook_step_edit(*, step: PlaybookStep) -> PlaybookStep:
    """Add or change a step of a team's own playbook, after the step's checks (anchor, red packet, placeholders)."""
    _check_editable(step)
    return playbook_step_save(step)


@transaction.atomic
def playbook_step_delete(*, step: PlaybookStep) -> None:
    """Remove a step of a team's own playbook; the reminders it already scheduled stay."""
    _check_editable(step)
    step.delete()
