import os
import tempfile

import django.test
import pytest
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import User
from django.http import HttpRequest

from core.roles import Role

PASSWORD = "correct-horse-battery"

# The tests start a few hundred Python processes (manage.py, celery, gunicorn, bin/demo). Where the shell says not
# to write bytecode (PYTHONDONTWRITEBYTECODE, as CI's does), each of them compiled the project again, 2-3 s of CPU
# apiece: they share a bytecode cache outside the tree instead, which leaves the tree as clean as the shell wants.
if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
    os.environ.setdefault("PYTHONPYCACHEPREFIX", os.path.join(tempfile.gettempdir(), "communityops-pycache"))


class Client(django.test.Client):
    """Django's test client, whose `login()` logs in as the login page does: through django-axes (login
    throttling), which refuses an `authenticate()` call without the request it counts failures against."""

    def login(self, **credentials) -> bool:
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        return super().login(request=request, **credentials)


@pytest.fixture
def client() -> Client:
    """pytest-django's `client`, with the `login()` above (`force_login` is unchanged)."""
    return Client()


@pytest.fixture
def fresh_analytics_store(settings):
    """An empty in-memory analytics store that writes no snapshot file (unless the test asks to)."""
    from analytics import store

    settings.ANALYTICS_SNAPSHOT_DIR = None
    store.clear()
    yield store
    store.clear()


@pytest.fixture
def segment_provider():
    """Swap the segment provider analytics registers (`members.segments.register`); restored afterwards.
    Call it with a provider object, or None to test the pages without one."""
    from members import segments

    original = segments._provider
    yield segments.register
    segments.register(original)


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


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the session; tests make their own databases on it."""
    from tests.servers import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


def _database_name(request) -> str:
    return "t_" + "".join(ch if ch.isalnum() else "_" for ch in request.node.name.lower())[:50]


@pytest.fixture
def postgres_url(postgres_server, request):
    """A fresh, empty database on the session's PostgreSQL, named after the test."""
    return postgres_server.create_database(_database_name(request))


@pytest.fixture(scope="session")
def migrated_postgres_template(postgres_server) -> str:
    """A database on the session's PostgreSQL migrated by a real `manage.py migrate` (tests/migrated.py)."""
    from tests.migrated import migrate_postgres_template

    return migrate_postgres_template(postgres_server)


@pytest.fixture
def migrated_postgres_url(postgres_server, migrated_postgres_template, request):
    """A fresh database on the session's PostgreSQL, named after the test, as `manage.py migrate` leaves it: a
    copy of the session's migrated template, made in a moment instead of migrating again."""
    return postgres_server.create_database(_database_name(request), template=migrated_postgres_template)


@pytest.fixture
def migrated_sqlite(tmp_path_factory):
    """The path of the run's SQLite file migrated by a real `manage.py migrate`: copy it, never write to it."""
    from tests.migrated import migrated_sqlite_file

    return migrated_sqlite_file(tmp_path_factory)


@pytest.fixture
def collected_static(tmp_path_factory):
    """The run's var/staticfiles/ collected by a real `manage.py collectstatic`: copy it, never write to it."""
    from tests.migrated import collected_static_dir

    return collected_static_dir(tmp_path_factory)


@pytest.fixture(scope="session")
def redis_server():
    from tests.servers import RedisServer

    server = RedisServer().start()
    yield server
    server.stop()
