"""Issue 11, item 9: no query string makes a page answer 500, for any role.

Every URL pattern of the site is enumerated (a new page fails `test_every_page_is_fuzzed` until it is listed in
PAGES with the parameters it reads). Each page is opened with its path arguments set to real objects' ids, as
operator, agent, manager and admin, with query strings Hypothesis builds from the parameters the page reads
(and a stray one): huge and negative numbers, ids beyond the database's integer range, long strings, NUL
bytes, odd Unicode, days of year 1 and 9999, ISO weeks that do not exist, repeated keys, broken
percent-escapes — mixed with valid values, so the absurd one reaches the code behind the valid ones. Each page
first gets, as explicit examples, every edge of each parameter's kind with the others valid (`edge_queries`),
then random queries; half of them as htmx requests. No response may be a 500, and an API error must be JSON.

Deterministic (derandomized, no example database) and bounded: the edges and `examples()` random queries per
page and role (about two and a half minutes for the four roles on two cores).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from campaigns.models import CampaignItem, CampaignSeries, CouponTemplate, Reminder
from community.models import Rule
from community.services import rules_apply_templates, violation_record
from imports.models import ImportJob
from imports.report import ImportReport, RowError
from livecodes import services as livecodes
from livecodes.models import LiveCode
from members.models import SavedSelection, Tag, TagCategory
from outreach.models import Questionnaire, Script
from outreach.services import task_claim_next
from outreach.services.questionnaires import link_create, questionnaire_save
from tests.analytics.story import build_story
from tests.campaigns.factories import CampaignFactory, ProductFactory, shipped_playbook
from tests.conftest import make_user
from tests.livecodes.helpers import upload
from tests.members.factories import GroupFactory
from tests.outreach.factories import build_list

MAX_EXAMPLES = 40  # random queries per page and role: 8 plus 4 per parameter the page reads, at most this
FEW_EXAMPLES = 4  # for a page that reads none (a stray parameter, a broken escape)
ROLES = ["operator", "agent", "manager", "admin_user"]

# Django's own admin is left out: staff only, and its changelists validate their own lookups (`?e=1`).
EXCLUDED_NAMESPACES = {"admin"}

PERIOD = ["week", "start", "until"]
DRF = ["format"]

# URL name -> the query parameters its view reads (POST-only views read none on GET: they answer 405).
PAGES: dict[str, list[str]] = {
    "home": [],
    "login": ["next"],
    "logout": [],
    "set_language": ["next", "language"],
    "api-schema": ["format", "lang"],
    "api-docs": [],
    "members:member-list": ["q", "region", "region_exclude", "tags", "tags_match", "tags_none", "referred", "group",
                            "tier", "not_tier", "segment", "min_purchase", "active_within", "sort", "page"],
    "members:codebook": [],
    "members:tag-edit": [],
    "members:member-detail": [],
    "members:selection-list": [],
    "members:selection-create": [],
    "members:selection-delete": [],
    "members:group-list": ["q", "tier", "region", "stage", "platform", "owner", "sort", "page"],
    "members:group-detail": ["show", "page"],
    "members:group-create": [],
    "members:group-edit": [],
    "members:membership-action": [],
    "members:legacy-list": [],
    "members:legacy-wizard": [],
    "members:member-promote": [],
    "imports:import-list": [],
    "imports:import-detail": [],
    "imports:import-status": [],
    "imports:import-confirm": [],
    "imports:import-retry": [],
    "imports:import-errors": [],
    "imports:import-errors-xlsx": [],
    "campaigns:campaign-list": ["status"],
    "campaigns:campaign-create": [],
    "campaigns:series-create": [],
    "campaigns:series-detail": [],
    "campaigns:series-next-week": [],
    "campaigns:campaign-next-week": [],
    "campaigns:campaign-join-series": [],
    "campaigns:campaign-detail": [],
    "campaigns:campaign-schedule": [],
    "campaigns:campaign-item-add": [],
    "campaigns:campaign-item-remove": [],
    "campaigns:campaign-publish": [],
    "campaigns:campaign-apply": [],
    "campaigns:campaign-live": [],
    "campaigns:playbook-list": [],
    "campaigns:playbook-detail": [],
    "campaigns:playbook-apply": [],
    "campaigns:playbook-copy": [],
    "campaigns:reminder-inbox": [],
    "campaigns:reminder-calendar": ["week"],
    "campaigns:reminder-complete": [],
    "campaigns:coupon-list": [],
    "campaigns:coupon-template-create": [],
    "campaigns:coupon-template-edit": [],
    "campaigns:coupon-template-active": [],
    "campaigns:product-list": ["q", "active", "page"],
    "campaigns:step-create": [],
    "campaigns:step-edit": [],
    "campaigns:step-delete": [],
    "campaigns:product-create": [],
    "campaigns:product-edit": [],
    "campaigns:product-active": [],
    "accounts:user-list": ["q", "role", "active", "page"],
    "accounts:user-create": [],
    "accounts:user-detail": [],
    "accounts:user-profile": [],
    "accounts:user-roles": [],
    "accounts:user-active": [],
    "accounts:user-password": [],
    "api-reminder-inbox": DRF,
    "api-reminder-complete": DRF,
    "api-campaign-list": DRF,
    "api-campaign-live": DRF,
    "analytics:dashboard": [*PERIOD, "sort", "order", "export"],
    "analytics:platform": ["week", "weeks"],
    "analytics:decomposition": ["group", *(f"{side}-{name}" for side in ("after", "before") for name in PERIOD)],
    "analytics:group": ["week", "weeks"],
    "analytics:recap": ["period", "export"],
    "analytics:recap-note": [],
    "analytics:recap-regenerate": [],
    "api-metrics": ["start", "end", "group", *DRF],
    "api-rates": ["week", "group", *DRF],
    "health": [],
    "outreach:my-calls": [],
    "outreach:call-next": [],
    "outreach:task": [],
    "outreach:task-claim": [],
    "outreach:task-record": [],
    "outreach:task-dial": [],
    "outreach:task-joined": [],
    "outreach:task-questionnaire": [],
    "outreach:task-questionnaire-link": [],
    "outreach:calllist-list": ["page"],
    "outreach:calllist-create": ["selection"],
    "outreach:calllist-detail": ["outcome", "page"],
    "outreach:calllist-reassign": [],
    "outreach:calllist-close": [],
    "outreach:calllist-export": [],
    "outreach:stats-export": [],
    "outreach:script-list": [],
    "outreach:script-create": [],
    "outreach:script-edit": [],
    "outreach:phone-audit": ["format", "page"],
    "outreach:questionnaire-list": [],
    "outreach:questionnaire-create": [],
    "outreach:questionnaire-detail": ["page"],
    "outreach:questionnaire-edit": [],
    "outreach:public-questionnaire": [],
    "livecodes:public": ["ref"],
    "livecodes:referral-submit": [],
    "livecodes:qr-image": [],
    "livecodes:contact-image": [],
    "livecodes:livecode-list": [],
    "livecodes:livecode-create": [],
    "livecodes:livecode-detail": [],
    "livecodes:livecode-edit": [],
    "livecodes:pool-add": [],
    "livecodes:pool-toggle": [],
    "livecodes:image-upload": [],
    "livecodes:referral-link": [],
    "livecodes:member-referral-link": [],
    "livecodes:poster-png": [],
    "livecodes:poster-svg": [],
    "livecodes:reward-list": [],
    "livecodes:reward-pay": [],
    "community:rules": [],
    "community:rules-apply-tier": [],
    "community:rule-edit": [],
    "community:group-rules": [],
    "community:group-rules-apply": [],
    "community:welcome-save": [],
    "community:violation-record": [],
    "community:nickname-check": [],
    "community:violation-screenshot": [],
}  # fmt: skip


def _patterns(resolver: URLResolver, namespace: str = "", prefix: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if (entry.namespace or "") in EXCLUDED_NAMESPACES:
                continue
            yield from _patterns(entry, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else prefix + str(entry.pattern)


def site_pages() -> set[str]:
    return set(_patterns(get_resolver()))


def test_every_page_is_fuzzed():
    """A page added to the URLconf must be listed in PAGES with the parameters it reads."""
    assert site_pages() == set(PAGES)


@dataclass
class World:
    """Real objects for the path arguments, and real ids and codes to mix with the absurd values."""

    args: dict[str, list]
    valid: dict[str, list[str]]
    valid_on: dict[str, dict[str, list[str]]]  # a page whose parameter means something else than elsewhere

    def valid_for(self, name: str) -> dict[str, list[str]]:
        return {**self.valid, **self.valid_on.get(name, {})}


def outreach_world(operator, tag) -> dict:
    """A call list with a task being called, a script, a questionnaire and a member's link to it."""
    agent = make_user("fuzz-agent", "agent")
    # Another group than the member's own: a member already in the list's group is left out of it.
    call_list = build_list(by=operator, agents=[agent], query=f"tags={tag.pk}", groups=[GroupFactory(code="FUZZ")])
    task = task_claim_next(agent=agent)
    script = Script.objects.create(name="通用", text="{name}您好")
    questionnaire = questionnaire_save(
        questionnaire=Questionnaire(name="调查", title="调查"), text=f"问题\n- 甲 [{tag.code}]\n- 乙\n"
    )
    link = link_create(questionnaire=questionnaire, member=task.member, by=agent)
    return {"list": call_list, "task": task, "script": script, "questionnaire": questionnaire, "token": link.token}


