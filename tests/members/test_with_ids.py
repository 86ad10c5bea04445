"""Membership.objects.with_ids: the same memberships as pk__in, whether the ids come in runs (an import's) or
scattered, without a parameter per id for runs."""

import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import MAX_ID_RUNS, Membership
from tests.members.factories import GroupFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def memberships():
    group = GroupFactory(capacity=500)
    members = MemberFactory.create_batch(120)
    return Membership.objects.bulk_create(Membership(member=m, group=group) for m in members)


def test_runs_of_ids_are_a_few_ranges_and_the_same_rows(memberships):
    ids = [m.pk for m in memberships]
    chosen = ids[:40] + ids[50:90] + [ids[100], 999_999]
    with CaptureQueriesContext(connection) as queries:
        found = set(Membership.objects.with_ids(reversed(chosen)).values_list("pk", flat=True))
    assert found == set(Membership.objects.filter(pk__in=chosen).values_list("pk", flat=True))
    assert found == set(chosen) - {999_999}
    assert queries[0]["sql"].count("BETWEEN") + queries[0]["sql"].count(">=") >= 3
    assert not re.search(rf"\b{ids[20]}\b", queries[0]["sql"]), "an id inside a run is not listed"


def test_scattered_ids_and_no_ids(memberships):
    ids = [m.pk for m in memberships]
    scattered = random.Random(4).sample(ids[::2], MAX_ID_RUNS + 5)
    assert set(Membership.objects.with_ids(scattered).values_list("pk", flat=True)) == set(scattered)
    assert not Membership.objects.with_ids([]).exists()
    assert set(Membership.objects.with_ids(ids).filter(pk__gt=ids[10]).values_list("pk", flat=True)) == set(ids[11:])
