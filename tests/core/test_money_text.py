"""Money reads one way everywhere: core.money.yuan ('¥14,240.00', '−¥5,220.00'). These tests fail when a page,
a chart, a check or a message formats money by hand again (the issue found "¥0", "¥14240.00", "¥-5,220.00")."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template

from core.money import yuan

ROOT = Path(__file__).resolve().parents[2]
SKIP_PARTS = {".venv", "vendor", "migrations", "tests", "bench", "node_modules", "staticfiles", "var"}

# A yuan sign glued to a value that did not go through the formatter: an f-string or str.format field
# ("¥{amount}"), a %-placeholder ("¥%(price)s"), a template variable ("¥{{ x }}"), an ECharts template
# ("¥{value}"), or a sign concatenated in code ('"¥" + x').
HAND_MADE = re.compile(r"¥\{(?!\})|¥%\(|¥\{\{|[\"']¥[\"']\s*\+|floatformat[^}]*\}\}\s*¥|¥\s*\{\{[^}]*floatformat")


def _sources():
    for path in ROOT.rglob("*"):
        if path.suffix not in {".py", ".html", ".js"} or not path.is_file():
            continue
        if SKIP_PARTS & set(path.relative_to(ROOT).parts) or path == ROOT / "core" / "money.py":
            continue  # core/money.py is the formatter itself
        yield path


def test_no_money_is_formatted_by_hand():
    found = []
    for path in _sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if HAND_MADE.search(line) and "# money-ok" not in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    # The shipped playbook templates write "¥{amount}" on purpose: {amount} is the red packet's digits, filled
    # by campaigns.playbooks (money_text, the same digits as yuan's) when a reminder is made; they live in
    # migrations, skipped above.
    assert not found, "money formatted outside core.money.yuan:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("14240"), "¥14,240.00"), (Decimal("-5220"), "−¥5,220.00"), (Decimal("-8005.44"), "−¥8,005.44"),
     (0, "¥0.00"), (None, "—")],
)  # fmt: skip
def test_template_filter_is_the_one_formatter(value, text):
    assert Template("{% load ui %}{{ v|yuan }}").render(Context({"v": value})) == text == yuan(value)


def test_reminder_row_writes_the_red_packet_through_the_formatter():
    from django.template.loader import render_to_string
    from django.utils import timezone

    from campaigns.models import Reminder

    reminder = Reminder(
        pk=1, kind="red_packet", title="发红包", due_at=timezone.now(), red_packet_amount=Decimal("1200"),
        red_packet_count=10, red_packet_name="周四10点",
    )  # fmt: skip
    html = render_to_string("campaigns/partials/_reminder_row.html", {"reminder": reminder})
    assert "¥1,200.00 × 10 「周四10点」" in html


def test_a_red_packet_amount_fills_a_template_as_yuan_writes_it():
    from campaigns.playbooks import money_text

    for amount in (Decimal("0.5"), Decimal("1000"), Decimal("12345.6")):
        assert "¥" + money_text(amount) == yuan(amount)
