"""The README's commands: bin/demo refuses a port already taken; bin/test's system-package step installs exactly
what is missing; CI runs bin/test. (bin/demo serving with web, worker and beat, restarting a stalled worker and
stopping them all on Ctrl-C is one start of it, in tests/communityops/test_worker_watchdog.py.)"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_ONLY_VARIABLES = (
    "DJANGO_",
    "CELERY_",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "DATABASE_URL",
    "COMMUNITYOPS_VAR_DIR",
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(TEST_ONLY_VARIABLES) and key not in ("HOST", "PORT", "WEB_CONCURRENCY")
    }
    env.update(extra)
    return env


def process_groups() -> dict[int, list[int]]:
    """Process group id -> the pids in it, for every process on the machine."""
    groups: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
        fields = text[text.rindex(")") + 2 :].split()
        groups.setdefault(int(fields[2]), []).append(int(stat.parent.name))
    return groups


def log_in(base_url: str, username: str, password: str) -> tuple[int, str]:
    """Log in through the login form over plain HTTP, as a browser would; returns the landing page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = base_url + "accounts/login/"
    with opener.open(login_url, timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(login_url, data=form.encode(), headers={"Referer": login_url})
    with opener.open(request, timeout=30) as response:
        return response.status, response.url


def test_demo_refuses_a_taken_port_before_touching_logs_or_the_broker(tmp_path):
    """A second bin/demo on the first one's port: it says who holds the port and leaves the first one's files."""
    var = tmp_path / "var"
    (var / "log").mkdir(parents=True)
    logs = {name: f"the first demo's {name} log\n" for name in ("web", "worker", "beat")}
    for name, text in logs.items():
        (var / "log" / f"{name}.log").write_text(text)
    with socket.socket() as first:  # the first demo's web server, as far as the port is concerned
        first.bind(("127.0.0.1", 0))
        first.listen()
        port = first.getsockname()[1]
        env = clean_env(PORT=str(port), COMMUNITYOPS_VAR_DIR=str(var))
        second = subprocess.Popen(
            ["bin/demo", "--no-setup"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            out, err = second.communicate(timeout=120)
        finally:
            if second.poll() is None:
                os.killpg(second.pid, signal.SIGTERM)  # bin/demo stops what it started
                second.communicate(timeout=60)
    assert second.returncode == 1
    assert f"127.0.0.1:{port} is taken" in err
    assert f"pid {os.getpid()}: " in err  # this test's process holds it
    assert f"PORT={port + 1} bin/demo" in err
    assert "running" not in out
    for name, text in logs.items():
        assert (var / "log" / f"{name}.log").read_text() == text
    assert sorted(path.name for path in var.iterdir()) == ["log"]  # no broker, no database, no static files


# --- bin/system-packages: the apt-get step of bin/test, with dpkg-query and apt-get faked ----------


@pytest.fixture
def fake_debian(tmp_path):
    """A PATH where dpkg-query reports the packages in $MISSING as absent and apt-get only records calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-get.calls"
    scripts = {
        # Called as: dpkg-query -W -f='${Status}' PACKAGE
        "dpkg-query": (
            '#!/bin/sh\nfor p in $MISSING; do [ "$p" = "$3" ] && exit 1; done\nprintf "install ok installed"\n'
        ),
        "apt-get": f'#!/bin/sh\necho "$*" >> {calls}\n',
        # Never the real sudo (or apt-get through it).
        "sudo": "#!/bin/sh\nexit 1\n",
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)

    def run(missing: str, **extra: str) -> subprocess.CompletedProcess:
        env = clean_env(PATH=f"{bin_dir}:{os.environ['PATH']}", MISSING=missing, **extra)
        return subprocess.run(
            [str(ROOT / "bin" / "system-packages")], env=env, capture_output=True, text=True, timeout=60
        )

    def recorded() -> list[str]:
        return calls.read_text().splitlines() if calls.exists() else []

    run.bin_dir, run.recorded = bin_dir, recorded
    return run


@pytest.mark.skipif(os.geteuid() != 0, reason="the install branch runs as root")
def test_system_packages_updates_and_installs_only_what_is_missing(fake_debian):
    result = fake_debian("redis-server chromium")
    assert result.returncode == 0, result.stderr
    assert fake_debian.recorded() == [
        "update -qq",
        "install -y -qq --no-install-recommends redis-server chromium",
    ]


def test_system_packages_does_nothing_when_everything_is_installed(fake_debian):
    result = fake_debian("")
    assert result.returncode == 0, result.stderr
    assert fake_debian.recorded() == []


def test_system_packages_without_root_says_what_to_install(fake_debian):
    (fake_debian.bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    (fake_debian.bin_dir / "id").chmod(0o755)
    result = fake_debian("fonts-noto-cjk gettext")
    assert result.returncode == 1
    assert "sudo apt-get install -y fonts-noto-cjk gettext" in result.stderr
    assert fake_debian.recorded() == []


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in ci
    assert ci.rstrip().endswith("exec bin/test")
    readme = (ROOT / "README.md").read_text()
    assert "bin/demo" in readme
    assert "bin/test" in readme
    for script in ("bin/demo", "bin/test", "bin/setup", "bin/system-packages", ".ci/run"):
        assert os.access(ROOT / script, os.X_OK), script


def test_env_example_lists_every_variable_the_settings_read():
    settings_text = (ROOT / "communityops" / "settings.py").read_text()
    read = set(re.findall(r"""env\.\w+\(\s*["']([A-Z][A-Z0-9_]+)["']""", settings_text))
    read |= set(re.findall(r"""Env\(\)\.\w+\(\s*["']([A-Z][A-Z0-9_]+)["']""", settings_text))
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "COMMUNITYOPS_VAR_DIR"} <= read
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert sorted(read - listed) == [], "add these to .env.example (and the README's table)"
