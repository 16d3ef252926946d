"""Every URL here must carry an access rule (helpline.accounts.access); a test walks them all."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_GET

from config import health
from config.api import api
from helpline.accounts.access import API, PUBLIC, access
from helpline.console import views_home
from helpline.operations import views_metrics


def _declare_api(patterns: list) -> list:  # type: ignore[type-arg]
    """The API checks callers per operation (see api_auth.api_access); its schema is public."""
    for pattern in patterns:
        callback = getattr(pattern, "callback", None)
        if callback is not None:
            access(PUBLIC if pattern.name == "openapi-json" else API)(callback)
        elif hasattr(pattern, "url_patterns"):
            _declare_api(pattern.url_patterns)
    return patterns


@access(PUBLIC)
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Where a browser looks when a page names no icon (a JSON answer, a file): the page's icon."""
    return redirect(static("helpline/favicon.svg"), permanent=True)


api_patterns, api_app, api_namespace = api.urls
urlpatterns = [
    path("", views_home.home, name="home"),  # by its plain name: every page's header links to it
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    path("metrics", views_metrics.metrics, name="metrics"),
    path("", include("helpline.console.urls")),
    path("accounts/", include("helpline.accounts.urls")),
    path("audit/", include("helpline.audit.urls")),
    path("", include("helpline.contacts.urls")),
    path("hooks/", include("config.hooks")),
    path("", include("helpline.conversations.urls")),
    path("", include("helpline.routing.urls")),
    path("", include("helpline.voice.urls")),
    path("", include("helpline.cases.urls")),
    path("", include("helpline.referrals.urls")),
    path("", include("helpline.rota.urls")),
    path("", include("helpline.people.urls")),
    path("", include("helpline.operations.urls")),
    path("", include("helpline.reports.urls")),
    path("", include("helpline.feedback.urls")),
    path("api/v1/", include((_declare_api(api_patterns), api_app), namespace=api_namespace)),
]

handler403 = "helpline.common.errors.forbidden"
handler404 = "helpline.common.errors.not_found"
handler500 = "helpline.common.errors.server_error"
handler400 = "helpline.common.errors.bad_request"
