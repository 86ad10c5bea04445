from django.conf import settings
from django.core.checks import Error, Tags, register

MISSING_SECRET = "SECRET_KEY must be set when DJANGO_DEBUG is off."


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs, **kwargs):
    if getattr(settings, "SECRET_KEY_MISSING", False):
        return [Error(MISSING_SECRET, hint="Set SECRET_KEY in the environment.", id="communityops.E001")]
    return []


def refuse_to_serve_without_secret() -> None:
    from django.core.exceptions import ImproperlyConfigured

    if getattr(settings, "SECRET_KEY_MISSING", False):
        raise ImproperlyConfigured(MISSING_SECRET)
