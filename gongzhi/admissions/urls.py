from django.urls import path

from gongzhi.admissions import views

app_name = "admissions"

urlpatterns = [
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/precheck/", views.request_precheck, name="request_precheck"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request_edit"),
    path("requests/<int:pk>/submit/", views.request_submit, name="request_submit"),
    path("requests/<int:pk>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("requests/<int:pk>/examine/", views.request_examine, name="request_examine"),
    path("requests/<int:pk>/decide/", views.request_decide, name="request_decide"),
    path("requests/<int:pk>/revoke/", views.request_revoke, name="request_revoke"),
    path("requests/<int:pk>/attachments/", views.request_attach, name="request_attach"),
    path("attachments/<uuid:pk>/", views.attachment_download, name="attachment_download"),
    path("attachments/<uuid:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("inbox/", views.inbox, name="inbox"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/funding/", views.task_funding, name="task_funding"),
    path("refusals/", views.refusal_list, name="refusal_list"),
    path("refusals/new/", views.refusal_new, name="refusal_new"),
    path("refusals/<int:pk>/", views.refusal_detail, name="refusal_detail"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/advance/", views.report_advance, name="report_advance"),
    path("reports/<int:pk>/evidence/", views.report_evidence, name="report_evidence"),
]
