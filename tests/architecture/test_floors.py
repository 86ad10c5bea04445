"""The floors of docs/architecture.md hold: `lint-imports` keeps the contract on the tree, and breaks it the
moment a lower app imports a higher one (so a back-up import fails CI)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT, "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def copy_tree(to: Path) -> Path:
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, to / package, ignore=shutil.ignore_patterns("*.pyc", "__pycache__", "*.html"))
    return to


def test_the_tree_keeps_the_floors():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("members/models.py", "from campaigns.models import Order"),
        ("imports/jobs.py", "import members.importers"),
        ("campaigns/services/coupons.py", "from analytics.segments import segments_at"),
        ("core/money.py", "from communityops.navigation import menu_for"),
        ("analytics/metrics.py", "import demo.loader"),
        # community and outreach share a floor as independent siblings: neither imports the other.
        ("community/services/alerts.py", "from outreach.models import CallTask"),
        ("outreach/services/claims.py", "from community.models import Rule"),
        ("campaigns/services/playbooks.py", "from community.models import Removal"),
    ],
)
def test_an_import_up_a_floor_breaks_the_contract(tmp_path, module, upward):
    tree = copy_tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{upward}  # up a floor\n")
    result = lint(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout, result.stdout


def test_every_app_has_a_floor():
    """A package of ours that is not in the contract is not checked at all: each must be listed."""
    ours = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert ours <= set(CONFIG["root_packages"])
    # A floor may hold independent siblings: "outreach | community | livecodes".
    floors = {name.strip("() ") for layer in CONFIG["contracts"][0]["layers"] for name in layer.split("|")}
    assert set(CONFIG["root_packages"]) <= floors
