"""Peak memory of imports whatever the file (issue 11): full-size files and hostile ones, each imported by
the real command in its own process, measured with wait4 (the whole process's peak RSS).

    .venv/bin/python bench/import_limits.py            # SQLite; reuses bench/out from bench/imports.py

Files: the 1M-row orders.csv and the 100k-row members.xlsx of `bench/generate.py` (generated as
bench/imports.py does, or reused), and, generated here into OUT/hostile/:
- bomb.xlsx: a sheet of about 1 GB of XML (repeated rows of cells) deflated to a few MB;
- far-cells.xlsx: a header, one row, and one cell at XFD1048576 (python-calamine made a grid 16,384 wide
  and 1M rows high of it);
- long-header.csv: a 10 MB header line (`_csv.Error: field larger than field limit`, before);
- open-quote.csv: 100 MB of rows after a quote that is never closed (read whole as one value, before).
The hostile files must be refused (exit status 1, `line N…` naming the limit), the others imported. Targets:
every peak under 500 MB, the bomb refused in under 10 s. Exit status 1 when one is missed. Results go to
OUT/results-limits.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.imports import DEFAULT_END, OWNERS, SETUP, count_rows, prepare_data, run_measured  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PEAK_MB = 500.0
BOMB_SECONDS = 10.0
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _workbook(path: Path, sheet_rows, dimension: str) -> None:
    """A minimal XLSX whose first sheet's XML is the header row plus whatever `sheet_rows` yields."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/></Types>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<workbook {_NS} {_REL_NS}><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                f'<worksheet {_NS}><dimension ref="{dimension}"/><sheetData><row r="1">'
                '<c r="A1" t="inlineStr"><is><t>external_id</t></is></c>'
                '<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'.encode()
            )
            for block in sheet_rows:
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")


def make_hostile(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("bomb.xlsx", "far-cells.xlsx", "long-header.csv", "open-quote.csv")}
    if all(path.exists() for path in paths.values()):
        return paths

    def bomb_rows():
        # The same ten rows over and over (within deflate's 32 KB window, so they pack ~1000:1): ~1 GB of XML.
        rows = b"".join(
            b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>KH%d</t></is></c><c r="B%d"><v>13800138000</v></c></row>'
            % (n, n, n, n)
            for n in range(2, 12)
        )
        block = rows * ((1 << 20) // len(rows))
        for _ in range(1024**3 // len(block)):
            yield block

    _workbook(paths["bomb.xlsx"], bomb_rows(), "A1:B1048576")
    far = (
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>KH1</t></is></c></row>'
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    _workbook(paths["far-cells.xlsx"], [far], "A1:XFD1048576")
    paths["long-header.csv"].write_bytes(b"external_id,name," + b"x" * (10 * 1024 * 1024) + b"\nKH1,a,\n")
    with open(paths["open-quote.csv"], "wb") as handle:
        handle.write(b'external_id,name\nKH1,"unclosed\n')
        block = b"KH2,\xe5\xbc\xa0\xe4\xb8\x89\n" * (1 << 16)
        for _ in range(100 * 1024 * 1024 // len(block)):
            handle.write(block)
    return paths


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end", default=DEFAULT_END)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = prepare_data(args)
    print("hostile files …", flush=True)
    hostile = make_hostile(args.out / "hostile")
    for name, path in hostile.items():
        print(f"  {name:<16} {path.stat().st_size:>13,} bytes")
    with zipfile.ZipFile(hostile["bomb.xlsx"]) as bomb:
        unpacked = bomb.getinfo("xl/worksheets/sheet1.xml").file_size
    print(f"  bomb.xlsx's sheet XML unpacks to {unpacked:,} bytes")

    results = []
    with tempfile.TemporaryDirectory(prefix="communityops-bench-limits-") as tmp:
        log_dir = Path(tmp)
        env = {
            **os.environ,
            "PYTHONPYCACHEPREFIX": str(args.out / "pycache"),
            "DATABASE_URL": f"sqlite:///{log_dir / 'bench.sqlite3'}",
            "COMMUNITYOPS_VAR_DIR": str(log_dir / "var"),
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "localhost",
            "LANGUAGE_CODE": "en",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        setup = SETUP.format(codebook=str(paths["codebook"]), owners=OWNERS)
        subprocess.run([*manage, "shell", "-c", setup], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        subprocess.run([*manage, "import_groups", str(paths["groups"])], env=env, check=True, cwd=ROOT)
        print("\nstep                             wall        cpu         peak")
        steps = [
            ("members.xlsx (100k rows)", "import_members", paths["members_xlsx"], args.members, True),
            ("orders.csv (1M rows)", "import_orders", paths["orders"], count_rows(paths["orders"]), True),
            *((name, "import_members", path, 0, False) for name, path in hostile.items()),
        ]
        for name, command, path, rows, ok in steps:
            result = run_measured(name, [*manage, command, str(path)], env, rows, log_dir, check=ok)
            if not ok:
                print(f"      refused: {result['first_error'][:150]}")
                result["refused"] = result["exit_status"] == 1 and result["first_error"].startswith("line ")
            results.append(result)

    failed = False
    print(f"\ntargets: peak < {PEAK_MB:.0f} MB for every file; the bomb refused in < {BOMB_SECONDS:.0f} s")
    for result in results:
        ok = result["peak_mb"] < PEAK_MB and result.get("refused", True)
        if result["step"] == "bomb.xlsx":
            ok &= result["seconds"] < BOMB_SECONDS
        failed |= not ok
        print(
            f"  {result['step']:<26} {result['seconds']:6.2f} s {result['peak_mb']:7.1f} MB  "
            + ("ok" if ok else "MISSED")
        )
    (args.out / "results-limits.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
