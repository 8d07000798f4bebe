from django.urls import path

from gongzhi.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("directory/", views.directory, name="directory"),
]
