from django.urls import path

from gongzhi.cleanup import views

app_name = "cleanup"

urlpatterns = [
    path("", views.home, name="home"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/move/", views.campaign_move, name="campaign_move"),
    path("campaigns/<int:pk>/accept/", views.campaign_accept, name="campaign_accept"),
    path("campaigns/<int:pk>/tasks/new/", views.task_add, name="task_add"),
    path("campaigns/<int:pk>/tasks/import/", views.task_import, name="task_import"),
    path("tasks/template.xlsx", views.task_template, name="task_template"),
    path("tasks/<int:pk>/decide/", views.task_decide, name="task_decide"),
    path("tasks/<int:pk>/withdraw/", views.task_withdraw, name="task_withdraw"),
    path("plaques/", views.plaque_list, name="plaque_list"),
    path("plaques/new/", views.plaque_add, name="plaque_add"),
    path("plaques/<int:pk>/", views.plaque_detail, name="plaque_detail"),
    path("plaques/<int:pk>/photo/upload/", views.plaque_photo_upload, name="plaque_photo_upload"),
    path("plaques/<int:pk>/photo/", views.plaque_photo, name="plaque_photo"),
    path("reviews/<int:pk>/decide/", views.review_decide, name="review_decide"),
    path("reviews/<int:pk>/confirm/", views.review_confirm, name="review_confirm"),
    path("reviews/<int:pk>/photo/", views.review_photo, name="review_photo"),
    path("allowed/", views.allowed_list, name="allowed_list"),
    path("allowed/<int:pk>/remove/", views.allowed_remove, name="allowed_remove"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/region/<int:pk>/", views.dashboard_region, name="dashboard_region"),
    path("dashboard/region/<int:pk>/export.xlsx", views.dashboard_region_xlsx, name="dashboard_region_xlsx"),
    path("dashboard/department/<int:pk>/", views.dashboard_department, name="dashboard_department"),
    path(
        "dashboard/department/<int:pk>/export.xlsx",
        views.dashboard_department_xlsx,
        name="dashboard_department_xlsx",
    ),
    path("public/community/<int:pk>/", views.public_community, name="public_community"),
    path("calendar/", views.calendar, name="calendar"),
]
