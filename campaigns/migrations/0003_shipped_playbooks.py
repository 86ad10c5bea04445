"""The playbooks the seed write-ups describe, shipped with the app. Rerunnable: matched by code, steps reset.

Only shipped playbooks (is_shipped) are touched; a team's copies and edits are theirs.
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

RP = Decimal("0.50")


def step(anchor, kind, title, text="", *, days=0, at=None, minutes=0, repeat=1, amount=None, count=None, name=""):
    return {
        "anchor": anchor, "kind": kind, "title": title, "text": text, "offset_days": days,
        "at_time": dt.time(*at) if at else None, "offset_minutes": minutes, "repeat_days": repeat,
        "red_packet_amount": amount, "red_packet_count": count, "red_packet_name": name,
    }


START, END, GROUP, DAILY = "campaign_start", "campaign_end", "group_created", "daily"

PLAYBOOKS = {
    "weekly-warm-up": {
        "name": "每周活动预热（周三预告，周四活动）",
        "description": "活动前一天预告和多轮小红包，红包以活动时间命名；活动当天定时群公告和倒计时。",
        "steps": [
            step(START, "teaser", "预告：{campaign_name}", "明天{campaign_time}开抢！先看部分商品：\n{items}\n活动链接：{link}", days=-1, at=(12, 0)),
            step(START, "announcement", "群公告：{campaign_time}活动", "【群公告】{start} 至 {end}，{campaign_name}。全网最低价，只在本群。\n{link}", days=-1, at=(15, 0)),
            step(START, "red_packet", "发红包 ¥{amount} × {count}「{campaign_time}」", "红包名称写活动时间，提醒大家明天准时来。", days=-1, at=(10, 0), amount=RP, count=10, name="{campaign_time}"),
            step(START, "red_packet", "发红包 ¥{amount} × {count}「{campaign_time}」", "", days=-1, at=(16, 0), amount=RP, count=10, name="{campaign_time}"),
            step(START, "red_packet", "发红包 ¥{amount} × {count}「{campaign_time}」", "晚上人最多，再发一轮。", days=-1, at=(20, 0), amount=RP, count=10, name="{campaign_time}"),
            step(START, "announcement", "群公告：今天{campaign_time}开始", "【群公告】今天 {start} 开始，{end} 结束。\n{items}\n{link}", days=0, at=(8, 30)),
            step(START, "countdown", "倒计时：还有{minutes_left}分钟", "还有{minutes_left}分钟开抢！{link}", minutes=-60),
            step(START, "countdown", "倒计时：还有{minutes_left}分钟", "还有{minutes_left}分钟！准备好：{link}", minutes=-10),
            step(START, "announcement", "开抢了", "{campaign_name} 开始啦！{link}", minutes=0),
            step(END, "countdown", "倒计时：离结束还有1小时", "离活动结束还有1小时，没下单的抓紧：{link}", minutes=-60),
        ],
    },
    "daily-group-sop": {
        "name": "日常群 SOP",
        "description": "新客户进入的日常群：每天早安、午间内容、晚间欢迎新人并整理标签。",
        "steps": [
            step(DAILY, "announcement", "早安问候", "早上好！今天也为大家准备了实用内容，有问题随时在群里问。", at=(8, 30), repeat=7),
            step(DAILY, "custom", "午间分享一条专业内容", "分享一条用药/经营小知识，不发广告。", at=(12, 0), repeat=7),
            step(DAILY, "welcome", "欢迎今天的新朋友", "欢迎今天进群的新朋友！请把群昵称改成“地区+店名”，群规见群公告。", at=(20, 0), repeat=7),
            step(DAILY, "custom", "整理今天新客户的标签", "按密码本给今天聊过的新客户打标签，没买的客户转入标签群。", at=(21, 0), repeat=7),
        ],
    },
    "flash-group": {
        "name": "快闪群：5天种草 + 6天转化",
        "description": "按标签建的快闪群：前5天种草（内容、答疑），后6天集中转化，第11天收尾。",
        "steps": [
            step(GROUP, "welcome", "欢迎语和群规", "欢迎进群！这个群只开11天：前5天分享干货，之后有专属福利。", minutes=10),
            *[
                step(GROUP, "custom", f"种草第{day + 1}天：发一条内容", "第{day}天：分享一条案例或干货，回答大家的问题。", days=day, at=(20, 0))
                for day in range(5)
            ],
            step(GROUP, "red_packet", "转化开始：发红包 ¥{amount} × {count}", "明天开始专属福利。", days=5, at=(19, 30), amount=Decimal("1.00"), count=20, name="专属福利"),
            *[
                step(GROUP, "announcement", f"转化第{day - 4}天：推荐商品", "第{day}天：今天的专属福利，只在本群。", days=day, at=(20, 0))
                for day in range(5, 11)
            ],
            step(GROUP, "countdown", "最后一天：提醒收尾", "快闪群今晚结束，没下单的抓紧。", days=10, at=(12, 0)),
        ],
    },
    "new-member-welcome": {
        "name": "新人欢迎",
        "description": "建群当天发欢迎语和群规，之后每晚欢迎当天进群的新人。",
        "steps": [
            step(GROUP, "welcome", "建群欢迎语", "欢迎来到{group_name}！群规：昵称为“地区+店名”；不发短视频、外卖券和投票；不骂人、不谈政治。", minutes=5),
            step(DAILY, "welcome", "欢迎今天的新人", "欢迎新朋友加入{group_name}！有需要随时@群主。", at=(20, 30), repeat=7),
        ],
    },
}


def ship(apps, schema_editor):
    Playbook = apps.get_model("campaigns", "Playbook")
    PlaybookStep = apps.get_model("campaigns", "PlaybookStep")
    for code, data in PLAYBOOKS.items():
        playbook, _created = Playbook.objects.update_or_create(
            code=code, defaults={"name": data["name"], "description": data["description"], "is_shipped": True}
        )
        playbook.steps.all().delete()
        PlaybookStep.objects.bulk_create(
            [
                PlaybookStep(playbook=playbook, position=position, assignee_role="group_owner", channel="inbox", **fields)
                for position, fields in enumerate(data["steps"])
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_products_playbooks_reminders")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
