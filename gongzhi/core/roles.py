"""Roles a membership can carry, which organization kinds each fits, and what each may do there.

Capabilities are the words permission predicates check; roles never appear in views.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    DEPARTMENT = "department", _("政府职能部门")
    APPROVAL_AUTHORITY = "approval_authority", _("审批机构(深改办)")
    PARTY = "party", _("社区党组织")
    COMMITTEE = "committee", _("社区居委会")
    SERVICE_CENTRE = "service_centre", _("社区服务中心")
    HOMEOWNERS = "homeowners", _("业主委员会")
    PROPERTY_COMPANY = "property_company", _("物业服务企业")
    SOCIAL_ORG = "social_org", _("社会组织")
    UNIT = "unit", _("共建单位(驻区单位)")
    PANEL = "panel", _("第三方评估组")
    PLATFORM = "platform", _("平台运维")


class Role(models.TextChoices):
    DEPT_CLERK = "dept_clerk", _("部门经办人")
    DEPT_HEAD = "dept_head", _("部门负责人")
    DEPT_FINANCE = "dept_finance", _("部门财务人员")
    APPROVAL_OFFICER = "approval_officer", _("审批办经办人")
    AUTHORITY_MEMBER = "authority_member", _("审批机构成员")
    COMMUNITY_DIRECTOR = "community_director", _("社区居委会主任")
    COMMUNITY_STAFF = "community_staff", _("社区工作者")
    PARTY_SECRETARY = "party_secretary", _("社区党组织书记")
    CENTRE_STAFF = "centre_staff", _("服务中心工作人员")
    HOA_MEMBER = "hoa_member", _("业委会成员")
    PROPERTY_MANAGER = "property_manager", _("物业项目经理")
    ORG_CONTACT = "org_contact", _("社会组织联络人")
    UNIT_CONTACT = "unit_contact", _("共建单位联络人")
    RESIDENT = "resident", _("居民")
    PANEL_MEMBER = "panel_member", _("评估组成员")
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# Which roles an organization of each kind can grant.
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrgKind.DEPARTMENT: frozenset({Role.DEPT_CLERK, Role.DEPT_HEAD, Role.DEPT_FINANCE}),
    OrgKind.APPROVAL_AUTHORITY: frozenset({Role.APPROVAL_OFFICER, Role.AUTHORITY_MEMBER}),
    OrgKind.PARTY: frozenset({Role.PARTY_SECRETARY, Role.COMMUNITY_STAFF}),
    OrgKind.COMMITTEE: frozenset({Role.COMMUNITY_DIRECTOR, Role.COMMUNITY_STAFF, Role.RESIDENT}),
    OrgKind.SERVICE_CENTRE: frozenset({Role.CENTRE_STAFF}),
    OrgKind.HOMEOWNERS: frozenset({Role.HOA_MEMBER}),
    OrgKind.PROPERTY_COMPANY: frozenset({Role.PROPERTY_MANAGER}),
    OrgKind.SOCIAL_ORG: frozenset({Role.ORG_CONTACT}),
    OrgKind.UNIT: frozenset({Role.UNIT_CONTACT}),
    OrgKind.PANEL: frozenset({Role.PANEL_MEMBER}),
    OrgKind.PLATFORM: frozenset({Role.PLATFORM_ADMIN, Role.AUDIT_ADMIN}),
}


class Cap(models.TextChoices):
    """Capabilities: what a role lets its holder do within the organization (and its community)."""

    FILE_TASK_REQUESTS = "file_task_requests", _("提交社区工作事项准入申请")
    APPROVE_DEPT_SUBMISSIONS = "approve_dept_submissions", _("审核本部门报送事项")
    PAY_INSTALMENTS = "pay_instalments", _("支付协议款项")
    EDIT_LISTS = "edit_lists", _("编制和发布社区工作清单")
    EXAMINE_REQUESTS = "examine_requests", _("审查准入申请并提出意见")
    DECIDE_REQUESTS = "decide_requests", _("对准入申请作出决定")
    MANAGE_COMMUNITY = "manage_community", _("管理本社区事务与居民信息")
    VIEW_FULL_PI = "view_full_pi", _("查看居民完整个人信息(留痕)")
    REFUSE_TASKS = "refuse_tasks", _("行使拒绝权,举报摊派")
    SIGN_AGREEMENTS = "sign_agreements", _("签署委托协议")
    TAKE_SERVICES = "take_services", _("承接政府购买服务")
    ASSESS_PROPERTY = "assess_property", _("参与物业服务考核")
    REPORT_PROPERTY = "report_property", _("报告物业服务情况")
    JOIN_PROJECTS = "join_projects", _("参与共建项目")
    TAKE_PART = "take_part", _("参与社区事务:问卷、议事、反映问题")
    REVIEW_EVALUATIONS = "review_evaluations", _("第三方评估:审阅并签署评估结果")
    ADMINISTER = "administer", _("管理平台用户与机构")
    READ_AUDIT = "read_audit", _("查阅审计日志")


CAPS_BY_ROLE: dict[str, frozenset[str]] = {
    Role.DEPT_CLERK: frozenset({Cap.FILE_TASK_REQUESTS}),
    Role.DEPT_HEAD: frozenset({Cap.FILE_TASK_REQUESTS, Cap.APPROVE_DEPT_SUBMISSIONS, Cap.SIGN_AGREEMENTS}),
    Role.DEPT_FINANCE: frozenset({Cap.PAY_INSTALMENTS}),
    Role.APPROVAL_OFFICER: frozenset({Cap.EXAMINE_REQUESTS, Cap.EDIT_LISTS}),
    Role.AUTHORITY_MEMBER: frozenset({Cap.DECIDE_REQUESTS}),
    Role.COMMUNITY_DIRECTOR: frozenset(
        {Cap.MANAGE_COMMUNITY, Cap.VIEW_FULL_PI, Cap.REFUSE_TASKS, Cap.SIGN_AGREEMENTS, Cap.ASSESS_PROPERTY}
    ),
    Role.COMMUNITY_STAFF: frozenset({Cap.MANAGE_COMMUNITY, Cap.REFUSE_TASKS}),
    Role.PARTY_SECRETARY: frozenset({Cap.MANAGE_COMMUNITY, Cap.JOIN_PROJECTS}),
    Role.CENTRE_STAFF: frozenset({Cap.TAKE_SERVICES}),
    Role.HOA_MEMBER: frozenset({Cap.ASSESS_PROPERTY, Cap.TAKE_PART}),
    Role.PROPERTY_MANAGER: frozenset({Cap.REPORT_PROPERTY}),
    Role.ORG_CONTACT: frozenset({Cap.JOIN_PROJECTS, Cap.TAKE_SERVICES}),
    Role.UNIT_CONTACT: frozenset({Cap.JOIN_PROJECTS, Cap.TAKE_PART}),
    Role.RESIDENT: frozenset({Cap.TAKE_PART}),
    Role.PANEL_MEMBER: frozenset({Cap.REVIEW_EVALUATIONS}),
    Role.PLATFORM_ADMIN: frozenset({Cap.ADMINISTER}),
    Role.AUDIT_ADMIN: frozenset({Cap.READ_AUDIT}),
}

# Roles that may not be held together by one person (system vs. audit administration, 等保 7.1.5).
EXCLUSIVE_ROLES: tuple[frozenset[str], ...] = (frozenset({Role.PLATFORM_ADMIN, Role.AUDIT_ADMIN}),)

STAFF_ROLES = frozenset(set(Role) - {Role.RESIDENT})
