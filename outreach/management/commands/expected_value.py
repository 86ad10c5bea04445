"""`manage.py expected_value --calibration-end DATE [--horizon-days N] [--store] --format json|table`

Fits the BG/NBD and Gamma–Gamma models on the counting orders up to the end of local day DATE and prints the
parameters (time in days) and each buyer's p_alive, expected purchases in the horizon and expected value,
highest value first. JSON goes to stdout exactly as docs/commands.md says; anything else to stderr.
"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from core.money import format_money, yuan
from members.models import Member
from outreach.services.values import store_valuation
from outreach.summary import member_summary
from outreach.valuation import DEFAULT_HORIZON_DAYS, MAX_HORIZON_DAYS, Valuation, ValuationError, value_members

TABLE_ROWS = 20


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--calibration-end: {text!r} is not a date like 2026-01-05") from exc


def _horizon(text: str) -> int:
    try:
        days = int(text)
    except ValueError as exc:
        raise CommandError(f"--horizon-days: {text!r} is not a whole number of days") from exc
    if not 0 < days <= MAX_HORIZON_DAYS:
        raise CommandError(f"--horizon-days must be between 1 and {MAX_HORIZON_DAYS}, not {days}")
    return days


def document(valuation: Valuation) -> dict:
    s = valuation.summary
    external = dict(Member.objects.values_list("id", "external_id"))
    params = {k: float(v) for k, v in valuation.params.as_dict().items()}
    return {
        "calibration_end": s.end_day.isoformat(),
        "horizon_days": valuation.horizon_days,
        **params,
        "params": params,
        "spend": valuation.spend.as_dict() if valuation.spend else None,
        "members": [
            {
                "external_id": external[int(s.member[i])],
                "p_alive": round(float(valuation.p_alive[i]), 6),
                "expected_purchases": round(float(valuation.expected_purchases[i]), 6),
                "expected_value": format_money(valuation.expected_value(i)),
            }
            for i in valuation.ranking()
        ],
    }


def table(doc: dict) -> str:
    lines = [
        f"orders up to {doc['calibration_end']}, horizon {doc['horizon_days']} days, {len(doc['members'])} buyers",
        "BG/NBD: r={r:.4g} alpha={alpha:.4g} days a={a:.4g} b={b:.4g}".format(**doc["params"]),
        "spend: " + ("p={p:.4g} q={q:.4g} v={v:.4g}".format(**doc["spend"]) if doc["spend"] else "mean (not fitted)"),
        f"{'member':<20} {'p_alive':>8} {'purchases':>10} {'value':>14}",
    ]
    for m in doc["members"][:TABLE_ROWS]:
        lines.append(
            f"{m['external_id']:<20} {m['p_alive']:>8.3f} {m['expected_purchases']:>10.2f} "
            f"{yuan(m['expected_value']):>14}"
        )
    return "\n".join(lines)


class Command(BaseCommand):
    # A report (and, with --store, one write): the system checks would double its time.
    requires_system_checks: list = []
    help = "Expected purchases and value of every buyer from the BG/NBD and Gamma-Gamma models fitted on the orders."

    def add_arguments(self, parser):
        parser.add_argument("--calibration-end", required=True, help="last local day of orders fitted, YYYY-MM-DD")
        parser.add_argument(
            "--horizon-days", default=str(DEFAULT_HORIZON_DAYS),
            help=f"days ahead to predict (default {DEFAULT_HORIZON_DAYS}, at most {MAX_HORIZON_DAYS})",
        )  # fmt: skip
        parser.add_argument("--store", action="store_true", help="also replace the stored member values")
        parser.add_argument("--format", choices=["json", "table"], default="table")

    def handle(self, *args, **options):
        end = _date(options["calibration_end"])
        horizon = _horizon(options["horizon_days"])
        try:
            valuation = value_members(member_summary(end), horizon_days=horizon)
        except ValuationError as exc:
            raise CommandError(str(exc)) from exc
        if options["store"]:
            stored = store_valuation(valuation)
            self.stderr.write(f"stored {stored} member values")
        doc = document(valuation)
        if options["format"] == "json":
            self.stdout.write(json.dumps(doc, ensure_ascii=False))
        else:
            self.stdout.write(table(doc))
