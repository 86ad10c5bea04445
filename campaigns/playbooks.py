"""The pure parts of playbooks: step templates, their placeholders, and when a step falls.

Messages are posted into Chinese WeChat groups, so rendered values (weekday, time) are Chinese whatever
the operator's UI language is. Nothing here touches the database, so models can validate with it.
"""

import datetime as dt
import string
from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from core.money import yuan

# Every placeholder a step template may use, with what it becomes.
PLACEHOLDERS: dict[str, str] = {
    "campaign_name": "活动名称",
    "campaign_time": "活动时间的简称，如“周四10点”",
    "weekday": "活动日星期，如“周四”",
    "date": "活动日期，如“11月26日”",
    "start": "开始时间，如“11月26日 周四 10:00”",
    "end": "结束时间，如“22:00”",
    "link": "活动链接",
    "items": "活动商品清单（名称、活动价、全网最低价）",
    "group_name": "群名称",
    "owner": "群主",
    "amount": "单个红包金额",
    "count": "红包个数",
    "minutes_left": "距开始的分钟数（倒计时）",
    "day": "第几天（从 1 开始）",
    "welcome": "本群的欢迎语（群规页可改）",
    "rules": "本群的群规公告",
}

# Placeholders filled per group by a floor above (community: {welcome}, {rules}), registered in its
# AppConfig.ready(): provider(group) -> {placeholder: text}. Without one they render empty.
_group_context_providers: list = []


def register_group_context(provider) -> None:
    """Add a provider of per-group placeholder values (idempotent: a provider is kept once)."""
    if provider not in _group_context_providers:
        _group_context_providers.append(provider)


GROUP_PLACEHOLDERS = ("welcome", "rules")


def uses_group_context(*templates: str) -> bool:
    return any(f"{{{name}}}" in template for template in templates for name in GROUP_PLACEHOLDERS)


def group_context(group) -> dict[str, str]:
    values: dict[str, str] = {}
    for provider in _group_context_providers:
        values.update(provider(group))
    return {name: value for name, value in values.items() if name in PLACEHOLDERS}


WEEKDAYS_ZH = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
_formatter = string.Formatter()


