"""Every command pays for `django.setup()`: what it loads stays small. The import pipeline's pandas, the
services and the filters load when something uses them, not because an app registered itself or the admin
was discovered (the first `metrics` after an import is timed whole: bench/analytics.py, cold path)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = [
    "pandas",
    "python_calamine",
    "xlsxwriter",
    "phonenumbers",
    "scipy",
    "campaigns.services",
    "imports.jobs",
    "outreach.valuation",
]


def test_django_setup_does_not_load_the_heavy_modules():
    code = f"import django, json, sys; django.setup(); print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "communityops.settings_test"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []
