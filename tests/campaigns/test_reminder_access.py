"""Issue 11, item 7: who may close (mark done or skip) a reminder. Its assignee, an operator who owns its group,
or a manager or admin; and nobody while it is still to come (it has not been sent). The page and the API
follow the same rule (`ReminderQuerySet.closable_by`): 403 for everyone else, in JSON on the API."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from tests.conftest import PASSWORD, Client, make_user

from .factories import GroupFactory, ReminderFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def other_operator(db):
    return make_user("erin", Role.OPERATOR)


@pytest.fixture
def alices_reminder(operator):
    """Due a minute ago and delivered, in Alice's group, assigned to Alice."""
    group = GroupFactory(owner=operator, name="阿丽斯的群")
    return ReminderFactory(
        group=group, assignee=operator, status="sent", due_at=timezone.now() - dt.timedelta(minutes=1)
    )


def close_on_page(user, reminder, action="done"):
    return client_for(user).post(reverse("campaigns:reminder-complete", args=[reminder.pk]), {"action": action})


def close_on_api(user, reminder, action="done"):
    return client_for(user).post(f"/api/v1/reminders/{reminder.pk}/complete/", {"action": action})


@pytest.mark.parametrize("action", ["done", "skip"])
def test_another_operator_cannot_close_a_reminder_on_the_page(other_operator, alices_reminder, action):
    assert close_on_page(other_operator, alices_reminder, action).status_code == 403
    alices_reminder.refresh_from_db()
    assert (alices_reminder.status, alices_reminder.done_by) == ("sent", None)


@pytest.mark.parametrize("action", ["done", "skip"])
def test_another_operator_cannot_close_a_reminder_through_the_api(other_operator, alices_reminder, action):
    response = close_on_api(other_operator, alices_reminder, action)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
    alices_reminder.refresh_from_db()
    assert (alices_reminder.status, alices_reminder.done_by) == ("sent", None)


def test_the_groups_owner_closes_a_reminder_assigned_to_someone_else(operator, other_operator):
    group = GroupFactory(owner=operator)
    reminder = ReminderFactory(group=group, assignee=other_operator, status="sent",
                               due_at=timezone.now() - dt.timedelta(minutes=1))  # fmt: skip
    assert close_on_page(operator, reminder).status_code == 302
    reminder.refresh_from_db()
    assert (reminder.status, reminder.done_by) == ("done", operator)


@pytest.mark.parametrize("role", ["manager", "admin_user"])
def test_managers_and_admins_close_anyones_due_reminder(alices_reminder, role, request):
    user = request.getfixturevalue(role)
    response = close_on_api(user, alices_reminder, "skip")
    assert response.status_code == 200
    assert response.json()["status"] == "skipped"
    alices_reminder.refresh_from_db()
    assert alices_reminder.done_by == user


def test_agents_cannot_close_reminders(agent, alices_reminder):
    assert close_on_page(agent, alices_reminder).status_code == 403
    assert close_on_api(agent, alices_reminder).status_code == 403
    alices_reminder.refresh_from_db()
    assert alices_reminder.status == "sent"


@pytest.mark.parametrize("role", ["operator", "manager"])
def test_a_reminder_still_to_come_cannot_be_closed_by_anyone(operator, role, request):
    """Closing a pending reminder before it is due would keep it from ever being sent."""
    user = request.getfixturevalue(role)
    due = timezone.now() + dt.timedelta(hours=2)
    reminder = ReminderFactory(group=GroupFactory(owner=operator), assignee=operator, status="pending", due_at=due)
    assert close_on_page(user, reminder).status_code == 403
    response = close_on_api(user, reminder, "skip")
    assert response.status_code == 403
    assert "not due" in response.json()["detail"] or "尚未到期" in response.json()["detail"]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.next_attempt_at, reminder.done_at) == ("pending", due, None)


def test_closing_twice_is_still_a_409_for_the_assignee(operator, alices_reminder):
    assert close_on_api(operator, alices_reminder).status_code == 200
    assert close_on_api(operator, alices_reminder).status_code == 409


def test_the_inbox_offers_buttons_only_on_reminders_the_user_may_close(operator, other_operator):
    now = timezone.now()
    mine = ReminderFactory(group=GroupFactory(owner=other_operator), assignee=other_operator, status="sent",
                           due_at=now - dt.timedelta(minutes=3), title="我的提醒")  # fmt: skip
    # Nobody's reminder in Alice's group: the inbox shows it to everyone, only Alice (the owner) may close it.
    nobodys = ReminderFactory(group=GroupFactory(owner=operator), assignee=None, status="failed",
                              due_at=now - dt.timedelta(minutes=2), title="无人提醒")  # fmt: skip
    html = client_for(other_operator).get(reverse("campaigns:reminder-inbox")).content.decode()
    assert "我的提醒" in html
    assert "无人提醒" in html
    mine_row = html[html.index(f'id="reminder-{mine.pk}"') : html.index(f'id="reminder-{nobodys.pk}"')]
    nobodys_row = html[html.index(f'id="reminder-{nobodys.pk}"') :]
    assert 'data-testid="done"' in mine_row
    assert 'data-testid="done"' not in nobodys_row
    assert close_on_page(other_operator, nobodys).status_code == 403
    html = client_for(operator).get(reverse("campaigns:reminder-inbox")).content.decode()
    assert 'data-testid="done"' in html[html.index(f'id="reminder-{nobodys.pk}"') :]
    assert close_on_page(operator, nobodys).status_code == 302
