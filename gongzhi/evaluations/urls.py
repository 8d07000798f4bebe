from django.urls import path

from gongzhi.evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("", views.home, name="home"),
    path("cycles/new/", views.cycle_new, name="cycle_new"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/weights/", views.cycle_weights, name="cycle_weights"),
    path("cycles/<int:pk>/rules/", views.cycle_rules, name="cycle_rules"),
    path("cycles/<int:pk>/survey/", views.cycle_survey, name="cycle_survey"),
    path("cycles/<int:pk>/move/", views.cycle_move, name="cycle_move"),
    path("cycles/<int:pk>/remind/", views.cycle_remind, name="cycle_remind"),
    path("cycles/<int:pk>/rate/", views.rate, name="rate"),
    path("cycles/<int:pk>/review/", views.review, name="review"),
    path(
        "cycles/<int:pk>/review/<str:direction>/<int:subject_id>/",
        views.review_subject,
        name="review_subject",
    ),
    path("cycles/<int:pk>/settlements/", views.settlements, name="settlements"),
    path("cycles/<int:pk>/settlements/<int:agreement_id>/settle/", views.settle, name="settle"),
    path("scores/<int:pk>/adjust/", views.score_adjust, name="score_adjust"),
    path("results/", views.public_index, name="public_index"),
    path("results/<int:pk>/", views.public_results, name="public_results"),
    path("results/<int:pk>/report/", views.public_report, name="public_report"),
    path("results/<int:pk>/export.xlsx", views.public_export, name="public_export"),
]
