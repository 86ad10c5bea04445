"""The demo's outreach: the seed's phone playbook. Pharmacy owners over 35 answer the phone, not posters: an
operator picks pharmacies by cumulative purchase and recent activity, leaving out the regions where local
sales reps out-discount the platform (攀枝花, 凉山, 巴中), splits the list by region between two agents who
call with the "VIP member exclusive benefits" script, and the willing are invited to the VIP group. A
questionnaire tags members into the codebook so agents pick the script that fits. Yesterday's calls are
already recorded, so the operator's per-agent table has numbers; call-backs wait in the agents' inboxes.
"""

from __future__ import annotations

import datetime as dt

from members.services import selection_save
from outreach.models import CallList, CallTask, Questionnaire, Script
from outreach.services import CallListSpec, call_list_build, call_record, task_claim_next, task_mark_joined
from outreach.services.questionnaires import questionnaire_save, response_submit
from outreach.services.values import refresh_member_values
from outreach.split import Share

from .story import EXCLUDED_REGIONS, Demo

LIST_NAME = "四川药店VIP会员邀约（第1批）"
POOL = ["VIP-CN", "VIP-DZ", "VIP-MY", "VIP-DY", "VIP-CD2", "VIP-CD1"]
# Yesterday's outcomes, in the seed's proportions: most owners who pick up say yes to the VIP group.
OUTCOMES = [
    (CallTask.Outcome.NO_ANSWER, 30), (CallTask.Outcome.ACCEPTED, 34), (CallTask.Outcome.DECLINED, 18),
    (CallTask.Outcome.CALLBACK, 12), (CallTask.Outcome.WRONG_NUMBER, 6),
]  # fmt: skip
CALLS_YESTERDAY = {"kefu": 38, "kefu2": 31}
JOINED_SHARE = 0.6

SCRIPTS = [
    ("VIP会员专属福利（通用）", [], "{name}老板您好！我是川药掌柜平台的客服。您是我们的老客户，"
     "{store}这样的门店我们专门建了会员群「{group}」：每周四会员专属价、新品首发、有问题群里随时问。我把您拉进群好吗？"),
    ("皮肤外用专场", ["3"], "{name}老板您好！看您店里皮肤外用药走得不错，我们周四有皮肤外用专场，"
     "祛痘、湿疹几个爆款比大平台还低。会员群「{group}」里先发价格，我拉您进来？"),
    ("慢病用药·月结", ["2", "B"], "{name}老板您好！您店里慢病用药量大，我们三高常用药可以月结，会员群「{group}」里每周"
     "四有专属价。方便的话我拉您进群，账期的事群主单独跟您说。"),
    ("比大平台便宜", ["A"], "{name}老板您好！您说过最在意进货价：我们会员群「{group}」里的周四特价，常用药比大平台低"
     "5%到10%。我拉您进群，您先看两期价格再决定？"),
]  # fmt: skip

QUESTIONS = """您店里最近走量最快的品类是？
- 感冒发烧/止咳 [1]
- 慢病用药（三高） [2]
- 皮肤外用 [3]
- 儿科用药 [4]

* 您最希望平台提供什么？
- 比大平台更低的进货价 [A]
- 账期/月结 [B]
- 新品首发 [C]
- 配送更快 [D]
"""


def create_outreach(demo: Demo) -> None:
    operator = demo.users["yunying"]
    # Last night's expected values (the nightly task), so the list is ordered by them and agents read why.
    refresh_member_values(calibration_end=(demo.now.astimezone(demo.tz) - dt.timedelta(days=1)).date())
    scripts = {}
    for name, codes, text in SCRIPTS:
        script = Script.objects.create(name=name, text=text)
        script.tags.set([demo.tags[code] for code in codes])
        scripts[name] = script
    questionnaire = questionnaire_save(
        questionnaire=Questionnaire(
            name="门店需求小调查", title="川药掌柜·门店需求小调查",
            intro="两道题，30秒。我们按您的回答推荐专场和优惠。",
        ),
        text=QUESTIONS,
    )  # fmt: skip
    query = "&".join(
        ["min_purchase=3000", "active_within=60", "not_tier=precise", "sort=-purchase"]
        + [f"tags={demo.tags[code].pk}" for code in ("S1", "S2")]
        + [f"region_exclude={region}" for region in EXCLUDED_REGIONS]
    )
    selection = selection_save(name="四川药店·累计≥¥3,000·近60天活跃·不含攀枝花凉山巴中", query=query, by=operator)
    yesterday = (demo.now.astimezone(demo.tz) - dt.timedelta(days=1)).date()
    call_list = call_list_build(
        CallListSpec(
            name=LIST_NAME, selection=selection, groups=[demo.groups[code] for code in POOL],
            shares=[Share(demo.users["kefu"].pk, regions=("成都市",)), Share(demo.users["kefu2"].pk)],
            split=CallList.Split.REGION, script=scripts["VIP会员专属福利（通用）"],
            due_date=yesterday + dt.timedelta(days=6), recent_days=30,
        ),
        by=operator, now=demo.local(yesterday, dt.time(9, 0)),
    )  # fmt: skip
    _yesterdays_calls(demo, call_list, questionnaire, yesterday)


def _yesterdays_calls(demo: Demo, call_list: CallList, questionnaire: Questionnaire, day: dt.date) -> None:
    rng = demo.rng
    outcomes = [outcome for outcome, weight in OUTCOMES for _ in range(weight)]
    for username, calls in CALLS_YESTERDAY.items():
        agent = demo.users[username]
        at = demo.local(day, dt.time(9, 30))
        for _ in range(calls):
            at += dt.timedelta(minutes=rng.randint(4, 9))
            task = task_claim_next(agent=agent, call_list=call_list, now=at)
            if task is None:
                break
            outcome = rng.choice(outcomes)
            if outcome in CallTask.CONNECTED and rng.random() < 0.3:
                _answer(demo, questionnaire, task, agent, at)
            callback_at = None
            if outcome == CallTask.Outcome.CALLBACK:
                # Promised for today or the next days: those already due come first in the agent's queue.
                later = day + dt.timedelta(days=rng.randint(1, 3))
                callback_at = demo.local(later, dt.time(rng.choice([10, 14, 16]), 0))
            notes = {
                CallTask.Outcome.DECLINED: rng.choice(["已有固定供货商", "店里不用微信群", "嫌起订量高"]),
                CallTask.Outcome.CALLBACK: rng.choice(["正在看店，下午再打", "老板不在，明天上午找老板", ""]),
            }.get(outcome, "")
            call_record(task=task, agent=agent, outcome=outcome, notes=notes, callback_at=callback_at,
                        now=at + dt.timedelta(minutes=3))  # fmt: skip
            if outcome == CallTask.Outcome.ACCEPTED and rng.random() < JOINED_SHARE:
                task.refresh_from_db()
                task_mark_joined(task=task, by=agent, at=at + dt.timedelta(minutes=rng.randint(10, 240)))


def _answer(demo: Demo, questionnaire: Questionnaire, task: CallTask, agent, at: dt.datetime) -> None:
    first, second = questionnaire.questions.prefetch_related("choices")
    picked = {
        first.pk: [demo.rng.choice(list(first.choices.all())).pk],
        second.pk: [choice.pk for choice in second.choices.all() if demo.rng.random() < 0.4][:2]
        or [second.choices.first().pk],
    }
    response_submit(questionnaire=questionnaire, member=task.member, picked=picked, agent=agent, task=task, now=at)
