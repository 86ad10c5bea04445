"""The owner's reminders: an image about to expire, once per image; a pool running out, once per run-out;
a copy to the WeCom robot when one is set."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Reminder, WebhookRobot
from livecodes import services
from livecodes.models import QRImage
from livecodes.tasks import watch_task
from livecodes.watch import images_expiry_watch, pools_runout_watch
from members.models import Group

from .helpers import fill, live_code_with, set_expiry, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_redis(settings):
    settings.LIVECODE_REDIS_URL = ""
    settings.LIVECODE_RUNOUT_PLACES = 20
    settings.WECOM_ROBOT_WEBHOOK_URL = ""


def test_an_image_expiring_within_24_hours_reminds_its_owner_once(operator):
    live_code = live_code_with(operator, [("A", 500, 0), ("B", 500, 0)])
    now = timezone.now()
    set_expiry(QRImage.objects.filter(entry__group__code="A"), now + dt.timedelta(hours=23))
    assert images_expiry_watch(now=now)[0].assignee == operator
    assert images_expiry_watch(now=now) == []
    watch_task.delay()  # the beat task, again: nothing new
    reminders = Reminder.objects.filter(key__startswith="livecode-expiry:")
    assert reminders.count() == 1
    reminder = reminders.get()
    assert reminder.group == Group.objects.get(code="A")
    assert reminder.channel == Reminder.Channel.INBOX
    assert reminder.due_at <= timezone.now()
    assert "A群" in reminder.title
    assert live_code.owner == reminder.assignee


def test_an_image_replaced_by_a_newer_one_reminds_nobody(operator):
    live_code = live_code_with(operator, [("A", 500, 0)])
    now = timezone.now()
    set_expiry(QRImage.objects.all(), now + dt.timedelta(hours=2))
    services.image_upload(entry=live_code.entries.get(), upload=upload())
    assert images_expiry_watch(now=now) == []


def test_the_webhook_channel_gets_a_copy_when_a_robot_is_set(operator):
    live_code_with(operator, [("A", 500, 0)])
    WebhookRobot.objects.create(name="运营群机器人", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x")
    now = timezone.now()
    set_expiry(QRImage.objects.all(), now + dt.timedelta(hours=1))
    images_expiry_watch(now=now)
    assert sorted(Reminder.objects.values_list("channel", flat=True)) == ["inbox", "webhook"]


def test_a_pool_running_out_reminds_once_per_run_out(operator):
    live_code = live_code_with(operator, [("A", 500, 150), ("B", 500, 150)])  # 100 places
    a = Group.objects.get(code="A")
    assert pools_runout_watch() == []
    fill(a, 45)
    fill(Group.objects.get(code="B"), 40)  # 15 places left
    assert len(pools_runout_watch()) == 1
    assert pools_runout_watch() == []
    # Room again (a new group), then running out again: a second reminder.
    entry = services.pool_add(live_code=live_code, group=Group.objects.create(code="C", name="C群"))
    services.image_upload(entry=entry, upload=upload())
    assert pools_runout_watch() == []
    fill(Group.objects.get(code="C"), 195)
    assert len(pools_runout_watch()) == 1
    assert Reminder.objects.filter(key__startswith="livecode-runout:").count() == 2


def test_expired_images_count_as_no_room(operator):
    live_code_with(operator, [("A", 500, 0)])
    set_expiry(QRImage.objects.all(), timezone.now() - dt.timedelta(minutes=1))
    assert len(pools_runout_watch()) == 1
