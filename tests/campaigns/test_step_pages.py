"""A team's own playbook, step by step, on the app's pages (issue 15: "adjust the steps in the admin" was a dead
end for operators). Operators add, edit and remove steps of a copy; the shipped playbooks stay as shipped;
managers and agents cannot write; bad input is said beside its field and nothing is written."""

from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.models import Playbook, PlaybookStep
from campaigns.services import playbook_copy
from core.roles import Role
from tests.campaigns.factories import shipped_playbook

GOOD = {
    "position": "5", "anchor": "campaign_start", "offset_days": "-1", "at_time": "20:00", "offset_minutes": "0",
    "repeat_days": "1", "kind": "red_packet", "title": "预热红包", "text": "{campaign_time} 见！",
    "red_packet_amount": "5.00", "red_packet_count": "10", "red_packet_name": "{campaign_time}",
    "assignee_role": "group_owner", "assignee": "", "channel": "inbox",
}  # fmt: skip


@pytest.fixture
def copy(db, operator):
    return playbook_copy(playbook=shipped_playbook("weekly-warm-up"), code="warm-up-cd", name="成都预热", by=operator)


def test_steps_copy_message_points_to_the_page_not_the_admin(client, operator, db):
    client.force_login(operator)
    shipped = shipped_playbook("weekly-warm-up")
    url = reverse("campaigns:playbook-copy", args=[shipped.pk])
    response = client.post(url, {"code": "mine", "name": "我的预热"}, follow=True)
    html = response.content.decode()
    assert "后台" not in html
    assert "在下面调整它的步骤" in html
    assert 'data-testid="step-create"' in html


def test_steps_operator_adds_edits_and_removes_a_step_of_a_copy(client, operator, copy):
    client.force_login(operator)
    before = copy.steps.count()
    response = client.post(reverse("campaigns:step-create", args=[copy.pk]), GOOD)
    assert response.status_code == 302
    step = copy.steps.get(title="预热红包")
    assert step.red_packet_amount == Decimal("5.00")
    assert copy.steps.count() == before + 1
    edit = reverse("campaigns:step-edit", args=[copy.pk, step.pk])
    assert client.post(edit, {**GOOD, "title": "周三预热红包", "at_time": "21:30"}).status_code == 302
    step.refresh_from_db()
    assert step.title == "周三预热红包"
    assert f"{step.at_time:%H:%M}" == "21:30"
    detail = client.get(reverse("campaigns:playbook-detail", args=[copy.pk])).content.decode()
    assert "周三预热红包" in detail
    assert client.post(reverse("campaigns:step-delete", args=[copy.pk, step.pk])).status_code == 302
    assert not PlaybookStep.objects.filter(pk=step.pk).exists()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"red_packet_amount": ""}, "red_packet_amount", "红包"),
        ({"red_packet_amount": "-1"}, "red_packet_amount", "大于或等于0.01"),
        ({"red_packet_count": "0"}, "red_packet_count", "大于或等于1"),
        ({"red_packet_name": ""}, "red_packet_name", "红包"),
        ({"anchor": "daily", "at_time": ""}, "at_time", ""),
        ({"offset_days": "99999"}, "offset_days", "小于或等于366"),
        ({"at_time": "25:00"}, "at_time", "有效的时间"),
        ({"title": ""}, "title", "必填"),
        ({"assignee_role": "user"}, "assignee", ""),
        ({"kind": "countdown", "red_packet_amount": "", "offset_days": "1"}, "offset_days", ""),
    ],
)
def test_steps_bad_input_is_said_beside_the_field(client, operator, copy, change, field, says):
    client.force_login(operator)
    before = copy.steps.count()
    response = client.post(reverse("campaigns:step-create", args=[copy.pk]), {**GOOD, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert says in " ".join(errors[field])
    assert copy.steps.count() == before


def test_steps_of_a_shipped_playbook_stay_as_shipped(client, operator, db):
    shipped = shipped_playbook("weekly-warm-up")
    step = shipped.steps.first()
    client.force_login(operator)
    detail = client.get(reverse("campaigns:playbook-detail", args=[shipped.pk])).content.decode()
    assert 'data-testid="shipped-hint"' in detail
    assert reverse("campaigns:step-edit", args=[shipped.pk, step.pk]) not in detail
    response = client.post(reverse("campaigns:step-edit", args=[shipped.pk, step.pk]), {**GOOD, "title": "改了"})
    assert response.status_code == 409
    assert "保持原样" in response.content.decode()
    assert client.get(reverse("campaigns:step-edit", args=[shipped.pk, step.pk])).status_code == 409
    assert client.get(reverse("campaigns:step-create", args=[shipped.pk])).status_code == 409
    client.post(reverse("campaigns:step-delete", args=[shipped.pk, step.pk]))
    step.refresh_from_db()
    assert step.title != "改了"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT])
def test_steps_cannot_be_written_by_managers_or_agents(client, role_users, copy, role):
    client.force_login(role_users[role])
    step = copy.steps.first()
    assert client.get(reverse("campaigns:step-create", args=[copy.pk])).status_code == 403
    assert client.get(reverse("campaigns:step-edit", args=[copy.pk, step.pk])).status_code == 403
    assert client.post(reverse("campaigns:step-create", args=[copy.pk]), GOOD).status_code == 403
    assert client.post(reverse("campaigns:step-delete", args=[copy.pk, step.pk])).status_code == 403
    assert PlaybookStep.objects.filter(pk=step.pk).exists()
    assert not PlaybookStep.objects.filter(title="预热红包").exists()


def test_steps_of_another_playbook_are_404(client, operator, copy):
    other = Playbook.objects.create(code="other", name="别的")
    client.force_login(operator)
    step = copy.steps.first()
    assert client.get(reverse("campaigns:step-edit", args=[other.pk, step.pk])).status_code == 404
