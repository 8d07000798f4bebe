from django.urls import path

from gongzhi.surveys import views

app_name = "surveys"

urlpatterns = [
    # answering: public (by code) and signed in
    path("s/", views.enter, name="enter"),
    path("s/answer/", views.answer, name="answer"),  # the code is in a signed cookie, never in the URL
    path("s/<str:code>/", views.answer_code, name="answer_code"),  # a slip's QR link: redirects to s/answer/
    path("surveys/mine/", views.mine, name="mine"),
    path("surveys/<int:pk>/answer/", views.answer_account, name="answer_account"),
    path("surveys/<int:pk>/assist/", views.assist, name="assist"),
    # building and running
    path("surveys/", views.index, name="index"),
    path("surveys/new/", views.create, name="create"),
    path("surveys/<int:pk>/", views.detail, name="detail"),
    path("surveys/<int:pk>/edit/", views.edit, name="edit"),
    path("surveys/<int:pk>/questions/new/", views.question_add, name="question_add"),
    path("surveys/questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("surveys/questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
    path("surveys/<int:pk>/move/", views.move, name="move"),
    path("surveys/<int:pk>/new-version/", views.new_version, name="new_version"),
    # invitations
    path("surveys/<int:pk>/invitations/", views.invitations, name="invitations"),
    path("surveys/<int:pk>/slips/", views.slips, name="slips"),
    path("surveys/<int:pk>/reissue/", views.reissue, name="reissue"),
    # results
    path("surveys/<int:pk>/results/", views.results, name="results"),
    path("surveys/questions/<int:pk>/comments/", views.comments, name="comments"),
]