def livecodes_args(operator, group, member) -> dict:
    code = livecodes.live_code_save(LiveCode(slug="vip", name="VIP会员群", owner=operator, contact_text="客服"))
    entry = livecodes.pool_add(live_code=code, group=group)
    image = livecodes.image_upload(entry=entry, upload=upload())
    args = {f"livecodes:{name}": [code.slug] for name in ("public", "referral-submit", "contact-image")}
    args["livecodes:qr-image"] = [code.slug, image.pk]
    for name in ("livecode-detail", "livecode-edit", "pool-add", "referral-link", "poster-png", "poster-svg"):
        args[f"livecodes:{name}"] = [code.pk]
    for name in ("pool-toggle", "image-upload"):
        args[f"livecodes:{name}"] = [code.pk, entry.pk]
    args["livecodes:reward-pay"] = [member.pk]
    args["livecodes:member-referral-link"] = [member.pk]
    return args


def build_world(operator) -> World:
    story = build_story()
    vip = story["vip"]
    vip.owner = operator
    vip.save()
    member = story["members"][0]
    category = TagCategory.objects.create(code="need", name="关注")
    tags = [Tag.objects.create(code=f"T{i}", name=f"标签{i}", category=category) for i in range(3)]
    member.tags.add(*tags)
    campaign = CampaignFactory(groups=[vip], owner=operator)
    series = CampaignSeries.objects.create(code="FUZZ-RUN", name="周四特惠", first_date=dt.date(2026, 12, 3))
    CampaignFactory(groups=[vip], owner=operator, series=series, code="FUZZ-RUN-20261203")
    item = CampaignItem.objects.create(campaign=campaign, product=ProductFactory(), price=Decimal("80.00"),
                                       expected_quantity=10)  # fmt: skip
    playbook = shipped_playbook("weekly-warm-up")
    reminder = Reminder.objects.create(key="fuzz:1", title="发红包", group=vip, campaign=campaign, assignee=operator,
                                       status="sent", due_at=timezone.now() - dt.timedelta(minutes=5),
                                       next_attempt_at=timezone.now())  # fmt: skip
    selection = SavedSelection.objects.create(name="大客户", query="min_purchase=100&tags=" + str(tags[0].pk))
    rules_apply_templates(groups=[vip])
    video = Rule.objects.get(group=vip, template_key="short_video")
    violation = violation_record(membership=vip.memberships.filter(status="active").first(), rule=video, by=operator)
    report = ImportReport(kind="members", rows=1, invalid=1, errors=[RowError(2, "=x", "-bad")], dry_run=True)
    job = ImportJob.objects.create(kind="members", original_name="m.csv", file="imports/m.csv", created_by=operator,
                                   status=ImportJob.Status.VALIDATED, report=report.to_dict())  # fmt: skip
    coupon_template = CouponTemplate.objects.create(code="new10", name="新客券", kind="new", amount=Decimal("10"))
    calls = outreach_world(operator, tags[0])
    pk = {
        "members:tag-edit": tags[0].pk,
        **{
            f"outreach:{name}": calls["task"].pk
            for name in ("task", "task-claim", "task-record", "task-dial", "task-joined")
        },
        **{
            f"outreach:{name}": calls["list"].pk
            for name in ("calllist-detail", "calllist-reassign", "calllist-close", "calllist-export")
        },
        "outreach:script-edit": calls["script"].pk,
        "outreach:questionnaire-detail": calls["questionnaire"].pk,
        "outreach:questionnaire-edit": calls["questionnaire"].pk,
        "outreach:public-questionnaire": calls["token"],
        "members:member-detail": member.pk,
        "members:group-detail": vip.pk,
        "members:group-edit": vip.pk,
        "members:legacy-wizard": GroupFactory(code="FUZZ-OLD", tier="legacy").pk,
        "members:member-promote": member.pk,
        "members:selection-delete": selection.pk,
        "imports:import-detail": job.pk,
        "imports:import-status": job.pk,
        "imports:import-confirm": job.pk,
        "imports:import-retry": job.pk,
        "imports:import-errors": job.pk,
        "imports:import-errors-xlsx": job.pk,
        "campaigns:campaign-detail": campaign.pk,
        "campaigns:series-detail": series.pk,
        "campaigns:series-next-week": series.pk,
        "campaigns:campaign-next-week": campaign.pk,
        "campaigns:campaign-join-series": campaign.pk,
        "campaigns:campaign-schedule": campaign.pk,
        "campaigns:campaign-item-add": campaign.pk,
        "campaigns:campaign-publish": campaign.pk,
        "campaigns:campaign-apply": campaign.pk,
        "campaigns:campaign-live": campaign.pk,
        "campaigns:playbook-detail": playbook.pk,
        "campaigns:playbook-apply": playbook.pk,
        "campaigns:playbook-copy": playbook.pk,
        "campaigns:reminder-complete": reminder.pk,
        **{f"campaigns:product-{name}": item.product_id for name in ("edit", "active")},
        **{f"campaigns:coupon-template-{name}": coupon_template.pk for name in ("edit", "active")},
        **{f"accounts:user-{name}": operator.pk for name in ("detail", "profile", "roles", "active", "password")},
        "api-reminder-complete": reminder.pk,
        "api-campaign-live": campaign.pk,
        **{
            f"community:{name}": vip.pk
            for name in ("group-rules", "group-rules-apply", "welcome-save", "violation-record", "nickname-check")
        },
        "community:rule-edit": video.pk,
        "community:violation-screenshot": violation.pk,
    }
    args = {name: [value] for name, value in pk.items()}
    args["campaigns:campaign-item-remove"] = [campaign.pk, item.pk]
    args["campaigns:step-create"] = [playbook.pk]
    for name in ("step-edit", "step-delete"):
        args[f"campaigns:{name}"] = [playbook.pk, playbook.steps.first().pk]
    membership = vip.memberships.open().first()
    args["members:membership-action"] = [vip.pk, membership.pk, "move"]
    args["analytics:group"] = [vip.code]
    for name in ("task-questionnaire", "task-questionnaire-link"):
        args[f"outreach:{name}"] = [calls["task"].pk, calls["questionnaire"].pk]
    args.update(livecodes_args(operator, vip, member))
    codes = ["CD-VIP", "CD-DAILY", "EMPTY"]
    weeks = ["2026-W02", "2026-W01", "2025-W52"]
    days = ["2026-01-05", "2026-01-11", "2025-12-01"]
    valid = {
        "tags": [str(t.pk) for t in tags],
        "group": [str(vip.pk)],
        "owner": [str(operator.pk)],
        "region": ["四川/成都"],
        "tier": ["precise", "daily"],
        "segment": ["core", "new", "dormant", "potential"],
        "stage": ["acquisition", "retention"],
        "platform": ["wechat"],
        "sort": ["gmv", "aov", "grade", "code"],
        "order": ["asc", "desc"],
        "export": ["csv", "xlsx"],
        "show": ["open", "gone", "all"],
        "status": ["draft", "live"],
        "weeks": ["8", "52"],
        "week": weeks,
        "start": days,
        "until": days,
        "end": days,
        "format": ["json", "api", "yaml", "openapi"],
        "language": ["en", "zh-hans"],
        "lang": ["en", "zh-hans"],
        "next": ["/members/", "https://evil.example/"],
        "page": ["1", "2"],
        "min_purchase": ["100", "0.5"],
        "active_within": ["30"],
        "region_exclude": ["攀枝花市", "四川/成都"],
        "tags_match": ["all"],
        "tags_none": [str(t.pk) for t in tags],
        "referred": ["yes", "no"],
        "not_tier": ["legacy", "precise"],
        "outcome": ["accepted", "no_answer"],
        "selection": [str(selection.pk)],
        "role": ["agent", "admin"],
        "active": ["1", "0"],
    }
    for side in ("after", "before"):
        for name in PERIOD:
            valid[f"{side}-{name}"] = valid[name]
    valid_on = {
        "campaigns:reminder-calendar": {"week": days},  # any day of the week shown
        "members:member-list": {"sort": ["-purchase", "-active", "name"]},
        "members:group-list": {"sort": ["-members", "name"]},
        "outreach:phone-audit": {"format": ["xlsx"]},
        **{name: {"group": codes} for name in ("analytics:decomposition", "api-metrics", "api-rates")},
    }
    return World(args=args, valid=valid, valid_on=valid_on)


