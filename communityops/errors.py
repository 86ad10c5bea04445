"""Errors in the form their reader parses: JSON under /api/ (scripts and the mobile client read `detail`), the
site's error pages everywhere else.

Two paths lead to an error response. An API view's exception goes through DRF's exception handler
(`api_exception_handler`, set in REST_FRAMEWORK): it keeps DRF's answer and forces it to JSON, whatever the
client asked for (`?format=api`, `Accept: text/html`, the schema's YAML). Anything else (an unknown /api/ URL,
a request Django refuses before any view, an uncaught exception) reaches Django's handlers (`handler400` …
`handler500` in the URLconf), which answer JSON for an /api/ path and the templates otherwise.
"""

from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.views import exception_handler

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_exception_handler(exc, context):
    """DRF's answer to an exception, always rendered as JSON (None, as DRF's: the exception is not an API
    error and goes on to Django's handler500)."""
    response = exception_handler(exc, context)
    request = context.get("request")
    if response is not None and request is not None:
        # finalize_response renders with the request's renderer: make it JSON for errors.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return response


def _json(detail, status: int) -> JsonResponse:
    return JsonResponse({"detail": str(detail)}, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request, exception):
    if is_api(request):
        return _json(exceptions.ParseError.default_detail, 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return _json(exceptions.PermissionDenied.default_detail, 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api(request):
        return _json(exceptions.NotFound.default_detail, 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return _json(exceptions.APIException.default_detail, 500)
    return defaults.server_error(request)
