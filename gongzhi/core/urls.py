"""Sign-in, sign-out and the signed-in user's own account pages.

The admin site's own sign-in and sign-out URLs are routed here too (included before admin.site.urls), so that
there is one sign-in page with one lockout counter and one audit trail.
"""

from django.urls import path

from gongzhi.core import token_views, views

app_name = "core"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.profile, name="profile"),
    path("account/password/", views.password_change, name="password"),
    path("account/tokens/", token_views.tokens, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", token_views.revoke, name="token_revoke"),
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/logout/", views.logout_view, name="admin_logout"),
]