HUGE_NUMBERS = [
    "99999999999", "9999999999999999999999999", "-99999999999999999999", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "2147483648", "-1", "0", "-0", "1e400", "-1e400", "1E-400", "NaN", "Infinity", "0x10",
    "1_000", "١٢", "１２", " 7 ", "3.5", "00000000000000000000001",
]  # fmt: skip
EDGE_DATES = ["0001-01-01", "0001-01-03", "9999-12-31", "9999-12-30", "0001-W01", "9999-W52"]
ODD_DATES = [
    "0001-01-01", "0001-01-07", "9999-12-31", "9999-12-25", "0000-00-00", "1899-12-31", "3000-01-01", "2026-02-30",
    "0001-W01", "9999-W52", "0001-W52", "2026-W53", "2026-W00", "2026-W99", "+10000-01-01", "2026-01-05T10:00",
    "2026-1-5", "20260105",
]  # fmt: skip
ODD_TEXT = ["", " ", "\x00", "a\x00b", "%00", "\u202e", "\ufeff", "😀" * 50, "x" * 5000, "<script>", "' OR 1=1 --",
            "=HYPERLINK(\"http://x\")", "..", "\\", "\r\n"]  # fmt: skip
RAW_TAILS = ["", "", "", "&%FF=%FE", "&tags=%ZZ", "&=", "&&&", "&week", "&page=%00"]

