"""The one week name (core.dates.week_name): people read a week by its days, the ISO week comes second."""

from datetime import date

import pytest
from django.template import Context, Template
from django.utils import translation

from core.dates import week_label, week_name, week_title


@pytest.mark.parametrize(
    ("day", "chinese", "english"),
    [
        (date(2026, 11, 23), "11月23日–29日", "11/23–29"),  # a Monday
        (date(2026, 11, 26), "11月23日–29日", "11/23–29"),  # any day names its week
        (date(2026, 11, 30), "11月30日–12月6日", "11/30 – 12/6"),
        (date(2026, 12, 28), "2026年12月28日–2027年1月3日", "12/28/2026 – 1/3/2027"),
    ],
)
def test_week_name_says_the_days_in_each_language(day, chinese, english):
    with translation.override("zh-hans"):
        assert week_name(day) == chinese
    with translation.override("en"):
        assert week_name(day) == english


def test_week_title_puts_the_iso_week_second():
    with translation.override("zh-hans"):
        assert week_title(date(2026, 11, 25)) == "11月23日–29日 · 2026-W48"
    # The key stays the machine's form, for URLs and files.
    assert week_label(date(2026, 11, 23)) == "2026-W48"


def test_week_filter_shows_the_name_with_the_iso_week_quieter():
    template = Template("{% load ui %}{{ monday|week }}|{{ key|week }}|{{ month|week }}")
    with translation.override("zh-hans"):
        html = template.render(Context({"monday": date(2026, 11, 23), "key": "2027-W01", "month": "2026-11"}))
    first, second, third = html.split("|")
    assert first == '11月23日–29日 <span class="text-secondary small text-nowrap ms-1">2026-W48</span>'
    assert second == '1月4日–10日 <span class="text-secondary small text-nowrap ms-1">2027-W01</span>'
    assert third == "2026-11"
