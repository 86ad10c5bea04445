"""Issue 11, item 9: absurd filter values on the members and groups lists are refused beside the field (the
list shows unfiltered by it), never a server error: a number of days that overflows a date, ids beyond the
database's integer range, thousands of tags, a search as long as a book."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD, Client
from tests.members.factories import GroupFactory, MemberFactory, TagCategoryFactory, TagFactory

pytestmark = pytest.mark.django_db

HUGE_ID = "99999999999999999999"  # beyond a 64-bit integer
MEMBERS = reverse("members:member-list")
GROUPS = reverse("members:group-list")


@pytest.fixture
def operator_client(operator):
    client = Client(raise_request_exception=False)  # a server error comes back as the 500 a browser would get
    assert client.login(username=operator.username, password=PASSWORD)
    return client


@pytest.fixture
def members(db):
    tag = TagFactory(category=TagCategoryFactory())
    member = MemberFactory()
    member.tags.add(tag)
    return [member, MemberFactory()]


@pytest.mark.parametrize(
    ("field", "query"),
    [
        ("active_within", {"active_within": "99999999999"}),
        ("active_within", {"active_within": "1e400"}),
        ("min_purchase", {"min_purchase": "99999999999999999999"}),
        ("tags", {"tags": HUGE_ID}),
        ("tags", {"tags": ["-9223372036854775809"]}),
        ("tags", {"tags": [str(n) for n in range(1, 152)]}),  # more than MAX_TAGS
        ("group", {"group": HUGE_ID}),
        ("q", {"q": "张" * 5000}),
    ],
)
def test_member_list_says_why_beside_the_field(operator_client, members, field, query):
    response = operator_client.get(MEMBERS, query)
    assert response.status_code == 200
    assert field in response.context["filter"].form.errors
    assert 'data-testid="filter-error"' in response.content.decode()


@pytest.mark.parametrize(("field", "value"), [("owner", HUGE_ID), ("q", "x" * 5000)])
def test_group_list_says_why_beside_the_field(operator_client, field, value):
    GroupFactory()
    response = operator_client.get(GROUPS, {field: value})
    assert response.status_code == 200
    assert field in response.context["filter"].form.errors
    assert 'data-testid="filter-error"' in response.content.decode()


@pytest.mark.parametrize(("url", "query"), [(MEMBERS, {"active_within": "99999999999"}), (GROUPS, {"owner": HUGE_ID})])
def test_an_htmx_fragment_says_what_was_refused(operator_client, members, url, query):
    """The filters send htmx requests, which replace only the results: the fragment says what it refused."""
    response = operator_client.get(url, query, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the fragment, not the page
    assert html.count('data-testid="filter-error"') == 1


def test_a_valid_filter_shows_no_error(operator_client, members):
    response = operator_client.get(MEMBERS, {"active_within": "30"}, headers={"HX-Request": "true"})
    assert 'data-testid="filter-error"' not in response.content.decode()
    response = operator_client.get(MEMBERS, {"active_within": "99999999999"})  # the page: beside the field only
    assert response.content.decode().count('data-testid="filter-error"') == 1