# What each parameter holds: its absurd values are mostly of its own kind (a year-1 day for a day, a huge
# number for an id), so they get past the first check and reach the code behind it; the rest are anything.
KINDS = {
    "number": ["min_purchase", "active_within", "page", "weeks"],
    "id": ["tags", "tags_none", "owner", "group", "selection"],
    "day": ["week", "start", "until", "end", *(f"{side}-{name}" for side in ("after", "before") for name in PERIOD)],
}
KIND_OF = {key: kind for kind, keys in KINDS.items() for key in keys}


def numbers():
    huge = st.sampled_from(HUGE_NUMBERS)
    return st.one_of(huge, huge, st.integers(min_value=-(10**30), max_value=10**30).map(str))


def days():
    some_day = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))
    return st.one_of(
        st.sampled_from(EDGE_DATES),  # the first and last days there are: a zone's shift takes them out of range
        st.sampled_from(EDGE_DATES),
        st.sampled_from(ODD_DATES),
        some_day.map(dt.date.isoformat),
        some_day.map(lambda d: "{:04d}-W{:02d}".format(*d.isocalendar()[:2])),
    )


def texts():
    return st.one_of(st.sampled_from(ODD_TEXT), st.text(st.characters(exclude_categories=["Cs"]), max_size=40))


def own_kind(key: str):
    """An absurd value of the parameter's own kind (a huge number for a number or an id, a year-1 day for a
    day), which gets past the first check and reaches the code behind it; now and then anything at all."""
    own = {"number": numbers(), "id": numbers(), "day": days()}.get(KIND_OF.get(key), texts())
    return st.one_of(own, own, own, own, own, st.one_of(numbers(), days(), texts()))


