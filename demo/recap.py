"""The seed's retrospective, as the team would have written it on the recap page: the month of the four
Thursday campaigns (¥330k against ¥300k) and the week of the first one, whose first day had technical
problems. Written through the recap's own service, by the first operator."""

from __future__ import annotations

import datetime as dt

from analytics.recap.periods import RecapPeriod, month_period
from analytics.recap.snapshots import note_save
from core.dates import week_monday

from .story import Demo

MONTH_RETROSPECTIVE = """本月四场周四活动合计约 ¥33 万，超过 ¥30 万目标。
问题：
1. 第一场活动落地页不适配手机，群里不少客户反馈看不清商品、按钮点不到，前两个小时转化明显偏低。
2. 登录后跳回首页而不是活动页，客户需要重新找入口，部分人直接放弃。
3. 首日技术问题：开场 10 点下单高峰时支付回调延迟，客服集中处理了一批"已付款未显示"的咨询。
改进：
- 落地页上线前用三种主流手机走一遍下单流程，运营负责人签字确认。
- 登录回跳改为活动页（已提给技术，下周验证）。
- 开场前 30 分钟技术值班，客服准备好支付延迟的统一话术。
- 南充群主力客户流失，下周安排外呼唤醒并发复购券。"""

FIRST_WEEK_RETROSPECTIVE = """第一场周四活动：首日技术问题较多（落地页手机端显示异常、登录后跳回首页、支付回调延迟）。
10 点到 12 点的订单量只有预期的一半左右，下午修复后恢复正常。下一场活动前完成手机端验收。"""


def create_recap_notes(demo: Demo) -> None:
    author = demo.users.get("yunying")
    month = month_period(demo.campaign_days[-1])
    first = week_monday(demo.campaign_days[0])
    note_save(month, text=MONTH_RETROSPECTIVE, by=author)
    note_save(RecapPeriod("week", first, first + dt.timedelta(days=7)), text=FIRST_WEEK_RETROSPECTIVE, by=author)
