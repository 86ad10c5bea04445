import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import User

from communityops.roles import Role

PASSWORD = "correct-horse-battery"


def make_user(username: str, *roles: str, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    for role in roles:
        user.groups.add(AuthGroup.objects.get(name=role))
    return user


@pytest.fixture
def operator(db):
    return make_user("alice", Role.OPERATOR)


@pytest.fixture
def agent(db):
    return make_user("bob", Role.AGENT)


@pytest.fixture
def manager(db):
    return make_user("carol", Role.MANAGER)


@pytest.fixture
def admin_user(db):
    return make_user("dave", Role.ADMIN, is_staff=True)


@pytest.fixture
def role_users(operator, agent, manager, admin_user):
    return {Role.OPERATOR: operator, Role.AGENT: agent, Role.MANAGER: manager, Role.ADMIN: admin_user}
