from django.urls import path

from gongzhi.funds import views

app_name = "funds"

urlpatterns = [
    path("", views.home, name="home"),
    path("budgets/new/", views.open_budget, name="open_budget"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
    path("accounts/<int:pk>/fund/", views.fund, name="fund"),
    path("accounts/<int:pk>/export.xlsx", views.account_xlsx, name="account_xlsx"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer"),
    path("transfers/<int:pk>/reverse/", views.reverse, name="reverse"),
    path("totals/", views.totals, name="totals"),
    path("totals/export.xlsx", views.totals_xlsx, name="totals_xlsx"),
]
