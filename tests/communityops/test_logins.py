"""Issue 11, item 8: login throttling (django-axes, communityops/logins.py). Wrong passwords lock the username
out after LOGIN_FAILURES_PER_USER (5), a client address after LOGIN_FAILURES_PER_IP (20), for
LOGIN_LOCKOUT_MINUTES (30), with the reason in Chinese on the login page; an admin unblocks early."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "登录失败次数过多"


def attempt(client, username: str, password: str, address: str = "10.1.1.1", **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_defaults(settings):
    assert (settings.LOGIN_FAILURES_PER_USER, settings.LOGIN_FAILURES_PER_IP) == (5, 20)
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=30)


def test_five_wrong_passwords_lock_the_username_out_with_the_reason_in_chinese(client, operator):
    for _ in range(4):
        response = attempt(client, operator.username, "wrong")
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()
    response = attempt(client, operator.username, "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert 'data-testid="login-locked"' in page
    assert "登录失败次数过多，已锁定 30 分钟；管理员可提前解锁。" in page
    assert f'value="{operator.username}"' in page  # the login page again, the username kept

    # Locked: even the right password, from another address, does not log in.
    response = attempt(client, operator.username, PASSWORD, address="10.9.9.9")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not logged_in(client)


def test_thirty_fast_wrong_passwords_are_refused_from_the_sixth_on(client, operator):
    """The issue's finding: 30 wrong passwords in 6 s, no slowdown and no lockout."""
    statuses = [attempt(client, operator.username, f"guess-{n}").status_code for n in range(30)]
    assert statuses == [200] * 4 + [429] * 26


def test_one_address_trying_many_usernames_is_locked_out(client, operator):
    for n in range(19):
        assert attempt(client, f"guess-{n}", "wrong").status_code == 200
    assert attempt(client, "guess-19", "wrong").status_code == 429
    # That address cannot log in to anyone; another address can.
    assert attempt(client, operator.username, PASSWORD).status_code == 429
    assert not logged_in(client)
    assert attempt(client, operator.username, PASSWORD, address="10.2.2.2").status_code == 302
    assert logged_in(client)


def test_a_login_forgets_the_users_own_typos_but_not_the_addresss_other_failures(client, operator, agent):
    for _ in range(4):
        attempt(client, operator.username, "typo")
    assert attempt(client, operator.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):  # counted from zero again: four more typos do not lock
        assert attempt(client, operator.username, "typo").status_code == 200
    assert attempt(client, operator.username, PASSWORD).status_code == 302
    client.logout()

    # A guesser's failures from one address are not wiped by logging in to an account it holds.
    for n in range(19):
        attempt(client, f"guess-{n}", "wrong")
    assert attempt(client, agent.username, PASSWORD).status_code == 302
    client.logout()
    assert attempt(client, "guess-19", "wrong").status_code == 429


def test_the_lockout_ends_after_the_window(client, operator):
    for _ in range(5):
        attempt(client, operator.username, "wrong")
    assert attempt(client, operator.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert attempt(client, operator.username, PASSWORD).status_code == 302


def test_axes_reset_unblocks(client, operator):
    for _ in range(5):
        attempt(client, operator.username, "wrong")
    call_command("axes_reset_username", operator.username)
    assert attempt(client, operator.username, PASSWORD).status_code == 302


def test_an_admin_unblocks_a_user_in_the_django_admin(client, operator, admin_user):
    for _ in range(5):
        attempt(client, operator.username, "wrong")
    assert admin_user.has_perm("axes.delete_accessattempt")
    assert not Permission.objects.filter(content_type__app_label="axes", group__name="operator").exists()

    client.force_login(admin_user)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    assert operator.username in page.content.decode()
    pks = list(AccessAttempt.objects.filter(username=operator.username).values_list("pk", flat=True))
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": pks, "post": "yes"})
    assert response.status_code == 302
    client.logout()

    assert attempt(client, operator.username, PASSWORD).status_code == 302


def test_a_client_cannot_dodge_the_address_limit_with_x_forwarded_for(client, settings):
    settings.BEHIND_PROXY = False
    for n in range(20):
        response = attempt(client, f"guess-{n}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert response.status_code == 429


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(client, operator, settings):
    settings.BEHIND_PROXY = True
    # The proxy (10.0.0.1, every request's REMOTE_ADDR) appends the real client, 198.51.100.7; what comes before
    # it is whatever the client sent.
    for n in range(20):
        forwarded = f"203.0.113.{n}, 198.51.100.7"
        response = attempt(client, f"guess-{n}", "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 429
    # Another client behind the same proxy still logs in.
    ok = attempt(client, operator.username, PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert ok.status_code == 302


def test_the_test_clients_login_goes_through_axes(client, operator):
    """`client.login()` (tests/conftest.py) passes a request, as axes requires; a wrong password counts."""
    for _ in range(5):
        assert client.login(username=operator.username, password="wrong") is False
    assert client.login(username=operator.username, password=PASSWORD) is False
    call_command("axes_reset")
    assert client.login(username=operator.username, password=PASSWORD) is True
