"""Pages of the funds ledger: my accounts, an account's statement (balance, reserved, available, entries, open
reservations), funding a budget, opening a budget, a transfer with its reversal, the approval office's city totals,
and the xlsx exports. Thin: parse, fetch through funds.permissions (404 for what a user may not see or do), call
one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core import crypto
from gongzhi.core.errors import DomainError
from gongzhi.core.models import User
from gongzhi.core.roles import Cap, OrgKind
from gongzhi.funds import permissions, queries, services, xlsx
from gongzhi.funds.forms import FundForm, OpenBudgetForm, ReverseForm, TotalsFilter, to_fen
from gongzhi.funds.models import Account, Entry, Transfer, entry_canonical
from gongzhi.orgs.models import Organization
from gongzhi.web.viewkit import fetch_or_404 as _get
from gongzhi.web.viewkit import not_found as _deny
from gongzhi.web.viewkit import signed_in_user as _user

PAGE_SIZE = 50


def _fail(form: Form, exc: DomainError) -> int:
    placed = False
    for name in exc.fields:
        if name in form.fields:
            form.add_error(name, exc.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
    return exc.status


def _finance_departments(user: User) -> Any:
    return Organization.objects.filter(
        pk__in=permissions.orgs_with_cap(user, Cap.PAY_INSTALMENTS), kind=OrgKind.DEPARTMENT
    ).order_by("name")


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=xlsx.XLSX_MIME)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not permissions.can_use_funds(user):
        raise _deny()
    accounts = permissions.accounts_for_user(user).exclude(kind=Account.Kind.SOURCE)
    if permissions.can_view_totals(user):  # the office sees every account on the totals page instead
        accounts = accounts.none()
    context = {
        "budgets": accounts.filter(kind=Account.Kind.BUDGET).order_by("-year", "name")[:100],
        "others": accounts.exclude(kind=Account.Kind.BUDGET).order_by("kind", "name")[:100],
        "can_open": _finance_departments(user).exists(),
        "can_totals": permissions.can_view_totals(user),
    }
    return render(request, "funds/home.html", context)


@login_required
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    account = _get(permissions.get_account_for_user, user, pk)
    page = Paginator(queries.statement(account), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(e, queries.counterparty(e)) for e in page.object_list]
    context = {
        "account": account,
        "page": page,
        "rows": rows,
        "reservations": queries.open_reservations(account)[:100],
        "can_fund": permissions.can_fund(user, account),
    }
    return render(request, "funds/account.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def fund(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    account = _get(permissions.get_account_for_user, user, pk)
    if not permissions.can_fund(user, account):
        raise _deny()
    form = FundForm(request.POST or None, initial={"token": FundForm.new_token()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                transfer = services.fund_budget(
                    actor=user,
                    account=account,
                    amount=to_fen(data["amount"]),
                    memo=data["memo"],
                    ref=f"form:{data['token']}",
                )
            except services.DuplicateRef:
                messages.info(request, _("该表单已提交过,未重复下达。"))
                return redirect("funds:account", pk=account.pk)
            except DomainError as exc:
                status = _fail(form, exc)
            else:
                messages.success(request, _("已下达 %(y)s 元。") % {"y": transfer.amount_yuan})
                return redirect("funds:account", pk=account.pk)
        else:
            status = 422
    return render(request, "funds/fund.html", {"account": account, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def open_budget(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    departments = _finance_departments(user)
    if not departments.exists():
        raise _deny()
    form = OpenBudgetForm(
        request.POST or None, departments=departments, initial={"year": timezone.localdate().year}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                account = services.ensure_account(
                    actor=user,
                    organization=form.cleaned_data["department"],
                    kind=Account.Kind.BUDGET,
                    year=form.cleaned_data["year"],
                )
            except DomainError as exc:
                status = _fail(form, exc)
            else:
                return redirect("funds:account", pk=account.pk)
        else:
            status = 422
    return render(request, "funds/open_budget.html", {"form": form}, status=status)


@login_required
@require_GET
def account_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    account = _get(permissions.get_account_for_user, _user(request), pk)
    data = xlsx.statement(account, Entry.objects.filter(account=account).select_related("transfer"))
    return _xlsx(data, f"account-{account.pk}.xlsx")


@login_required
@require_GET
def transfer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    transfer = _get(permissions.get_transfer_for_user, user, pk)
    legs = [
        (e, crypto.verify_mac("ledger", entry_canonical(e, transfer), e.mac))
        for e in transfer.entries.select_related("account").order_by("amount")
    ]
    reversal = Transfer.objects.filter(reverses=transfer).first()
    context = {
        "transfer": transfer,
        "legs": legs,
        "reversal": reversal,
        "can_reverse": reversal is None and permissions.can_reverse(user, transfer),
        "form": ReverseForm(),
    }
    return render(request, "funds/transfer.html", context)


@login_required
@require_POST
def reverse(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    transfer = _get(permissions.get_transfer_for_user, user, pk)
    if not permissions.can_reverse(user, transfer):
        raise _deny()
    form = ReverseForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            reversal = services.reverse_transfer(
                actor=user, transfer=transfer, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            status = _fail(form, exc)
        else:
            messages.success(request, _("已冲正,冲正记录 #%(n)s。") % {"n": reversal.pk})
            return redirect("funds:transfer", pk=transfer.pk)
    legs = [(e, True) for e in transfer.entries.select_related("account").order_by("amount")]
    context = {"transfer": transfer, "legs": legs, "reversal": None, "can_reverse": True, "form": form}
    return render(request, "funds/transfer.html", context, status=status)


def _totals_input(request: HttpRequest) -> tuple[TotalsFilter, int | None]:
    user = _user(request)
    if not permissions.can_view_totals(user):
        raise _deny()
    form = TotalsFilter(request.GET or None)
    year = form.cleaned_data.get("year") if form.is_valid() else None
    return form, year


@login_required
@require_GET
def totals(request: HttpRequest) -> HttpResponse:
    form, year = _totals_input(request)
    result = queries.totals(permissions.accounts_for_user(_user(request)), year=year)
    status = 400 if form.is_bound and not form.is_valid() else 200
    # On a phone a row per account is long: the page lists the accounts that moved money, the export has all.
    active = [r for r in result.rows if r.account.entry_count]
    context = {
        "form": form,
        "year": year,
        "totals": result,
        "active": active,
        "idle": len(result.rows) - len(active),
    }
    return render(request, "funds/totals.html", context, status=status)


@login_required
@require_GET
def totals_xlsx(request: HttpRequest) -> HttpResponse:
    form, year = _totals_input(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            _("预算年度无效 / invalid year"), status=400, content_type="text/plain; charset=utf-8"
        )
    accounts = permissions.accounts_for_user(_user(request))
    result = queries.totals(accounts, year=year)
    entries = Entry.objects.filter(account__in=[r.account.pk for r in result.rows])
    return _xlsx(xlsx.ledger(result, entries), f"ledger-{year or 'all'}.xlsx")
