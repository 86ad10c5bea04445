"""The recap at full size: the weekly and monthly recap of the 100k-member / 1M-order data of
`bench/generate.py` (seed 42, 200 groups, 104 weeks), loaded with the real import commands as
`bench/analytics.py` loads it (SQLite, kept in --out and reused while the files do not change).

    .venv/bin/python bench/recap.py [--out bench/out/recap] [--week 2026-W09] [--month 2026-02]

Figures: `manage.py recap --week … --out recap.html`, `--out recap.pdf` and `--out recap.xlsx` as whole
processes (Python start-up and the analytics store's load from its snapshot included: what the Monday job
pays), and the document alone in process with the store warm (what the page pays once the recap is not kept
yet). The PDF is timed twice: built with its document (`--regenerate`, the Monday job's worst case) and from
the kept document (a download). The last line is JSON; the exit status is 1 when the weekly HTML takes 10 s
or more or the weekly PDF 30 s or more.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.analytics import load_database, manage_env, prepare_files  # noqa: E402
from bench.generate import DEFAULT_END  # noqa: E402

TARGET_HTML_S = 10.0
TARGET_PDF_S = 30.0

IN_PROCESS = """
import json, time
from analytics import store
from analytics.recap.data import build_recap
from analytics.recap.periods import parse_period
store.facts()
out = {{}}
for key in ({week!r}, {month!r}):
    started = time.perf_counter()
    build_recap(parse_period(key))
    out[key] = round(time.perf_counter() - started, 2)
print(json.dumps(out))
"""


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "recap")
    parser.add_argument("--week", default="2026-W09")
    parser.add_argument("--month", default="2026-02")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = prepare_files(args)
    database = args.out / "recap-bench.sqlite3"
    env = manage_env(f"sqlite:///{database}", args.out / "var")
    env["LANGUAGE_CODE"] = "zh-hans"
    if not database.exists():
        load_database("SQLite", f"sqlite:///{database}", paths, env, lambda: None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    # Warm the snapshot once (the store's first load after the import), then time the commands.
    subprocess.run([*manage, "rates", "--week", args.week, "--format", "json"], env=env, check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    figures = {
        "week_html_s": timed(
            [*manage, "recap", "--week", args.week, "--regenerate", "--out", str(args.out / "week.html")], env
        ),  # fmt: skip
        "week_pdf_regenerated_s": timed(
            [*manage, "recap", "--week", args.week, "--regenerate", "--out", str(args.out / "week.pdf")], env
        ),  # fmt: skip
        "week_pdf_s": timed([*manage, "recap", "--week", args.week, "--out", str(args.out / "week.pdf")], env),
        "week_xlsx_s": timed([*manage, "recap", "--week", args.week, "--out", str(args.out / "week.xlsx")], env),
        "month_html_s": timed(
            [*manage, "recap", "--month", args.month, "--regenerate", "--out", str(args.out / "month.html")], env
        ),  # fmt: skip
    }
    code = IN_PROCESS.format(week=args.week, month=args.month)
    result = subprocess.run([*manage, "shell", "-c", code], env=env, check=True, cwd=ROOT, capture_output=True,
                            text=True)  # fmt: skip
    figures["month_pdf_s"] = timed([*manage, "recap", "--month", args.month, "--out", str(args.out / "month.pdf")], env)
    figures["in_process_document_s"] = json.loads(result.stdout.strip().splitlines()[-1])
    figures["target_html_s"] = TARGET_HTML_S
    figures["target_pdf_s"] = TARGET_PDF_S
    print(json.dumps(figures))
    met = figures["week_html_s"] < TARGET_HTML_S and figures["week_pdf_regenerated_s"] < TARGET_PDF_S
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
