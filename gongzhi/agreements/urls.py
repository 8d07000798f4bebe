from django.urls import path

from gongzhi.agreements import views

app_name = "agreements"

urlpatterns = [
    path("department/", views.department, name="department"),
    path("community/", views.party, name="party"),
    path("office/", views.office, name="office"),
    path("new/", views.create, name="create"),
    path("export.xlsx", views.export_xlsx, name="export"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/terms/", views.edit_terms, name="edit_terms"),
    path("<int:pk>/tasks/add/", views.add_tasks, name="add_tasks"),
    path("<int:pk>/services/add/", views.add_service, name="add_service"),
    path("<int:pk>/items/<int:task>/", views.edit_item, name="edit_item"),
    path("<int:pk>/send/", views.send, name="send"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/sign/", views.sign, name="sign"),
    path("<int:pk>/reserve/", views.reserve, name="reserve"),
    path("<int:pk>/amend/", views.amend, name="amend"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/terminate/", views.terminate, name="terminate"),
    path("<int:pk>/complete/", views.complete, name="complete"),
    path("<int:pk>/instalments/<int:seq>/pay/", views.pay, name="pay"),
    path("<int:pk>/v<int:number>/", views.version, name="version"),
    path("<int:pk>/v<int:number>/print/", views.print_version, name="print"),
    path("<int:pk>/v<int:number>/docx/", views.docx, name="docx"),
    path("<int:pk>/diff/<int:a>/<int:b>/", views.diff, name="diff"),
    path("<int:pk>/tasks/<int:task>/report/", views.report, name="report"),
    path("completions/<int:pk>/review/", views.review, name="review"),
    path("completions/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("completions/<int:pk>/evidence/", views.evidence_file, name="evidence"),
    path("admitted/<int:pk>/refuse/", views.refuse, name="refuse"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("public/community/<int:pk>/", views.public_community, name="public_community"),
]
