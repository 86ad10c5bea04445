"""Rules and strikes: the template set's limits (2 for banned content, 1 for conduct), edited limits, the removal
reminder made once for the group's owner, and the member removed with the reason once it is done."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from campaigns.models import Reminder
from campaigns.services import reminder_complete
from community.models import Removal, Rule, Violation
from community.services import rule_update, rules_apply_templates, violation_record
from core.roles import Role
from members.models import Membership
from tests.community.factories import group_with_rules, rule
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The services' messages are matched in English here; the pages' Chinese is checked in test_views."""
    with translation.override("en"):
        yield


def removal_reminders(membership):
    return Reminder.objects.filter(key=f"community:removal:ms{membership.pk}")


def test_template_set_gives_banned_content_2_and_conduct_1_and_applying_twice_adds_nothing():
    group, _memberships = group_with_rules()
    limits = {r.template_key: (r.kind, r.strike_limit) for r in Rule.objects.filter(group=group)}
    assert limits == {
        "nickname": ("nickname", None),
        "short_video": ("banned_content", 2), "takeaway_coupon": ("banned_content", 2), "vote": ("banned_content", 2),
        "insult": ("conduct", 1), "politics": ("conduct", 1),
    }  # fmt: skip
    rule_update(rule=rule(group, "vote"), title="发投票", text="不发投票", strike_limit=3)
    assert rules_apply_templates(groups=[group]).created == 0
    assert rule(group, "vote").strike_limit == 3  # an edited limit survives applying the set again


def test_banned_content_takes_two_strikes(operator):
    group, (membership, *_rest) = group_with_rules()
    video = rule(group, "short_video")
    first = violation_record(membership=membership, rule=video, by=operator, note="21:05 发了抖音")
    assert first.number == 1
    assert not removal_reminders(membership).exists()
    second = violation_record(membership=membership, rule=video, by=operator)
    assert second.number == 2
    reminder = removal_reminders(membership).get()
    assert reminder.assignee == group.owner
    assert reminder.group == group
    assert "2 次违规：发短视频" in reminder.title
    membership.refresh_from_db()
    assert membership.strikes == 2
    assert membership.status == "active"  # removed only once the owner did it


def test_strikes_count_per_rule(operator):
    group, (membership, *_rest) = group_with_rules()
    violation_record(membership=membership, rule=rule(group, "short_video"), by=operator)
    violation_record(membership=membership, rule=rule(group, "takeaway_coupon"), by=operator)
    assert not removal_reminders(membership).exists()
    assert Membership.objects.get(pk=membership.pk).strikes == 2


def test_conduct_takes_one_strike(operator):
    group, (membership, *_rest) = group_with_rules()
    violation_record(membership=membership, rule=rule(group, "insult"), by=operator)
    assert "1 次违规：骂人" in removal_reminders(membership).get().title


def test_an_edited_limit_is_respected(operator):
    group, (membership, other, *_rest) = group_with_rules()
    coupon = rule_update(rule=rule(group, "takeaway_coupon"), title="发外卖券", text="不发外卖券", strike_limit=3)
    for _ in range(2):
        violation_record(membership=membership, rule=coupon, by=operator)
    assert not removal_reminders(membership).exists()
    violation_record(membership=membership, rule=coupon, by=operator)
    assert removal_reminders(membership).get().title.endswith("（3 次违规：发外卖券）")
    politics = rule_update(rule=rule(group, "politics"), title="谈政治", text="不谈政治", strike_limit=2)
    violation_record(membership=other, rule=politics, by=operator)
    assert not removal_reminders(other).exists()


def test_limit_out_of_bounds_is_refused():
    group, _memberships = group_with_rules()
    with pytest.raises(ValidationError, match="strike_limit"):
        rule_update(rule=rule(group, "vote"), title="发投票", text="不发投票", strike_limit=0)
    with pytest.raises(ValidationError):
        rule_update(rule=rule(group, "vote"), title="发投票", text="不发投票", strike_limit=None)


def test_the_removal_reminder_is_made_once_whatever_follows(operator):
    group, (membership, *_rest) = group_with_rules()
    video = rule(group, "short_video")
    for _ in range(3):
        violation_record(membership=membership, rule=video, by=operator)
    violation_record(membership=membership, rule=rule(group, "insult"), by=operator)
    assert removal_reminders(membership).count() == 1
    assert Removal.objects.filter(membership=membership).count() == 1
    assert list(Violation.objects.filter(membership=membership, rule=video).values_list("number", flat=True)) == [
        3, 2, 1,
    ]  # fmt: skip


