from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET = "SECRET_KEY must be set when DJANGO_DEBUG is off."
FILESYSTEM_BROKER = (
    "CELERY_BROKER_URL must name a Redis server (redis://…) when DJANGO_DEBUG is off: the filesystem broker "
    "is for the demo (bin/demo) only, because there one pool process killed (kill -9, the out-of-memory "
    "killer) stops the Celery worker for good."
)


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if getattr(settings, "SECRET_KEY_MISSING", False):
        return [Error(MISSING_SECRET, hint="Set SECRET_KEY in the environment.", id="communityops.E001")]
    return []


@register(deploy=True)
def broker_is_a_server(app_configs, **kwargs):
    if getattr(settings, "BROKER_NOT_FOR_PRODUCTION", False):
        hint = "Set CELERY_BROKER_URL=redis://HOST:6379/0 in the environment."
        return [Error(FILESYSTEM_BROKER, hint=hint, id="communityops.E002")]
    return []


def refuse_to_serve_without_secret() -> None:
    if getattr(settings, "SECRET_KEY_MISSING", False):
        raise ImproperlyConfigured(MISSING_SECRET)


def refuse_to_serve_on_the_filesystem_broker() -> None:
    """Called where the web server, the worker and beat start; commands that serve nothing still run."""
    if getattr(settings, "BROKER_NOT_FOR_PRODUCTION", False):
        raise ImproperlyConfigured(FILESYSTEM_BROKER)
