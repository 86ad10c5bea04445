from django.conf import settings
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers


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


class NoStoreMiddleware:
    """`Cache-Control: no-store` (with Django's other never-cache headers) on every response Django renders.

    One rule, no list of views to keep up to date: every page but the login page is behind the login and
    shows the team's customers, groups, orders, exports or API data, which must not stay in a shared
    computer's browser cache or a proxy's; the login page carries a CSRF token, which must not either. Static
    files never reach this middleware (WhiteNoise, above it, answers them with their long cache) and show
    no one's data.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
