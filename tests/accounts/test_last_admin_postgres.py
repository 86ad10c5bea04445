"""Two admins demoting (or deactivating) each other at the same instant on PostgreSQL: one wins, the other is
refused, and the team always keeps one active admin. Each round starts two threads (each its own connection)
behind a barrier, in a real `manage.py shell` process against a fresh database."""

import json

import pytest

from tests.campaigns.realparts import fetch, manage

pytestmark = [pytest.mark.postgres]

ROUNDS = 30

RACE = f"""
import json, threading
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import connection
from accounts import services

admin = Group.objects.get(name="admin")
outcomes = []
for n in range({ROUNDS}):
    User.objects.filter(is_active=True).update(is_active=False)  # only this round's two admins are active
    pair = []
    for side in "ab":
        user = User.objects.create_user(f"{{side}}{{n}}", is_staff=True)
        user.groups.add(admin)
        pair.append(user)
    barrier = threading.Barrier(2)
    results = {{}}

    def act(me, other):
        try:
            barrier.wait()
            if n % 2:
                services.user_active_set(user=other, is_active=False, by=me)
            else:
                services.user_roles_set(user=other, roles=["agent"], by=me)
            results[me.username] = "done"
        except ValidationError:
            results[me.username] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(me, other)) for me, other in (pair, pair[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes.append({{"results": sorted(results.values()), "admins": services.admins().count()}})
print(json.dumps(outcomes))
"""


def test_two_admins_demoting_each_other_at_once_leave_one(migrated_postgres_url):
    outcomes = json.loads(manage(migrated_postgres_url, "shell", "-c", RACE).stdout.strip().splitlines()[-1])
    assert len(outcomes) == ROUNDS
    for n, outcome in enumerate(outcomes):
        assert outcome == {"results": ["done", "refused"], "admins": 1}, (n, outcome)


SAME_NAME = f"""
import json, threading
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation
from accounts import services

translation.activate("zh-hans")
outcomes = []
for n in range({ROUNDS}):
    barrier = threading.Barrier(2)
    results = []

    def create():
        try:
            barrier.wait()
            services.user_create(username=f"kefu{{n}}", roles=["agent"], password="Spring-tea-4821")
            results.append("created")
        except ValidationError as error:
            results.append(" ".join(error.message_dict["username"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes.append(sorted(results))
print(json.dumps(outcomes, ensure_ascii=False))
"""


def test_two_admins_creating_the_same_username_at_once_get_one_user_and_a_field_error(migrated_postgres_url):
    outcomes = json.loads(manage(migrated_postgres_url, "shell", "-c", SAME_NAME).stdout.strip().splitlines()[-1])
    assert len(outcomes) == ROUNDS
    for n, outcome in enumerate(outcomes):
        assert outcome == ["created", "已存在一位使用该名字的用户。"], (n, outcome)
    users = fetch(migrated_postgres_url, "SELECT count(*), count(DISTINCT username) FROM auth_user")
    assert users == [(ROUNDS, ROUNDS)]