@st.composite
def values_of(draw, valid_values: dict[str, list[str]], key: str, *, focus: bool) -> list[str]:
    """The values `key` gets in one query string. The focus (one parameter per query) gets an absurd value of
    its kind, last (a page reading one value reads the last), sometimes after a valid one, or, for an id
    list, hundreds of ids; any other parameter is mostly absent or valid, so the focus is what the page trips
    on, and sometimes absurd too."""
    valid = valid_values.get(key, [])
    if focus:
        if KIND_OF.get(key) == "id" and draw(st.integers(0, 4)) == 0:
            return draw(st.lists(st.one_of(st.sampled_from(valid or ["1"]), numbers()), min_size=100, max_size=600))
        before = [draw(st.sampled_from(valid))] if valid and draw(st.booleans()) else []
        return [*before, draw(own_kind(key))]
    values = []
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):
        sane = valid and draw(st.integers(0, 7)) > 0
        values.append(draw(st.sampled_from(valid)) if sane else draw(own_kind(key)))
    return values


@st.composite
def query_strings(draw, valid: dict[str, list[str]], keys: list[str]) -> str:
    """The page's parameters (one of them the focus), a parameter it does not read, a broken escape; the whole
    percent-encoded as a browser would (NUL as %00, Unicode as UTF-8)."""
    focus = draw(st.sampled_from(keys)) if keys else None
    pairs = []
    for key in [*keys, "zzz"]:
        pairs += [(key, value) for value in draw(values_of(valid, key, focus=key == focus))]
    return urlencode(pairs) + draw(st.sampled_from(RAW_TAILS))


