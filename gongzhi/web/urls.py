from django.urls import path

from gongzhi.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("directory/", views.directory, name="directory"),
    path("directory/community/<int:pk>/", views.directory_community, name="directory_community"),
    path("directory/org/<int:pk>/", views.directory_org, name="directory_org"),
]