def template_errors(template: str) -> list[str]:
    """Why a template cannot be rendered: an unknown placeholder, a stray brace, an attribute or index."""
    if not template:
        return []
    try:
        fields = [field for _literal, field, _spec, _conv in _formatter.parse(template) if field is not None]
    except ValueError:
        return [_("A curly brace is not closed; write {{ and }} for a literal brace.")]
    errors = []
    for field in fields:
        if field == "":
            errors.append(_("Empty placeholder {}: name it, e.g. {campaign_time}."))
        elif field not in PLACEHOLDERS:
            errors.append(
                _("Unknown placeholder {%(name)s}. Known: %(known)s.")
                % {"name": field, "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)}
            )
    return errors


def render(template: str, context: dict[str, str]) -> str:
    """Fill a validated template; placeholders without a value (no campaign, say) become empty."""
    if not template:
        return ""
    values = {name: context.get(name, "") for name in PLACEHOLDERS}
    return template.format_map(values)


def short_time(moment: dt.datetime) -> str:
    """ "周四10点", "周四10点半" or "周四10:15": how teams name a campaign time in red packets."""
    local = timezone.localtime(moment)
    if local.minute == 0:
        clock = f"{local.hour}点"
    elif local.minute == 30:
        clock = f"{local.hour}点半"
    else:
        clock = f"{local.hour}:{local.minute:02d}"
    return f"{WEEKDAYS_ZH[local.weekday()]}{clock}"


def long_time(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日 {WEEKDAYS_ZH[local.weekday()]} {local:%H:%M}"


def items_text(items: Iterable) -> str:
    """One line per campaign item: name, campaign price and the public price it beats."""
    lines = []
    for item in items:
        price, public = yuan(item.final_price), yuan(item.product.lowest_public_price)
        line = f"· {item.product.name} 活动价 {price} （全网最低 {public}）"
        if item.is_clearance and item.second_discount_rate:
            line += " 折上折"
        lines.append(line)
    return "\n".join(lines)


def campaign_context(campaign, items_rendered: str | None = None) -> dict[str, str]:
    if campaign is None:
        return {}
    local_start = timezone.localtime(campaign.starts_at)
    local_end = timezone.localtime(campaign.ends_at)
    same_day = local_start.date() == local_end.date()
    return {
        "campaign_name": campaign.name,
        "campaign_time": short_time(campaign.starts_at),
        "weekday": WEEKDAYS_ZH[local_start.weekday()],
        "date": f"{local_start.month}月{local_start.day}日",
        "start": long_time(campaign.starts_at),
        "end": f"{local_end:%H:%M}" if same_day else long_time(campaign.ends_at),
        "link": campaign.landing_url,
        "items": items_rendered if items_rendered is not None else items_text(campaign.items.select_related("product")),
    }


# What a placeholder stands for on a playbook's page, where no campaign or group fills it yet: 「活动时间」.
PLACEHOLDER_NAMES: dict[str, str] = {
    "campaign_name": "活动名称",
    "campaign_time": "活动时间",
    "weekday": "活动日星期",
    "date": "活动日期",
    "start": "开始时间",
    "end": "结束时间",
    "link": "活动链接",
    "items": "活动商品清单",
    "group_name": "群名称",
    "owner": "群主",
    "amount": "红包金额",
    "count": "红包个数",
    "minutes_left": "距开始分钟数",
    "day": "第几天",
    "welcome": "本群欢迎语",
    "rules": "本群群规",
}


def step_preview(step, template: str) -> str:
    """A step's template as its playbook shows it, before any campaign or group: what the step itself knows
    (its red packet's amount and count, which day of the group it falls on) filled in, every other
    placeholder named in corner brackets ('发红包 ¥0.50 × 10「活动时间」'). A template that cannot be rendered
    is shown as written."""
    if not template or template_errors(template):
        return template or ""
    values = {name: f"「{label}」" for name, label in PLACEHOLDER_NAMES.items()}
    if step.red_packet_amount is not None:
        values["amount"] = money_text(step.red_packet_amount)
    if step.red_packet_count:
        values["count"] = str(step.red_packet_count)
    if step.anchor == "group_created":
        values["day"] = str(step.offset_days + 1)
    if step.anchor == "campaign_start" and step.at_time is None:
        values["minutes_left"] = str(max(0, -(step.offset_days * 24 * 60 + step.offset_minutes)))
    # A template that already quotes a placeholder ('「{campaign_time}」') gets one pair of brackets, not two.
    return render(template, values).replace("「「", "「").replace("」」", "」")


def step_when(step) -> str:
    """When a step falls, said in words: '开始前 1 天 20:00', '开始前 10 分钟', '建群第 3 天 20:00',
    '每天 08:30，共 7 天'."""
    time = f"{step.at_time:%H:%M}" if step.at_time else ""
    if step.anchor == "daily":
        return _("every day at %(time)s, for %(days)s days") % {"time": time, "days": step.repeat_days}
    if step.anchor == "group_created":
        if step.at_time:
            return _("day %(n)s of the group, %(time)s") % {"n": step.offset_days + 1, "time": time}
        minutes = step.offset_days * 24 * 60 + step.offset_minutes
        if not minutes:
            return _("when the group is created")
        return _("%(duration)s after the group is created") % {"duration": minutes_text(abs(minutes))}
    is_start = step.anchor == "campaign_start"
    if step.at_time:
        days = step.offset_days
        if days < 0:
            text = _("%(n)s days before the start, %(time)s") if is_start else _("%(n)s days before the end, %(time)s")
        elif days > 0:
            text = _("%(n)s days after the start, %(time)s") if is_start else _("%(n)s days after the end, %(time)s")
        else:
            text = _("on the start day, %(time)s") if is_start else _("on the end day, %(time)s")
        return text % {"n": abs(days), "time": time}
    minutes = step.offset_days * 24 * 60 + step.offset_minutes
    if minutes < 0:
        text = _("%(duration)s before the start") if is_start else _("%(duration)s before the end")
    elif minutes > 0:
        text = _("%(duration)s after the start") if is_start else _("%(duration)s after the end")
    else:
        return _("at the start") if is_start else _("at the end")
    return text % {"duration": minutes_text(abs(minutes))}


def minutes_text(minutes: int) -> str:
    """'10 分钟', '2 小时', '1 天 3 小时': an offset in the largest units that say it exactly enough."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)s d") % {"n": days})
    if hours:
        parts.append(_("%(n)s h") % {"n": hours})
    if mins:
        parts.append(_("%(n)s min") % {"n": mins})
    return " ".join(parts)


def money_text(value: Decimal | None) -> str:
    """A red packet's amount for {amount}, which the shipped templates write after the yuan sign: the digits of
    core.money.yuan without the sign ("1,000.00")."""
    return "" if value is None else yuan(abs(value)).removeprefix("¥")


def occurrences(step, anchor: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """When `step` falls, relative to the `anchor` instant: [(occurrence number, aware due time), …]."""
    local = timezone.localtime(anchor)
    tz = local.tzinfo
    if step.anchor == "daily":
        return [
            (index, dt.datetime.combine(local.date() + dt.timedelta(days=index), step.at_time, tzinfo=tz))
            for index in range(step.repeat_days)
        ]
    if step.at_time is not None:
        day = local.date() + dt.timedelta(days=step.offset_days)
        return [(0, _aware(dt.datetime.combine(day, step.at_time), tz))]
    return [(0, anchor + dt.timedelta(days=step.offset_days, minutes=step.offset_minutes))]


def _aware(naive: dt.datetime, tz) -> dt.datetime:
    # zoneinfo resolves a wall time in a DST gap or overlap by `fold`; Asia/Shanghai has none today.
    return naive.replace(tzinfo=tz)
