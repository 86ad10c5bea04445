"""Settings for the test suite: the production settings with test-only relaxations, nothing else."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
# Each test process gets its own files (media, broker folders, the analytics store): every pytest-xdist worker
# a directory of its own, though it inherits the variable from the controller; the processes a test starts
# inherit their parent's and share them.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if "COMMUNITYOPS_VAR_DIR" not in os.environ or os.environ.get("COMMUNITYOPS_TEST_VAR_OF", "") != _worker:
    os.environ["COMMUNITYOPS_VAR_DIR"] = tempfile.mkdtemp(prefix=f"communityops-test-var-{_worker}")
    os.environ["COMMUNITYOPS_TEST_VAR_OF"] = _worker
    atexit.register(shutil.rmtree, os.environ["COMMUNITYOPS_VAR_DIR"], ignore_errors=True)
# The live server and the browser talk plain HTTP on loopback.
for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
    os.environ.setdefault(name, "0")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")

from .settings import *  # noqa: E402,F403

CELERY_TASK_ALWAYS_EAGER = True
# Tasks run eagerly: no broker is used, so the filesystem default is no risk here (communityops/checks.py).
BROKER_NOT_FOR_PRODUCTION = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
