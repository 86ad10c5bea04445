from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import errors, views

# Errors: JSON under /api/, the templates elsewhere (communityops/errors.py).
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    # Both need a login (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); the docs page, a page, sends an anonymous
    # browser to the login page rather than answering 403. The split view serves Swagger UI's start-up script
    # as a file (?script), not inline, so the Content-Security-Policy stays strict.
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("", include("members.urls")),
    path("imports/", include("imports.urls")),
    path("users/", include("accounts.urls")),
    path("", include("campaigns.urls")),
    path("", include("outreach.urls")),
    path("", include("livecodes.urls")),
    path("", include("community.urls")),
    path("api/v1/", include("campaigns.api_urls")),
    path("analytics/", include("analytics.urls")),
    path("api/v1/", include("analytics.api_urls")),
]

if settings.BENCH_EMPTY_VIEW:  # bench/livecode.py's yardstick, never routed otherwise
    from livecodes.public_views import bench_empty

    urlpatterns.append(path("bench/empty/", bench_empty, name="bench-empty"))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