# Always tried first, for each parameter with every other one valid: its kind's edges (where the random queries
# may not reach in a bounded run).
EDGE_VALUES = {
    "number": ["99999999999", "-99999999999999999999", "9223372036854775808", "1e400"],
    "id": ["99999999999999999999", "-9223372036854775809"],
    "day": ["0001-01-01", "9999-12-31", "0001-W01", "9999-W52"],
    None: ["x" * 5000, "a\x00b", "😀" * 50],
}
NOT_IN_BASE = {"export"}  # the edges are tried on the page itself, not its download


def edge_queries(valid: dict[str, list[str]], keys: list[str]) -> list[str]:
    base = [(key, valid[key][0]) for key in keys if valid.get(key) and key not in NOT_IN_BASE]
    queries = []
    for key in keys:
        others = [(k, v) for k, v in base if k != key]
        queries += [urlencode([*others, (key, value)]) for value in EDGE_VALUES[KIND_OF.get(key)]]
        if KIND_OF.get(key) == "id":  # a list longer than any form takes
            queries.append(urlencode([*others, *((key, str(n)) for n in range(1, 600))]))
    return queries


def examples(keys: list[str]) -> int:
    """A few per parameter the page reads (each the focus of about four), bounded per page."""
    return min(MAX_EXAMPLES, 8 + 4 * len(keys)) if keys else FEW_EXAMPLES


@pytest.fixture
def world(db, operator, agent, manager, admin_user, fresh_analytics_store):
    return build_world(operator)


def url_of(name: str, world: World) -> str:
    return reverse(name, args=world.args.get(name, []))


def fuzz_page(client: Client, url: str, keys: list[str], valid: dict[str, list[str]]) -> None:
    """Open `url` with query strings built from `keys`: no 500, and an API error is JSON."""
    is_api = url.startswith("/api/")

    def opens(query, htmx):
        # Half the queries come from htmx (the members lists and the group page answer them a fragment).
        response = client.get(f"{url}?{query}", headers={"HX-Request": "true"} if htmx else {})
        shown = query if len(query) < 300 else query[:300] + "…"
        assert response.status_code < 500, (url, shown, response.status_code)
        if is_api and response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), (url, shown, response["Content-Type"])

    test = given(query=query_strings(valid, keys), htmx=st.booleans())(opens)
    for i, query in reversed(list(enumerate(edge_queries(valid, keys)))):
        test = example(query=query, htmx=i % 2 == 1)(test)
    settings(max_examples=examples(keys), derandomize=True, database=None, deadline=None,
             suppress_health_check=list(HealthCheck))(test)()  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_no_query_string_makes_a_page_fail(world, role, request):
    """Every page as `role`; the pages that fail are all reported (each with its first failing query)."""
    client = Client()  # an exception in a view is raised here, with its traceback
    client.force_login(request.getfixturevalue(role))
    failures = []
    for name in sorted(PAGES):
        url = url_of(name, world)
        try:
            fuzz_page(client, url, PAGES[name], world.valid_for(name))
        except Exception as error:  # noqa: BLE001 - every page is tried; the failures are reported together
            failures.append(f"{name} {url}: {type(error).__name__}: {error}")
    assert not failures, "\n".join(failures)
