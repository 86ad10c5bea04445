"""Issue 15 in a real Chromium: at 390×844 the members page (filtered, with its save-a-selection box) and the
group ranking have no sideways scroll of the page, the members header never squeezes its title, and the
ranking's group column stays pinned while its numbers scroll inside the card. Money drawn by the browser
(chart axes, tooltips) reads exactly as core.money.yuan writes it. Screenshots go to the browser artifacts."""

from decimal import Decimal

import pytest
from django.urls import reverse

from core.money import yuan
from core.roles import Role
from tests.browser.test_analytics import log_in, numbers_world  # noqa: F401 - a fixture
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT_MS = 20_000
PHONE = {"width": 390, "height": 844}
NO_PAGE_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_browser_phone_members_and_ranking_fit_390(browser, live_server, numbers_world, artifacts):  # noqa: F811
    operator = make_user("yun", Role.OPERATOR, first_name="芸", last_name="李")
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=1, is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The members page, filtered: the header, the count and the save-a-selection box all fit.
    log_in(page, live_server.url, operator.username)
    page.goto(live_server.url + reverse("members:member-list") + "?q=药房")
    page.locator("[data-testid=result-count]").wait_for()
    assert page.evaluate(NO_PAGE_SCROLL), "the members page scrolls sideways at 390 px"
    title = page.locator(".page-header .page-title").bounding_box()
    assert title["width"] >= 100, f"the page title is squeezed to {title['width']} px"
    count = page.locator("[data-testid=result-count]")
    line = float(count.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || el.offsetHeight"))
    assert count.bounding_box()["height"] <= line * 1.5, "the result count wraps (one character per line)"
    save = page.locator("input[name=name][form=save-selection-form]")
    assert save.bounding_box()["width"] >= 150
    page.screenshot(path=str(artifacts / "phone-members.png"))

    # The ranking: the page does not scroll, the table does, and the group column stays where it was.
    log_in(page, live_server.url, numbers_world["manager"].username)
    page.goto(live_server.url + reverse("analytics:dashboard") + "?week=2026-W02")
    table = page.locator("[data-testid=ranking]")
    table.wait_for()
    assert page.evaluate(NO_PAGE_SCROLL), "the ranking page scrolls sideways at 390 px"
    wrapper = table.locator("xpath=..")
    assert wrapper.evaluate("el => el.scrollWidth > el.clientWidth"), "the ranking fits without scrolling?"
    first_cell = table.locator("tbody tr:first-child td:first-child")
    before = first_cell.bounding_box()["x"]
    number_cell = table.locator("tbody tr:first-child td:nth-child(3)")
    number_before = number_cell.bounding_box()["x"]
    wrapper.evaluate("el => { el.scrollLeft = 300; }")
    assert wrapper.evaluate("el => el.scrollLeft") > 0
    assert abs(first_cell.bounding_box()["x"] - before) < 1, "the group column scrolled away"
    assert number_cell.bounding_box()["x"] < number_before - 100, "the numbers did not scroll"
    assert first_cell.bounding_box()["width"] >= 100, "the group name is squeezed"
    page.screenshot(path=str(artifacts / "phone-ranking.png"))

    # The other numbers pages with wide tables (the transition matrices) scroll them inside their cards too.
    for name, url in (
        ("phone-group-trends", reverse("analytics:group", args=["CD-VIP"]) + "?week=2026-W02"),
        ("phone-recap", reverse("analytics:recap") + "?period=2026-W02"),
    ):
        page.goto(live_server.url + url)
        page.locator(".co-heat").first.wait_for()
        assert page.evaluate(NO_PAGE_SCROLL), f"{url} scrolls sideways at 390 px"
        page.screenshot(path=str(artifacts / f"{name}.png"))
    assert not errors, errors
    context.close()


VALUES = ["0", "14240", "-5220", "-8005.44", "0.5", "999.995", "1234567.891", "-0.004", "900", "-5100.5"]


def test_browser_money_in_charts_reads_as_core_money_yuan(browser, live_server, numbers_world, artifacts):  # noqa: F811
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, live_server.url, numbers_world["manager"].username)
    page.goto(live_server.url + reverse("analytics:decomposition") + "?after-week=2026-W02&group=CD-VIP")
    page.locator("[data-testid=chart-waterfall] canvas").first.wait_for(state="attached")

    # The browser's copy of the formatter agrees with the server's, value by value.
    for value in VALUES:
        for options, python in (
            ({}, yuan(Decimal(value))),
            ({"whole": True}, yuan(Decimal(value), whole=True)),
            ({"signed": True, "whole": True}, yuan(Decimal(value), signed=True, whole=True)),
        ):
            browser_text = page.evaluate("([v, o]) => window.coYuan(Number(v), o)", [value, options])
            assert browser_text == python, (value, options, browser_text, python)

    # The waterfall's axis and tooltips use it: a negative value reads '−¥5,220', never '¥-5,220'.
    axis = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.querySelector('[data-testid=chart-waterfall]'));
          const option = chart.getOption();
          return [option.yAxis[0].axisLabel.formatter(-5220), option.yAxis[0].axisLabel.formatter(14240),
                  option.series[1].tooltip.valueFormatter(1234.5)];
        }"""
    )
    assert axis == ["−¥5,220", "¥14,240", "¥1,234.50"]
    page.screenshot(path=str(artifacts / "money-waterfall.png"))
    context.close()
