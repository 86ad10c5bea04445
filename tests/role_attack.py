"""Calling another role's URLs directly, as a logged-in agent or manager would with a hand-made request: a real
CSRF token from their own session (so a refusal is the access check, not the CSRF check), and the database
compared before and after. Also the anonymous visitor on every URL of a namespace."""

from __future__ import annotations

from django.apps import apps
from django.urls import URLPattern, get_resolver, reverse

from tests.conftest import Client

# What a refused POST must leave as it was: every table the lifecycle, rules and live code pages write.
WRITTEN = [
    "livecodes.LiveCode", "livecodes.PoolEntry", "livecodes.QRImage", "livecodes.ReferralLink", "livecodes.Referral",
    "community.Rule", "community.Violation", "community.Removal", "community.GroupWelcome", "campaigns.Reminder",
    "members.Group", "members.Membership", "members.Member",
]  # fmt: skip


def database_state() -> dict[str, list[dict]]:
    return {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in WRITTEN}


def csrf_client(user) -> Client:
    """A client that checks CSRF as a browser's requests are checked, logged in as `user`, holding the token its
    own session got from a page (the layout's logout form)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("members:group-list"))
    assert "csrftoken" in client.cookies
    return client


def post_with_token(client: Client, url: str, data: dict | None = None):
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def assert_posts_refused(client: Client, posts: list[tuple[str, str, dict]]) -> None:
    """Each (name, url, data) posted with the client's own token is refused by the access check (403, not the
    CSRF page) and changes nothing."""
    for name, url, data in posts:
        before = database_state()
        response = post_with_token(client, url, data)
        assert response.status_code == 403, name
        assert "CSRF" not in response.content.decode(), name  # refused by the access check, token accepted
        assert database_state() == before, name


def assert_posts_go_through(
    client: Client, posts: list[tuple[str, str, dict]], *, statuses=(302,), unchanged=()
) -> None:
    """The operator's side of `assert_posts_refused`: each post is answered with one of `statuses` and changes
    the database, except the posts named in `unchanged` (they show or apply what already exists)."""
    for name, url, data in posts:
        before = database_state()
        response = post_with_token(client, url, data)
        assert response.status_code in statuses, (name, response.status_code)
        if name not in unchanged:
            assert database_state() != before, name


PATH_ARGUMENTS = {"int": "1", "slug": "vip", "str": "x", "path": "x"}


def namespace_paths(namespace: str) -> dict[str, str]:
    """Every URL pattern of `namespace` as a path, its arguments filled with something that could exist."""
    resolver = get_resolver()
    paths = {}
    for app_resolver in resolver.url_patterns:
        if getattr(app_resolver, "namespace", None) != namespace:
            continue
        for pattern in app_resolver.url_patterns:
            assert isinstance(pattern, URLPattern)
            kwargs = {
                name: PATH_ARGUMENTS[type(converter).__name__.removesuffix("Converter").lower()]
                for name, converter in pattern.pattern.converters.items()
            }
            if "action" in kwargs:
                kwargs["action"] = "leave"
            paths[f"{namespace}:{pattern.name}"] = reverse(f"{namespace}:{pattern.name}", kwargs=kwargs)
    return paths
