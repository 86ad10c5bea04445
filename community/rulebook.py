"""The pure parts of group rules: the template set teams start from (the seed's rules), the announcement they
render to, and the nickname format check. Nothing here touches the database."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class RuleTemplate:
    key: str
    kind: str  # Rule.Kind value
    title: str
    text: str
    strike_limit: int | None


# The seed's rules. Posted into Chinese WeChat groups, so the texts are Chinese whatever the UI language is.
TEMPLATES: tuple[RuleTemplate, ...] = (
    RuleTemplate("nickname", "nickname", "群昵称", "群昵称请改为“地区-店名”，如“成都-好药房”", None),
    RuleTemplate("short_video", "banned_content", "发短视频", "不发短视频", 2),
    RuleTemplate("takeaway_coupon", "banned_content", "发外卖券", "不发外卖券", 2),
    RuleTemplate("vote", "banned_content", "发投票", "不发投票、拉票链接", 2),
    RuleTemplate("insult", "conduct", "骂人", "不骂人、不人身攻击", 1),
    RuleTemplate("politics", "conduct", "谈政治", "不谈论政治", 1),
)

DEFAULT_WELCOME = "欢迎新朋友加入{group_name}！请把群昵称改成“地区-店名”，群规见群公告，有需要随时@群主。"

# "成都-好药房": a region, a dash (ASCII or full-width), a store name. Spaces around the dash are tolerated.
_NICKNAME = re.compile(r"^\s*(?P<region>[^\s\-－—]{2,10})\s*[-－—]\s*(?P<store>\S.{0,60})$")


def nickname_problem(nickname: str) -> str | None:
    """Why a group nickname breaks the "地区-店名" format (None when it follows it). The region may be a city or
    a district (成都, 武侯区): teams name either, so only the shape is checked."""
    if not nickname.strip():
        return _("No group nickname.")
    if _NICKNAME.match(nickname) is None:
        return _("Not “region-store name”.")
    return None


def suggested_nickname(*, region: str, store_name: str) -> str:
    """ "成都-崇州市回春药店" for a 成都市 member of 成都崇州市回春药店: the region once, without 市/省."""
    short = region.rsplit("/", 1)[-1].removesuffix("市").removesuffix("省")
    store = store_name.strip()
    for prefix in (region, short):
        if prefix and store.startswith(prefix) and len(store) > len(prefix):
            store = store[len(prefix) :].removeprefix("市")
            break
    return f"{short}-{store}" if short and store else ""


def strike_text(limit: int) -> str:
    """How the announcement states a limit, in the groups' language."""
    return "违者直接移出" if limit == 1 else f"{limit} 次违规移出"


def announcement(*, group_name: str, rules) -> str:
    """The rules as the group announcement (群公告) to paste into WeChat: numbered, each with its limit."""
    lines = [f"【{group_name}群规】"]
    for number, rule in enumerate(rules, start=1):
        line = f"{number}. {rule.text}"
        if rule.strike_limit:
            line += f"（{strike_text(rule.strike_limit)}）"
        lines.append(line)
    lines.append("请大家共同遵守，谢谢配合！")
    return "\n".join(lines)


def removal_reason(*, strikes: int, rule_title: str) -> str:
    """The reason a removed membership keeps: "2 次违规：发短视频"."""
    return f"{strikes} 次违规：{rule_title}"
