"""Benchmark and validation of the expected value (`manage.py expected_value`, issue 12).

    .venv/bin/python bench/expected_value.py                 # 100k members, 1M orders, SQLite
    .venv/bin/python bench/expected_value.py --no-cdnow      # without the public CDNOW purchase log

1. Time: `bench/generate.py`'s 100k members and 1M orders (seed 42, 104 weeks), loaded with the real import
   commands into `bench/out/ev-bench.sqlite3` (kept and reused while the files do not change), then
   `manage.py expected_value --calibration-end DAY --format json` in a new process (cold: Python start-up,
   the query, both fits, the JSON of every buyer), wall and CPU time and peak RSS (wait4). Baseline in the
   same run: a process that only reads the same orders with pandas from orders.csv and groups them by
   member and day (what any implementation must at least do).
2. Validation, three data sets, each fitted on purchases up to a calibration end and judged on the 8 weeks
   after it: of the buyers in the calibration data, the share of the top decile by expected value who buy
   again in those 8 weeks, beside the bottom decile and beside the top decile by recency alone (days since
   the last purchase; ties broken at random, seeded):
   - the generator's orders (calibration end 8 weeks before the data's end);
   - BG/NBD data simulated with the CDNOW estimates (100k members), ranked by expected purchases (the
     simulation has no spend);
   - the CDNOW purchase log (Fader & Hardie's public sample, 23,570 customers of an online CD store from
     1997–98; it ships in the `lifetimes` wheel, MIT, 0.6 MB, fetched by pip into a temporary directory,
     never a dependency of the app; skipped when pip cannot get it): calibration Jan 1 – Sep 30 1997, as in
     the paper. The paper's own summary of the 2,357-customer sample, fitted here, gives back its published
     estimates (r 0.243, α 4.414, a 0.793, b 2.426, weeks): printed beside ours.

The last line of stdout is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.analytics import load_database, manage_env, measured, prepare_files  # noqa: E402
from bench.generate import DEFAULT_END  # noqa: E402
from outreach import expected_value as ev  # noqa: E402  (pure numpy/scipy: no Django needed)

HOLDOUT_DAYS = 56
LOADER_VERSION = 1
PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005, CDNOW sample, weeks
CDNOW_WHEEL = "lifetimes==0.11.3"

BASELINE = """
import sys, pandas as pd
o = pd.read_csv(sys.argv[1], dtype=str, usecols=["member_external_id", "placed_at", "amount", "status"])
o = o[(o.status == "paid") & (o.placed_at < sys.argv[2])]
o["day"] = o.placed_at.str[:10]
o["amount"] = o.amount.astype(float)
g = o.groupby(["member_external_id", "day"]).amount.agg(["sum", "size"]).reset_index()
print(len(g))
"""


def deciles(score: np.ndarray, bought: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """The share who bought among the top and the bottom tenth by score (ties broken at random)."""
    order = np.lexsort((rng.random(len(score)), -score))
    tenth = max(len(score) // 10, 1)
    return float(bought[order[:tenth]].mean()), float(bought[order[-tenth:]].mean())


def report(score: np.ndarray, days_since_last: np.ndarray, bought: np.ndarray, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    top, bottom = deciles(score, bought, rng)
    recency_top, _ = deciles(-days_since_last, bought, rng)
    return {
        "buyers": len(score),
        "base_rate": round(float(bought.mean()), 4),
        "top_decile": round(top, 4),
        "bottom_decile": round(bottom, 4),
        "recency_top_decile": round(recency_top, 4),
        "top_vs_bottom": round(top / bottom, 2) if bottom else None,
        "top_vs_recency": round(top / recency_top, 3) if recency_top else None,
    }


# --- 1. the generator's data: the command, timed, and its ranking judged --------------------------------


def generator_run(args) -> dict:
    paths = prepare_files(args)
    manifest = (args.out / "manifest.json").read_text()
    db = args.out / "ev-bench.sqlite3"
    stamp = args.out / "ev-bench.stamp"
    env = manage_env(f"sqlite:///{db}", args.out / "var-ev")
    wanted = json.dumps([LOADER_VERSION, manifest])
    if args.fresh or not db.exists() or not stamp.exists() or stamp.read_text() != wanted:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        load_database("SQLite", f"sqlite:///{db}", paths, env, lambda: None)
        stamp.write_text(wanted)
    last_day = args.end - timedelta(days=1)  # the generator's end is exclusive
    calibration_end = last_day - timedelta(days=HOLDOUT_DAYS)
    argv = [sys.executable, str(ROOT / "manage.py"), "expected_value", "--calibration-end", str(calibration_end),
            "--format", "json"]  # fmt: skip
    cold = measured(argv, env)
    warm = measured(argv, env)
    cutoff = str(calibration_end + timedelta(days=1))
    baseline = measured([sys.executable, "-c", BASELINE, str(paths["orders"]), cutoff], env)
    doc = json.loads(cold["stdout"])

    orders = pd.read_csv(paths["orders"], dtype=str, usecols=["member_external_id", "placed_at", "status"])
    orders = orders[orders.status == "paid"]
    day = pd.to_datetime(orders.placed_at.str[:10])
    before = orders[day <= pd.Timestamp(calibration_end)]
    last = pd.to_datetime(before.placed_at.str[:10]).groupby(before.member_external_id).max()
    later = set(orders.member_external_id[(day > pd.Timestamp(calibration_end)) & (day <= pd.Timestamp(last_day))])
    ids = [m["external_id"] for m in doc["members"]]
    value = np.array([float(m["expected_value"]) for m in doc["members"]])
    since = np.array([(pd.Timestamp(calibration_end) - last[i]).days for i in ids], dtype=float)
    bought = np.array([i in later for i in ids])
    return {
        "calibration_end": str(calibration_end),
        "command_cold_wall_s": round(cold["wall"], 2),
        "command_cold_cpu_s": round(cold["cpu"], 2),
        "command_warm_wall_s": round(warm["wall"], 2),
        "command_peak_mb": round(cold["peak_mb"]),
        "baseline_pandas_read_group_wall_s": round(baseline["wall"], 2),
        "baseline_pandas_read_group_cpu_s": round(baseline["cpu"], 2),
        "command_vs_baseline_wall": round(cold["wall"] / baseline["wall"], 2),
        "command_vs_baseline_cpu": round(cold["cpu"] / baseline["cpu"], 2),
        "params_days": {k: round(v, 4) for k, v in doc["params"].items()},
        "spend": {k: round(v, 4) for k, v in doc["spend"].items()} if doc["spend"] else None,
        "validation": report(value, since, bought),
    }


# --- 2. simulated BG/NBD data --------------------------------------------------------------------------


def simulated_run(n: int, seed: int) -> dict:
    true = ev.BgNbdParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
    rng = np.random.default_rng(seed)
    data = ev.simulate_bgnbd(true, rng.uniform(7, 78 * 7, n), holdout_days=HOLDOUT_DAYS, rng=rng)
    # The calibration data is of buyers: a member simulated with no purchase at all does not exist (each
    # starts with a first purchase at 0), so all n are buyers.
    started = time.perf_counter()
    fitted = ev.fit_bgnbd(data.frequency, data.recency, data.T)
    fit_s = time.perf_counter() - started
    expected = ev.expected_purchases(fitted, HOLDOUT_DAYS, data.frequency, data.recency, data.T)
    return {
        "members": n,
        "fit_s": round(fit_s, 2),
        "params_days": {k: round(v, 4) for k, v in fitted.as_dict().items()},
        "true_params_days": true.as_dict(),
        "predicted_vs_actual_purchases": round(float(expected.sum() / max(data.holdout.sum(), 1)), 3),
        "validation": report(expected, data.T - data.recency, data.holdout > 0),
    }


# --- 3. CDNOW ------------------------------------------------------------------------------------------


def cdnow_files() -> dict[str, bytes] | None:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", CDNOW_WHEEL, "--no-deps", "-q", "-d", tmp],
            capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            result = subprocess.run(["pip", "download", CDNOW_WHEEL, "--no-deps", "-q", "-d", tmp],
                                    capture_output=True, text=True)  # fmt: skip
        wheels = glob.glob(f"{tmp}/*.whl")
        if not wheels:
            print(f"CDNOW skipped: pip could not download {CDNOW_WHEEL}", file=sys.stderr)
            return None
        with zipfile.ZipFile(wheels[0]) as wheel:
            return {
                name: wheel.read(f"lifetimes/datasets/{name}")
                for name in ("CDNOW_master.txt", "cdnow_customers_summary.csv")
            }


def cdnow_run() -> dict | None:
    files = cdnow_files()
    if files is None:
        return None
    # The paper's summary of the 2,357-customer sample (weeks): our fit against the published estimates.
    paper = pd.read_csv(io.BytesIO(files["cdnow_customers_summary.csv"]))
    fitted = ev.fit_bgnbd(paper.frequency, paper.recency, paper["T"])
    log = pd.read_csv(io.BytesIO(files["CDNOW_master.txt"]), sep=r"\s+", header=None, skiprows=1,
                      names=["customer", "date", "quantity", "amount"], dtype={"date": str})  # fmt: skip
    log["day"] = pd.to_datetime(log.date, format="%Y%m%d")
    end = pd.Timestamp("1997-09-30")
    holdout_end = end + pd.Timedelta(days=HOLDOUT_DAYS)
    cal = log[log.day <= end]
    per_day = cal.groupby(["customer", "day"]).amount.sum().reset_index()
    grouped = per_day.groupby("customer")
    first, last, days = grouped.day.min(), grouped.day.max(), grouped.size()
    spend_all, first_spend = grouped.amount.sum(), grouped.amount.first()
    frequency = (days - 1).to_numpy(float)
    recency = (last - first).dt.days.to_numpy(float)
    T = (end - first).dt.days.to_numpy(float)
    monetary = np.divide((spend_all - first_spend).to_numpy(), frequency, out=np.zeros(len(days)), where=frequency > 0)
    params = ev.fit_bgnbd(frequency, recency, T)
    spend = ev.fit_gamma_gamma(frequency, monetary)
    value = ev.expected_purchases(params, HOLDOUT_DAYS, frequency, recency, T) * ev.expected_spend(
        spend, frequency, monetary, fallback=float(spend_all.sum() / days.sum())
    )
    later = set(log.customer[(log.day > end) & (log.day <= holdout_end)])
    bought = np.array([c in later for c in days.index])
    return {
        "customers": len(days),
        "paper_sample_fit_weeks": {k: round(v, 3) for k, v in fitted.as_dict().items()},
        "paper_published_weeks": PAPER,
        "params_days": {k: round(v, 4) for k, v in params.as_dict().items()},
        "spend": {k: round(v, 4) for k, v in spend.as_dict().items()},
        "validation": report(value, T - recency, bought),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END, help="exclusive, local date")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--simulated-members", type=int, default=100_000)
    parser.add_argument("--no-cdnow", action="store_true", help="skip the public CDNOW purchase log")
    parser.add_argument("--fresh", action="store_true", help="reload the benchmark database")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    ns = SimpleNamespace(**vars(args))
    result = {
        "bench": "expected_value",
        "members": args.members,
        "orders": args.orders,
        "holdout_days": HOLDOUT_DAYS,
        "generator": generator_run(ns),
        "simulated": simulated_run(args.simulated_members, args.seed),
        "cdnow": None if args.no_cdnow else cdnow_run(),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
