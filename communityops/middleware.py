from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class OrganisationLocaleMiddleware:
    """The organisation's language (zh-hans) unless the user picked another with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many of the team's
    laptops are set to English; the product speaks Chinese until someone asks otherwise.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen and translation.check_for_language(chosen) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
