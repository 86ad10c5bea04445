import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The test settings relax security through the environment; a subprocess must not inherit that.
    relaxed = {
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests for Playwright; never in deployment
    }
    base = {k: v for k, v in os.environ.items() if k not in relaxed}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-real-production-secret-" + "x9Qz" * 12,
        ALLOWED_HOSTS="ops.example.com",
        DJANGO_DEBUG="0",
        CELERY_BROKER_URL="redis://redis.example.com:6379/0",
        COMMUNITYOPS_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_missing_secret_key_refuses_to_start_in_production(tmp_path):
    env = {"DJANGO_DEBUG": "0", "SECRET_KEY": "", "COMMUNITYOPS_VAR_DIR": str(tmp_path)}
    deploy = run_manage("check", "--deploy", **env)
    assert deploy.returncode != 0
    assert "SECRET_KEY must be set" in deploy.stderr
    served = run_manage("shell", "-c", "import communityops.wsgi", **env)
    assert served.returncode != 0
    assert "SECRET_KEY must be set" in served.stderr


def test_commands_that_serve_nothing_run_without_a_secret(tmp_path):
    result = run_manage(
        "makemigrations", "--check", "--dry-run", DJANGO_DEBUG="0", SECRET_KEY="", COMMUNITYOPS_VAR_DIR=str(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_match_models(tmp_path):
    result = run_manage("makemigrations", "--check", "--dry-run", DJANGO_DEBUG="1", COMMUNITYOPS_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_pages_speak_chinese_whatever_the_browser_asks(client, operator):
    client.force_login(operator)
    response = client.get("/members/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    assert "客户" in response.content.decode()


def test_the_language_switch_is_remembered(client, operator):
    client.force_login(operator)
    client.post("/i18n/setlang/", {"language": "en", "next": "/members/"})
    response = client.get("/members/")
    assert response.headers["Content-Language"] == "en"
    assert "Members" in response.content.decode()


PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": "a-real-production-secret-" + "x9Qz" * 12,
    "ALLOWED_HOSTS": "ops.example.com",
    "CELERY_BROKER_URL": "filesystem://",
    "DEMO_MODE": "0",
}


def test_production_refuses_the_filesystem_broker(tmp_path):
    env = {**PRODUCTION, "COMMUNITYOPS_VAR_DIR": str(tmp_path)}
    deploy = run_manage("check", "--deploy", **env)
    assert deploy.returncode != 0
    assert "communityops.E002" in deploy.stderr
    assert "CELERY_BROKER_URL must name a Redis server" in deploy.stderr
    served = run_manage("shell", "-c", "import communityops.wsgi", **env)
    assert served.returncode != 0
    assert "CELERY_BROKER_URL must name a Redis server" in served.stderr
    # Commands that serve nothing still run (a migration, an import from the shell).
    assert run_manage("shell", "-c", "print('ok')", **env).returncode == 0


def test_the_worker_and_beat_refuse_the_filesystem_broker_in_production(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "SECURE_"))}
    env = {
        **base,
        **PRODUCTION,
        "COMMUNITYOPS_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "communityops.settings",
        "PYTHONPATH": str(ROOT),
    }
    celery = [sys.executable, "-m", "celery", "-A", "communityops"]
    for command in (["worker", "--pool", "solo"], ["beat", "--schedule", str(tmp_path / "beat-schedule")]):
        result = subprocess.run([*celery, *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode != 0, command
        assert "CELERY_BROKER_URL must name a Redis server" in result.stdout + result.stderr, command


def test_the_demo_and_development_keep_the_filesystem_broker(tmp_path):
    for extra in ({"DEMO_MODE": "1"}, {"DJANGO_DEBUG": "1"}):
        env = {**PRODUCTION, "COMMUNITYOPS_VAR_DIR": str(tmp_path), **extra}
        served = run_manage("shell", "-c", "import communityops.wsgi", **env)
        assert served.returncode == 0, served.stderr
    redis = run_manage(
        "shell", "-c", "import communityops.wsgi", **{**PRODUCTION, "CELERY_BROKER_URL": "redis://r:6379/0"}
    )
    assert redis.returncode == 0, redis.stderr


def test_redis_redelivers_a_dead_workers_task_only_after_the_longest_task_could_run(tmp_path):
    shown = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], s.CELERY_TASK_TIME_LIMIT)",
        **{**PRODUCTION, "CELERY_BROKER_URL": "redis://r:6379/0", "COMMUNITYOPS_VAR_DIR": str(tmp_path)},
    )
    visibility_timeout, time_limit = map(int, shown.stdout.splitlines()[-1].split())
    assert visibility_timeout > time_limit
