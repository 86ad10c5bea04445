"""Phone numbers: normalised to E.164, shown masked ('138****8000') to everyone but users with
members.view_phone (the admin role), in every page and fragment that shows one."""

import pytest
from django.urls import reverse

from core.roles import Role
from members.phones import InvalidPhone, mask_phone, national_digits, normalize_phone
from members.selectors import phone_for
from tests.conftest import make_user
from tests.members.factories import GroupFactory, MemberFactory, MembershipFactory

E164 = "+8613812348000"
FULL = "13812348000"
MASKED = "138****8000"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812348000", E164),
        ("138 1234 8000", E164),
        ("+86 138-1234-8000", E164),
        ("8613812348000", E164),
        ("13812348000.0", E164),  # a spreadsheet cell holding the number as a float
        ("028-85551234", "+862885551234"),
        ("", ""),
    ],
)
def test_phones_normalize(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "not a phone", "1381234800"])
def test_phones_normalize_rejects_garbage(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_phones_mask_keeps_first_three_and_last_four():
    assert mask_phone(E164) == MASKED
    assert national_digits("+862885551234") == "02885551234"
    assert mask_phone("+862885551234") == "028****1234"
    assert mask_phone("") == ""


@pytest.fixture
def world(db):
    group = GroupFactory()
    member = MemberFactory(name="赵敏", phone=E164)
    MembershipFactory(member=member, group=group)
    return {"member": member, "group": group}


@pytest.mark.parametrize(
    ("role", "sees_full"),
    [(Role.OPERATOR, False), (Role.AGENT, False), (Role.MANAGER, False), (Role.ADMIN, True)],
)
def test_phones_phone_for_by_role(world, role, sees_full):
    user = make_user(f"u-{role}", role)
    assert phone_for(user, world["member"]) == (FULL if sees_full else MASKED)


def test_phones_phone_for_empty_phone(db):
    member = MemberFactory(phone="")
    assert phone_for(make_user("a", Role.ADMIN), member) == ""


def _pages(world):
    member, group = world["member"], world["group"]
    return {
        "list": (reverse("members:member-list"), {}),
        "list-partial": (reverse("members:member-list") + "?q=赵敏", {"HX-Request": "true"}),
        "detail": (reverse("members:member-detail", args=[member.pk]), {}),
        "group-roster": (reverse("members:group-detail", args=[group.pk]), {}),
        "group-roster-partial": (
            reverse("members:group-detail", args=[group.pk]) + "?show=all",
            {"HX-Request": "true"},
        ),
    }


@pytest.mark.parametrize(
    ("role", "sees_full"),
    [(Role.OPERATOR, False), (Role.AGENT, False), (Role.MANAGER, False), (Role.ADMIN, True)],
)
def test_phones_masked_in_every_page_and_partial(client, world, role, sees_full):
    client.force_login(make_user(f"u-{role}", role))
    for name, (url, headers) in _pages(world).items():
        response = client.get(url, headers=headers)
        assert response.status_code == 200, name
        html = response.content.decode()
        if role == Role.AGENT and name.startswith("group-roster"):
            assert MASKED not in html
            assert FULL not in html
            continue
        if sees_full:
            assert FULL in html, name
        else:
            assert MASKED in html, name
            assert FULL not in html, name
            assert E164 not in html, name
            assert "12348000" not in html, name


@pytest.mark.parametrize(("role", "finds"), [(Role.OPERATOR, False), (Role.MANAGER, False), (Role.ADMIN, True)])
def test_phones_search_by_digits_only_for_who_may_see_them(client, world, role, finds):
    """A masked user must not find a number by guessing digits."""
    MemberFactory(name="别人", phone="+8613900000000")
    client.force_login(make_user(f"u-{role}", role))
    response = client.get(reverse("members:member-list"), {"q": "1234 8000"})
    html = response.content.decode()
    assert ("赵敏" in html) is finds
    assert "别人" not in html
