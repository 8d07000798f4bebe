"""Demo data of the funds ledger: accounts for the city's departments and the communities' bodies, and the
departments' 2026 budgets for community work funded with sample amounts.

`load(actor=...)` is this app's seeding hook (called by `gongzhi load_demo` after gongzhi.orgs, before
gongzhi.agreements, which reserves from these budgets). It is idempotent: accounts are opened only when missing
and each budget is funded once (the funding transfer carries a unique reference). The amounts are invented for the
demo — every account is marked `is_sample` and each funding's memo says so.
"""

from __future__ import annotations

from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.funds import services
from gongzhi.funds.models import Account, Transfer
from gongzhi.orgs.models import Organization

YEAR = 2026
# Sample 2026 budgets for work handed to communities, in yuan, by the department's short name.
SAMPLE_BUDGET_YUAN: dict[str, int] = {
    "民政局": 1_200_000,
    "人力资源和社会保障局": 600_000,
    "卫生健康委员会": 500_000,
    "公安局": 300_000,
    "住房和城乡建设局": 400_000,
    "城市管理局": 400_000,
    "市场监督管理局": 200_000,
    "统计局": 150_000,
    "退役军人事务局": 250_000,
    "应急管理局": 300_000,
}
DEFAULT_BUDGET_YUAN = 200_000
MEMO = f"{YEAR}年度社区协助事项经费预算下达(示例金额,非真实预算)"


def _ref(department: Organization) -> str:
    return f"demo-funds:budget:{department.pk}:{YEAR}"


def load(*, actor: User | None) -> dict[str, int]:
    departments = Organization.objects.filter(kind=OrgKind.DEPARTMENT, is_active=True).order_by("pk")
    for department in departments:
        budget = services.ensure_account(
            actor=actor, organization=department, kind=Account.Kind.BUDGET, year=YEAR, is_sample=True
        )
        if not Transfer.objects.filter(ref=_ref(department)).exists():
            yuan = SAMPLE_BUDGET_YUAN.get(department.short_name, DEFAULT_BUDGET_YUAN)
            services.fund_budget(
                actor=actor, account=budget, amount=yuan * 100, memo=MEMO, ref=_ref(department)
            )
    holders = Organization.objects.filter(
        kind__in=(OrgKind.COMMITTEE, OrgKind.SERVICE_CENTRE, OrgKind.SOCIAL_ORG), is_active=True
    ).order_by("pk")
    for org in holders:
        if org.kind == OrgKind.COMMITTEE:
            for kind in (Account.Kind.COMMUNITY, Account.Kind.ESCROW):
                services.ensure_account(actor=actor, organization=org, kind=kind, is_sample=True)
        else:
            services.ensure_account(actor=actor, organization=org, kind=Account.Kind.SERVICE, is_sample=True)
    return {
        "accounts": Account.objects.count(),
        "budgets": Account.objects.filter(kind=Account.Kind.BUDGET, year=YEAR).count(),
        "transfers": Transfer.objects.count(),
    }
