"""Settings for the test suite: the production settings with test-only relaxations, nothing else."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("COMMUNITYOPS_VAR_DIR", os.path.join(tempfile.gettempdir(), "communityops-test-var"))
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
