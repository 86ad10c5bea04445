"""Two operators adding next week to the same run at the same instant, as real processes on PostgreSQL: one new
campaign, the other told the week is taken; no duplicate, no half-written copy."""

import time

import pytest

from tests.campaigns.realparts import ROOT, fetch, manage, spawn

pytestmark = [pytest.mark.postgres]
OPERATORS = 4

SEED = """
import datetime as dt
from decimal import Decimal
from campaigns.models import CampaignSeries, Product
from campaigns.services import campaign_item_add, series_create
from members.models import Group

group = Group.objects.create(code="G1", name="成都VIP1群", tier="precise")
series = CampaignSeries(code="VIP", name="VIP会员特供日", first_date=dt.date(2026, 11, 5), weeks=2,
                        gmv_target=Decimal("75000.00"))
first, second = series_create(series=series, groups=[group])
product = Product.objects.create(sku="MASK", name="口罩", lowest_public_price=Decimal("25.00"))
campaign_item_add(campaign=second, product=product, price=Decimal("16.90"), expected_quantity=600)
"""

# Each process waits for the go file, then adds next week; it writes "added" or the refusal to its report.
WORKER = """
import os, sys, time
from pathlib import Path
import django
django.setup()
from django.core.exceptions import ValidationError
from campaigns.models import CampaignSeries
from campaigns.services import series_next_week

go, report = Path(sys.argv[1]), Path(sys.argv[2])
series = CampaignSeries.objects.get(code="VIP")
seen_last = series.campaigns.order_by("-starts_at").first()  # what every operator's page showed
Path(f"{report}.ready").touch()
try:
    while not go.exists():
        time.sleep(0.005)
    campaign = series_next_week(series=series, after=seen_last.pk)
    report.write_text(f"added {campaign.code}")
except ValidationError as error:
    report.write_text("refused " + " ".join(error.messages))
"""


def test_next_week_clicked_at_once_adds_one_campaign(migrated_postgres_url, tmp_path):
    manage(migrated_postgres_url, "shell", "-c", SEED)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    go = tmp_path / "go"
    reports = [tmp_path / f"op{n}.txt" for n in range(OPERATORS)]
    workers = [
        spawn(migrated_postgres_url, str(script), str(go), str(report), PYTHONPATH=str(ROOT)) for report in reports
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("op*.txt.ready"))) < OPERATORS:
        assert time.monotonic() < deadline, [w.poll() for w in workers]
        time.sleep(0.05)
    go.touch()
    assert [worker.wait(timeout=120) for worker in workers] == [0] * OPERATORS

    outcomes = sorted(report.read_text() for report in reports)
    assert outcomes[0] == "added VIP-20261119"
    # The others were told it was just added (and by its name), not given a second week.
    assert all(outcome.startswith("refused") and "第3期" in outcome for outcome in outcomes[1:]), outcomes
    rows = fetch(migrated_postgres_url, "SELECT code, name FROM campaigns_campaign ORDER BY starts_at")
    assert [code for code, _name in rows] == ["VIP-20261105", "VIP-20261112", "VIP-20261119"]
    assert rows[-1][1].startswith("VIP会员特供日 第3期")
    items = fetch(migrated_postgres_url, "SELECT count(*) FROM campaigns_campaignitem i JOIN campaigns_campaign c"
                                         " ON c.id = i.campaign_id WHERE c.code = 'VIP-20261119'")  # fmt: skip
    assert items == [(1,)]
    assert fetch(migrated_postgres_url, "SELECT weeks FROM campaigns_campaignseries") == [(3,)]
