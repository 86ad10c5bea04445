"""The demo loaded once per test module for the recap tests (rolled back at the end): eight weeks of orders,
four Thursday campaigns in November 2026, reminders and calls.
`tests/analytics/conftest.py` offers it as the `recap_demo` fixture."""

import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from demo import loader as demo_loader
from demo import story as demo_story

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 1, 15, 0, tzinfo=SHANGHAI)  # a Tuesday: November and W48 are complete


@pytest.fixture(scope="module")
def recap_demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            loaded = demo_loader.demo_load(seed=demo_story.DEFAULT_SEED, now=NOW, log=lambda line: None)
        yield loaded
        transaction.set_rollback(True)
