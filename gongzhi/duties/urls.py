from django.urls import path

from gongzhi.duties import views

app_name = "duties"

urlpatterns = [
    # public
    path("", views.index, name="index"),
    path("c/<str:code>/", views.community, name="community"),
    path("search/", views.search, name="search"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("editions/", views.edition_list, name="editions"),
    path("editions/<int:pk>/", views.edition_detail, name="edition"),
    path("editions/<int:pk>/diff/", views.edition_diff, name="diff"),
    path("editions/<int:pk>/export.xlsx", views.edition_export, name="export"),
    path("template.xlsx", views.template_download, name="template"),
    # list editors (the approval office)
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.edition_new, name="edition_new"),
    path("manage/import/", views.import_new, name="import_new"),
    path("editions/<int:pk>/edit/", views.edition_edit, name="edition_edit"),
    path("editions/<int:pk>/items/new/", views.item_new, name="item_new"),
    path("editions/<int:pk>/import/", views.edition_import, name="edition_import"),
    path("editions/<int:pk>/publish/", views.edition_publish, name="publish"),
    path("editions/<int:pk>/delete/", views.edition_delete, name="edition_delete"),
    path("editions/<int:pk>/copy/", views.edition_copy, name="copy"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/delete/", views.item_delete, name="item_delete"),
]
