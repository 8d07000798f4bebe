"""A URL map for testing the gate itself: the project's URLs plus the mistakes the gate must catch."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from gongzhi.orgs.models import Region
from gongzhi.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def page(request: HttpRequest) -> HttpResponse:
    """Forgot both the sign-in check and CSRF."""
    return HttpResponse("secret")


def thing(request: HttpRequest, pk: int) -> HttpResponse:
    """Forgot the sign-in check; answers 404 for ids that do not exist, 200 for those that do."""
    region = Region.objects.filter(pk=pk).first()
    return JsonResponse({"name": region.name}) if region else HttpResponse(status=404)


@login_required
def guarded(request: HttpRequest) -> HttpResponse:
    return HttpResponse("fine")


leaky_api = NinjaAPI(urls_namespace="leaky_api", docs_url=None, openapi_url=None)


@leaky_api.get("/items/{item_id}")
def item(request: HttpRequest, item_id: int) -> dict[str, int]:
    return {"id": item_id}


urlpatterns = [
    path("leaky/page/", page, name="leaky_page"),
    path("leaky/things/<int:pk>/", thing, name="leaky_thing"),
    path("leaky/guarded/", guarded, name="leaky_guarded"),
    path("leaky-api/", leaky_api.urls),
    *project_urlpatterns,
]