def test_done_removes_the_member_with_the_reason(operator, django_capture_on_commit_callbacks):
    group, (membership, *_rest) = group_with_rules()
    video = rule(group, "short_video")
    violation_record(membership=membership, rule=video, by=operator)
    violation_record(membership=membership, rule=video, by=operator)
    reminder = removal_reminders(membership).get()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_complete(reminder=reminder, by=group.owner, now=timezone.now() + dt.timedelta(seconds=1))
    membership.refresh_from_db()
    assert (membership.status, membership.reason) == ("removed", "2 次违规：发短视频")
    assert membership.left_at == Reminder.objects.get(pk=reminder.pk).done_at
    assert Removal.objects.get(membership=membership).removed_at == membership.left_at


def test_skipped_keeps_the_member(operator, django_capture_on_commit_callbacks):
    group, (membership, *_rest) = group_with_rules()
    violation_record(membership=membership, rule=rule(group, "politics"), by=operator)
    reminder = removal_reminders(membership).get()
    with django_capture_on_commit_callbacks(execute=True):
        reminder_complete(reminder=reminder, by=group.owner, skipped=True, now=timezone.now() + dt.timedelta(seconds=1))
    assert Membership.objects.get(pk=membership.pk).status == "active"


def test_another_operator_cannot_close_the_removal(operator):
    group, (membership, *_rest) = group_with_rules()
    violation_record(membership=membership, rule=rule(group, "insult"), by=operator)
    stranger = make_user("stranger", Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        reminder_complete(reminder=removal_reminders(membership).get(), by=stranger)
    assert Membership.objects.get(pk=membership.pk).status == "active"


def test_no_strike_on_a_member_who_left_or_on_a_nickname_rule(operator):
    group, (membership, other, *_rest) = group_with_rules()
    with pytest.raises(ValidationError, match="nickname"):
        violation_record(membership=membership, rule=rule(group, "nickname"), by=operator)
    Membership.objects.filter(pk=other.pk).update(status="left", left_at=timezone.now())
    with pytest.raises(ValidationError, match="no longer in"):
        violation_record(membership=Membership.objects.get(pk=other.pk), rule=rule(group, "vote"), by=operator)
    assert not Violation.objects.exists()


def test_a_rule_of_another_group_is_refused(operator):
    group, (membership, *_rest) = group_with_rules()
    elsewhere, _memberships = group_with_rules()
    with pytest.raises(ValidationError, match="not a rule of"):
        violation_record(membership=membership, rule=rule(elsewhere, "vote"), by=operator)


def png_bytes(width=20, height=10) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_screenshot_is_kept_named_by_its_real_format(operator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    group, (membership, *_rest) = group_with_rules()
    upload = SimpleUploadedFile("聊天记录.jpg", png_bytes(), content_type="image/jpeg")
    violation = violation_record(membership=membership, rule=rule(group, "vote"), by=operator, screenshot=upload)
    assert violation.screenshot.name.endswith(f"m{membership.pk}.png")
    assert (tmp_path / violation.screenshot.name).read_bytes() == png_bytes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>not an image</html>", "not an image"),
        (png_bytes()[:40], "not an image"),
        (png_bytes(9000, 1), "at most 8000"),
    ],
)
def test_a_bad_screenshot_is_refused_and_nothing_is_written(operator, settings, tmp_path, content, message):
    settings.MEDIA_ROOT = tmp_path
    group, (membership, *_rest) = group_with_rules()
    upload = SimpleUploadedFile("x.png", content, content_type="image/png")
    with pytest.raises(ValidationError, match=message):
        violation_record(membership=membership, rule=rule(group, "vote"), by=operator, screenshot=upload)
    assert not Violation.objects.exists()
    assert Membership.objects.get(pk=membership.pk).strikes == 0
    assert not any(tmp_path.rglob("*.*"))


def test_an_oversized_screenshot_is_refused(operator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    group, (membership, *_rest) = group_with_rules()
    upload = SimpleUploadedFile("big.png", png_bytes() + b"\0" * (5 * 1024 * 1024), content_type="image/png")
    with pytest.raises(ValidationError, match="at most 5 MB"):
        violation_record(membership=membership, rule=rule(group, "vote"), by=operator, screenshot=upload)
    assert not Violation.objects.exists()
