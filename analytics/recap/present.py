"""The recap document for people: labels in the reader's language, and for each number the page (or table) it
comes from. The page, the HTML file and the XLSX all read the document through here, so they say the same."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.dates import week_label
from core.money import DASH, yuan

from ..models import LEFT, Segment

NOT_TRACKED = gettext_lazy("not tracked yet")

SYSTEM_LABELS = {
    "invitation_conversion": gettext_lazy("Invitation conversion (accepted ÷ called)"),
    "join_rate": gettext_lazy("Join rate (joined ÷ accepted)"),
    "activity": gettext_lazy("Activity (bought or answered ÷ members)"),
    "buyer_conversion": gettext_lazy("Buyer conversion (potential → buyer)"),
    "repurchase_rate": gettext_lazy("Repurchase rate (core members ÷ buyers)"),
    "fission_multiplier": gettext_lazy("Fission multiplier"),
    "replication_success": gettext_lazy("Replication success (copied playbook groups on target)"),
    "red_packet_spend": gettext_lazy("Red-packet spend"),
    "gmv_per_red_packet_yuan": gettext_lazy("GMV per ¥1 of red packets"),
    "coupon_redemption": gettext_lazy("Coupon redemption (redeemed ÷ issued)"),
    "landing_funnel": gettext_lazy("Landing page PV / UV → buyers"),
}
SYSTEM_NOTES = {"landing_not_tracked": gettext_lazy("landing-page opens not tracked yet")}
RATE_LABELS = {
    "new_add_rate": gettext_lazy("New-add rate"),
    "conversion_rate": gettext_lazy("Conversion rate"),
    "churn_rate": gettext_lazy("Churn rate"),
    "reactivation_rate": gettext_lazy("Reactivation rate"),
}
EFFECT_LABELS = {
    "core_members_effect": gettext_lazy("Core members"),
    "repurchases_effect": gettext_lazy("Repurchases"),
    "aov_effect": gettext_lazy("AOV"),
    "other_effect": gettext_lazy("One-time buyers"),
}
HEADLINE_LABELS = {
    "target": gettext_lazy("Campaign target"),
    "campaign_gmv": gettext_lazy("Campaign GMV"),
    "attainment": gettext_lazy("Target attained"),
    "platform.gmv": gettext_lazy("Platform GMV"),
    "platform.orders": gettext_lazy("Orders"),
    "platform.buyers": gettext_lazy("Buyers"),
    "platform.core_members": gettext_lazy("Core members"),
    "platform.repurchases": gettext_lazy("Repurchases"),
    "platform.aov": gettext_lazy("AOV"),
    "platform.delta": gettext_lazy("GMV change"),
    "problems.reminders_late": gettext_lazy("Reminders late"),
    "problems.reminders_missed": gettext_lazy("Reminders missed"),
    "problems.sold_out": gettext_lazy("Items sold out"),
    "problems.rising_churn": gettext_lazy("Groups with rising churn"),
}


def headline_label(key: str) -> str:
    if key in HEADLINE_LABELS:
        return str(HEADLINE_LABELS[key])
    kind, _dot, name = key.partition(".")
    if kind == "system":
        return str(SYSTEM_LABELS.get(name, name))
    if kind == "rate":
        return str(RATE_LABELS.get(name, name))
    if kind == "grade":
        return _("Grade %(grade)s groups") % {"grade": name}
    return key


def segment_labels() -> dict[str, str]:
    return {**{s.value: str(s.label) for s in Segment}, LEFT: _("Left the group")}


def _period_days(doc: dict) -> tuple[date, date]:
    return date.fromisoformat(doc["period"]["start"]), date.fromisoformat(doc["period"]["end"])


class Links:
    """Where each number of a recap comes from: the app's pages, filtered to the recap's period."""

    def __init__(self, doc: dict, base: str = ""):
        self.base = base.rstrip("/")
        self.start, self.end = _period_days(doc)
        self.weekly = doc["period"]["kind"] == "week"
        self.last_week = week_label(self.end - timedelta(days=7))

    def _url(self, name: str, args=(), query: dict | None = None) -> str:
        url = self.base + reverse(name, args=args)
        return f"{url}?{urlencode(query)}" if query else url

    def _period_query(self, prefix: str = "") -> dict:
        if self.weekly:
            return {f"{prefix}week": week_label(self.start)}
        return {f"{prefix}start": self.start.isoformat(), f"{prefix}until": (self.end - timedelta(days=1)).isoformat()}

    def ranking(self) -> str:
        return self._url("analytics:dashboard", query=self._period_query())

    def group(self, code: str) -> str:
        return self._url("analytics:group", args=[code], query={"week": self.last_week})

    def decomposition(self, code: str = "") -> str:
        query = self._period_query("after-")
        if not self.weekly:  # the period before a month is the month before, not the same number of days
            previous_end = self.start
            previous_start = (previous_end - timedelta(days=1)).replace(day=1)
            query.update({"before-start": previous_start.isoformat(),
                          "before-until": (previous_end - timedelta(days=1)).isoformat()})  # fmt: skip
        if code:
            query["group"] = code
        return self._url("analytics:decomposition", query=query)

    def platform(self) -> str:
        return self._url("analytics:platform", query={"week": self.last_week})

    def campaign(self, pk: int) -> str:
        return self._url("campaigns:campaign-live", args=[pk])

    def campaigns(self) -> str:
        return self._url("campaigns:campaign-list")

    def reminders(self) -> str:
        return self._url("campaigns:reminder-calendar", query={"week": self.start.isoformat()})

    def system(self, key: str) -> str | None:
        return {
            "invitation_conversion": lambda: self._url("outreach:calllist-list"),
            "join_rate": lambda: self._url("outreach:calllist-list"),
            "activity": self.ranking,
            "buyer_conversion": self.platform,
            "repurchase_rate": self.ranking,
            "replication_success": lambda: self._url("campaigns:playbook-list"),
            "red_packet_spend": self.reminders,
            "gmv_per_red_packet_yuan": self.reminders,
            "coupon_redemption": lambda: self._url("campaigns:coupon-list"),
        }.get(key, lambda: None)()


def system_rows(doc: dict, links: Links) -> list[dict]:
    rows = []
    for row in doc["systems"]:
        rows.append(
            {
                **row,
                "display": show(row["value"], row["unit"]) if row["tracked"] else str(NOT_TRACKED),
                "basis": _basis(row),
                "label": str(SYSTEM_LABELS.get(row["key"], row["key"])),
                "note_text": str(SYSTEM_NOTES[row["note"]]) if row.get("note") in SYSTEM_NOTES else "",
                "link": links.system(row["key"]),
            }
        )
    return rows


def _basis(row: dict) -> str:
    """What a system number divides: '12 ÷ 40' (counts) or '¥3,000.00 ÷ ¥120.00' (money)."""
    numerator, denominator = row["numerator"], row["denominator"]
    if numerator is None or denominator is None:
        return ""
    if isinstance(numerator, str):
        return f"{yuan(numerator)} ÷ {yuan(denominator)}"
    return f"{numerator:,} ÷ {denominator:,}"


def rate_rows(block: dict | None) -> list[dict]:
    """The four rates of a rates block against its baseline, with the change in points."""
    if not block:
        return []
    out = []
    for key, label in RATE_LABELS.items():
        value, baseline = block[key], block["baseline"][key]
        change = None if value is None or baseline is None else Decimal(value) - Decimal(baseline)
        out.append({"key": key, "label": str(label), "value": value, "baseline": baseline, "change": change})
    return out


MONEY_HEADLINES = {"target", "campaign_gmv", "platform.gmv", "platform.aov", "platform.delta",
                   "system.red_packet_spend"}  # fmt: skip
COUNT_HEADLINES = {"platform.orders", "platform.buyers", "platform.core_members"}


def show(value, unit: str) -> str:
    """A number as the recap shows it: money '¥12,345.00', a ratio '12.3%', a multiple '3.20×'; '—' for None."""
    if value is None:
        return DASH
    if unit == "money":
        return yuan(value)
    if unit == "ratio":
        return f"{Decimal(value) * 100:.1f}%"
    if unit == "multiple":
        return f"{Decimal(value):,.2f}×"
    if unit == "number":
        return f"{Decimal(value):,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def headline_unit(key: str) -> str:
    if key in MONEY_HEADLINES:
        return "money"
    if key in COUNT_HEADLINES or key.startswith(("grade.", "problems.")):
        return "count"
    if key in ("platform.repurchases", "system.gmv_per_red_packet_yuan"):
        return "number"
    return "ratio"


def _window(campaign: dict) -> str:
    """'11-05 10:00 – 22:00', or with both days when the campaign spans more than one."""
    start, end = datetime.fromisoformat(campaign["starts_at"]), datetime.fromisoformat(campaign["ends_at"])
    if start.date() == end.date():
        return f"{start:%m-%d %H:%M} – {end:%H:%M}"
    return f"{start:%m-%d %H:%M} – {end:%m-%d %H:%M}"


def _with_links(rows: list[dict], link) -> list[dict]:
    return [{**row, "link": link(row)} for row in rows]


def recap_context(doc: dict, *, base: str = "") -> dict:
    """What the recap's templates read: the document, its rows with their links, and the charts."""
    from .charts import recap_charts

    links = Links(doc, base)
    groups = doc["groups"]
    by_code = {g["code"]: {**g, "link": links.group(g["code"]), "why": links.decomposition(g["code"])}
               for g in groups["groups"]}  # fmt: skip
    rates_by_code = {r["code"]: r for r in doc["rates"]["groups"]}
    labels = segment_labels()
    platform_rates = doc["rates"]["platform"]
    matrix = []
    if platform_rates:
        for a, row in platform_rates["transitions"].items():
            matrix.append({"label": labels[a], "cells": [row[b] for b in row], "total": sum(row.values())})
    return {
        "doc": doc,
        "period": doc["period"],
        "links": {
            "ranking": links.ranking(),
            "platform": links.platform(),
            "decomposition": links.decomposition(),
            "campaigns": links.campaigns(),
            "reminders": links.reminders(),
        },
        "campaigns": [
            {**c, "window": _window(c)}
            for c in _with_links(doc["targets"]["campaigns"], lambda r: links.campaign(r["id"]))
        ],
        "generated": datetime.fromisoformat(doc["generated_at"]).strftime("%Y-%m-%d %H:%M"),
        "groups": sorted(by_code.values(), key=lambda g: (-Decimal(g["gmv"]), g["code"])),
        "movers_up": [by_code[c] for c in groups["movers_up"]],
        "movers_down": [by_code[c] for c in groups["movers_down"]],
        "platform_rates": rate_rows(platform_rates),
        "group_rates": [
            {**rates_by_code[code], "link": links.group(code), "rows": rate_rows(rates_by_code[code])}
            for code in rates_by_code
        ],
        "segment_labels": [labels[s] for s in (s.value for s in Segment)],
        "target_labels": list(labels.values()),
        "segment_keys": [s.value for s in Segment],
        "matrix": matrix,
        "systems": system_rows(doc, links),
        "problems": doc["problems"],
        "not_tracked": str(NOT_TRACKED),
        "charts": recap_charts(doc),
    }
