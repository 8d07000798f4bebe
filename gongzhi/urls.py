"""URL map. Each app owns its urls.py; the API is one django-ninja instance under /api/."""

from django.contrib import admin
from django.urls import include, path

from gongzhi.api import api

urlpatterns = [
    path("", include("gongzhi.core.urls")),  # first: it also takes over admin/login/ and admin/logout/
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("community/", include("gongzhi.orgs.urls")),
    path("lists/", include("gongzhi.duties.urls")),
    path("admissions/", include("gongzhi.admissions.urls")),
    path("notifications/", include("gongzhi.core.notify_urls")),
    path("cleanup/", include("gongzhi.cleanup.urls")),
    path("evaluations/", include("gongzhi.evaluations.urls")),
    path("agreements/", include("gongzhi.agreements.urls")),
    path("funds/", include("gongzhi.funds.urls")),
    path("", include("gongzhi.surveys.urls")),  # /s/<code>/ (short, for QR codes) and /surveys/
    path("", include("gongzhi.web.urls")),
]
