"""The signed-in user's notifications page (gongzhi.core.notify)."""

from django.urls import path

from gongzhi.core import notify_views

app_name = "notifications"

urlpatterns = [
    path("", notify_views.notification_list, name="list"),
    path("read/", notify_views.mark_read, name="read"),
    path("preference/", notify_views.preference, name="preference"),
]
