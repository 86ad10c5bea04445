"""Issue 11, item 9: the API answers every error in JSON, the site its error pages. Django's handlers (for what
no API view answers: an unknown /api/ URL, a request refused before any view, an uncaught exception) are the
ones of communityops/errors.py."""

import json

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.test import Client, RequestFactory

from communityops import errors, urls

HANDLERS = [
    ("handler400", errors.bad_request, SuspiciousOperation(), 400),
    ("handler403", errors.permission_denied, PermissionDenied(), 403),
    ("handler404", errors.page_not_found, Http404(), 404),
    ("handler500", errors.server_error, None, 500),
]


@pytest.mark.parametrize(("name", "handler", "exception", "status"), HANDLERS)
def test_under_api_every_handler_answers_json(name, handler, exception, status):
    assert getattr(urls, name) is handler
    request = RequestFactory().get("/api/v1/anything/", headers={"Accept": "text/html"})
    response = handler(request) if exception is None else handler(request, exception)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "handler", "exception", "status"), HANDLERS)
def test_elsewhere_the_handlers_answer_the_sites_pages(name, handler, exception, status):
    request = RequestFactory().get("/members/")
    response = handler(request) if exception is None else handler(request, exception)
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_an_anonymous_api_call_is_refused_in_json():
    response = Client().post("/api/v1/reminders/1/complete/", {"action": "done"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
