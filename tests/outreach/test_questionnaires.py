"""Questionnaires: the editor's text, personal links that expire and work once, answers that tag members."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from outreach.models import Answer, Questionnaire, QuestionnaireLink, Response
from outreach.services import task_claim_next
from outreach.services.questionnaires import link_create, parse_questions, questionnaire_save, questions_as_text
from tests.members.factories import MemberFactory, TagFactory

from .factories import build_list

pytestmark = pytest.mark.django_db

TEXT = """你的门店顾客最常问的皮肤问题？
- 痘痘 [3]
- 色斑 [4]
- 都没有

* 你希望我们帮你做什么？
- 解决痘痘问题 [D]
- 进货更便宜
"""


@pytest.fixture
def codebook():
    return {code: TagFactory(code=code) for code in ("3", "4", "D")}


@pytest.fixture
def questionnaire(codebook):
    return questionnaire_save(questionnaire=Questionnaire(name="皮肤问卷", title="门店小调查"), text=TEXT)


def choice_ids(questionnaire, *texts):
    """{question pk: [choice pks]} for the answers with these texts."""
    picked = {}
    for question in questionnaire.questions.all():
        for choice in question.choices.all():
            if choice.text in texts:
                picked.setdefault(question.pk, []).append(choice.pk)
    return picked


def test_the_editor_text_round_trips_and_its_errors_name_the_line(questionnaire):
    assert [q.multiple for q in questionnaire.questions.all()] == [False, True]
    assert questions_as_text(questionnaire).split() == TEXT.split()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        parse_questions("- 没有问题的答案\n问题一\n- 甲 [ZZ]\n")
    assert error.value.message_dict["questions"] == [
        "line 1: an answer before any question",
        "line 3: no tag with the code “ZZ” in the codebook",
        "question “问题一”: give at least two answers",
    ]


def test_a_member_answers_from_their_link_once_and_is_tagged_with_the_answers_recorded(
    client, questionnaire, codebook, operator
):
    member = MemberFactory()
    link = link_create(questionnaire=questionnaire, member=member, by=operator)
    url = reverse("outreach:public-questionnaire", args=[link.token])
    page = client.get(url)  # no login
    assert page.status_code == 200
    assert "门店小调查" in page.text
    picked = choice_ids(questionnaire, "痘痘", "解决痘痘问题", "进货更便宜")
    data = {f"q{q}": ids for q, ids in picked.items()}
    assert client.post(url, data).status_code == 200
    assert set(member.tags.values_list("code", flat=True)) == {"3", "D"}
    answers = Answer.objects.filter(response__member=member).values_list("choice__text", "tag__code")
    assert sorted(answers, key=str) == sorted([("痘痘", "3"), ("解决痘痘问题", "D"), ("进货更便宜", None)], key=str)

    again = client.post(url, data)
    assert again.status_code == 410
    assert Response.objects.count() == 1
    assert client.get(url).status_code == 410


def test_an_expired_or_unknown_link_says_so_and_records_nothing(client, questionnaire, operator):
    member = MemberFactory()
    link = link_create(questionnaire=questionnaire, member=member, by=operator, now=timezone.now() - timedelta(days=8))
    url = reverse("outreach:public-questionnaire", args=[link.token])
    picked = choice_ids(questionnaire, "色斑", "进货更便宜")
    response = client.post(url, {f"q{q}": ids for q, ids in picked.items()})
    assert response.status_code == 410
    assert "过期" in response.text or "expired" in response.text
    assert not Response.objects.exists()
    assert client.get(reverse("outreach:public-questionnaire", args=["x" * 30])).status_code == 404


def test_unanswered_or_foreign_choices_are_refused_by_question(client, questionnaire, operator):
    link = link_create(questionnaire=questionnaire, member=MemberFactory(), by=operator)
    url = reverse("outreach:public-questionnaire", args=[link.token])
    first, second = questionnaire.questions.all()
    two = [c.pk for c in first.choices.all()][:2]
    response = client.post(url, {f"q{first.pk}": two, f"q{second.pk}": ["999999"]})
    assert response.status_code == 400
    assert not Response.objects.exists()
    link.refresh_from_db()
    assert link.used_at is None  # still usable


def test_the_agent_fills_it_in_during_the_call_only(client, questionnaire, operator, agent):
    MemberFactory(region="四川/成都")
    build_list(by=operator, agents=[agent])
    task = task_claim_next(agent=agent)
    client.force_login(agent)
    url = reverse("outreach:task-questionnaire", args=[task.pk, questionnaire.pk])
    assert client.get(url).status_code == 200
    picked = choice_ids(questionnaire, "色斑", "解决痘痘问题")
    response = client.post(url, {f"q{q}": ids for q, ids in picked.items()})
    assert response.url == reverse("outreach:task", args=[task.pk])
    saved = Response.objects.get()
    assert (saved.via, saved.filled_by, saved.task) == ("call", agent, task)
    assert set(task.member.tags.values_list("code", flat=True)) == {"4", "D"}
    client.post(reverse("outreach:task-questionnaire-link", args=[task.pk, questionnaire.pk]))
    assert QuestionnaireLink.objects.get().member == task.member

    client.force_login(operator)
    assert client.get(url).status_code == 403
