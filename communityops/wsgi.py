import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "communityops.settings")
application = get_wsgi_application()

from communityops.checks import refuse_to_serve_on_the_filesystem_broker, refuse_to_serve_without_secret  # noqa: E402

refuse_to_serve_without_secret()
refuse_to_serve_on_the_filesystem_broker()
