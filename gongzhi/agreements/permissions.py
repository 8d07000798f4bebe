"""Who may see and do what with agreements, templates, instalments and completion reports. Deny by default;
capabilities are read fresh on every call, so a revoked role stops at once.

Who sees an agreement:
- the department's members (any role);
- the other party once the agreement has been sent to it: for an entrustment the community's staff (who manage
  the community, may refuse tasks or sign for it), for a service purchase the provider's people;
- the approval authority (office or members) whose region covers the department's.
Accessors answer 404 (NotFound) for anything the user may not see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.agreements.models import Agreement, AgreementTemplate, Completion, Kind
from gongzhi.core.errors import NotFound
from gongzhi.core.roles import CAPS_BY_ROLE, Cap, OrgKind
from gongzhi.orgs.models import Organization, Region
from gongzhi.orgs.permissions import active_memberships

AUTHORITY_CAPS = (Cap.EXAMINE_REQUESTS, Cap.DECIDE_REQUESTS, Cap.EDIT_LISTS)
TEMPLATE_CAPS = (Cap.EXAMINE_REQUESTS, Cap.EDIT_LISTS)
COMMUNITY_STAFF_CAPS = (Cap.MANAGE_COMMUNITY, Cap.REFUSE_TASKS, Cap.SIGN_AGREEMENTS)


# --- who holds what ---------------------------------------------------------------------------------------------


def _orgs(
    user: Any, kinds: tuple[str, ...] | None = None, caps: tuple[str, ...] | None = None
) -> list[Organization]:
    found: dict[int, Organization] = {}
    for m in active_memberships(user):
        org = m.organization
        if not org.is_active or (kinds is not None and org.kind not in kinds):
            continue
        if caps is None or set(caps) & CAPS_BY_ROLE.get(m.role, frozenset()):
            found[org.pk] = org
    return list(found.values())


def department_ids(user: Any, *caps: str) -> set[int]:
    """Departments where the user holds any of `caps` (any role when none is given)."""
    return {o.pk for o in _orgs(user, (OrgKind.DEPARTMENT,), caps or None)}


def drafting_departments(user: Any) -> list[Organization]:
    """Departments where the user may draft agreements: clerks and heads."""
    return _orgs(user, (OrgKind.DEPARTMENT,), (Cap.FILE_TASK_REQUESTS, Cap.SIGN_AGREEMENTS))


def staff_communities(user: Any) -> set[int]:
    """Communities whose staff the user is (manage, refuse or sign for it through a community-level body)."""
    return {
        o.region_id
        for o in _orgs(user, (OrgKind.COMMITTEE, OrgKind.PARTY, OrgKind.SERVICE_CENTRE), COMMUNITY_STAFF_CAPS)
    }


def provider_ids(user: Any) -> set[int]:
    """Service centres and social organizations the user takes services for."""
    return {o.pk for o in _orgs(user, (OrgKind.SERVICE_CENTRE, OrgKind.SOCIAL_ORG), (Cap.TAKE_SERVICES,))}


def _subtree(region_ids: set[int]) -> set[int]:
    found = set(region_ids)
    frontier = set(region_ids)
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def authority_regions(user: Any, caps: tuple[str, ...] = AUTHORITY_CAPS) -> set[int]:
    regions = {o.region_id for o in _orgs(user, (OrgKind.APPROVAL_AUTHORITY,), caps)}
    return _subtree(regions) if regions else set()


def template_regions(user: Any) -> set[int]:
    """Regions whose templates the user keeps: the approval office's own region (Cap.EXAMINE_REQUESTS or
    Cap.EDIT_LISTS)."""
    return {o.region_id for o in _orgs(user, (OrgKind.APPROVAL_AUTHORITY,), TEMPLATE_CAPS)}


def is_authority(user: Any) -> bool:
    return bool(_orgs(user, (OrgKind.APPROVAL_AUTHORITY,), AUTHORITY_CAPS))


def may_use_department_page(user: Any) -> bool:
    return bool(department_ids(user))


def may_use_party_page(user: Any) -> bool:
    return bool(staff_communities(user) or provider_ids(user))


def may_manage_templates(user: Any) -> bool:
    return bool(template_regions(user))


# --- predicates -------------------------------------------------------------------------------------------------


def is_party_member(user: Any, agreement: Agreement) -> bool:
    # entrustment: the community's staff
    if agreement.kind == Kind.ENTRUSTMENT:
        return agreement.community_id in staff_communities(user)
    # service purchase: the provider's people (and the community's staff, where the services are delivered)
    return agreement.party_id in provider_ids(user) or agreement.community_id in staff_communities(user)


def can_view_agreement(user: Any, agreement: Agreement) -> bool:
    # the department's members
    if agreement.department_id in department_ids(user):
        return True
    # the other party, once the agreement has been sent to it
    if agreement.first_sent_at is not None and is_party_member(user, agreement):
        return True
    # the approval authority over the department's region
    return agreement.department.region_id in authority_regions(user)


def can_draft_for(user: Any, department: Organization) -> bool:
    # the department's clerks and heads
    return any(o.pk == department.pk for o in drafting_departments(user))


def can_edit_agreement(user: Any, agreement: Agreement) -> bool:
    # the department's clerks and heads (whether the state allows it is the service's 409)
    return can_draft_for(user, agreement.department)


def can_sign_for_department(user: Any, agreement: Agreement) -> bool:
    # the department's head (sign_agreements in that department)
    return agreement.department_id in department_ids(user, Cap.SIGN_AGREEMENTS)


def party_signing_org(user: Any, agreement: Agreement) -> Organization | None:
    """The organization through which the user signs for the other party: the committee's director (entrustment)
    or the provider's people (service purchase)."""
    for m in active_memberships(user):
        caps = CAPS_BY_ROLE.get(m.role, frozenset())
        if m.organization_id != agreement.party_id:
            continue
        if agreement.kind == Kind.ENTRUSTMENT and Cap.SIGN_AGREEMENTS in caps:
            return m.organization
        if agreement.kind == Kind.SERVICE_PURCHASE and (
            Cap.TAKE_SERVICES in caps or Cap.SIGN_AGREEMENTS in caps
        ):
            return m.organization
    return None


def can_sign_for_party(user: Any, agreement: Agreement) -> bool:
    # the party's signatory (see party_signing_org)
    return party_signing_org(user, agreement) is not None


def can_pay(user: Any, agreement: Agreement) -> bool:
    # the department's finance (pay_instalments): reserves the budget and pays instalments
    return agreement.department_id in department_ids(user, Cap.PAY_INSTALMENTS)


def can_report_completion(user: Any, agreement: Agreement) -> bool:
    # the party's people: the community's staff or the signatory
    return is_party_member(user, agreement) or can_sign_for_party(user, agreement)


def can_review_completion(user: Any, completion: Completion) -> bool:
    # the department's clerks and heads
    return can_edit_agreement(user, completion.agreement)


def can_resolve_completion(user: Any, completion: Completion) -> bool:
    # the approval office over the department's region, not a member of the department
    agreement = completion.agreement
    if agreement.department.region_id not in authority_regions(user, (Cap.EXAMINE_REQUESTS,)):
        return False
    return agreement.department_id not in department_ids(user)


def can_edit_template(user: Any, template: AgreementTemplate) -> bool:
    # the approval office of the template's region
    return template.region_id in template_regions(user)


# --- lists and accessors ----------------------------------------------------------------------------------------


def agreements_for_user(user: Any) -> QuerySet[Agreement]:
    visible = Q(department_id__in=department_ids(user))
    communities = staff_communities(user)
    providers = provider_ids(user)
    if communities or providers:
        visible |= Q(first_sent_at__isnull=False) & (
            Q(community_id__in=communities) | Q(kind=Kind.SERVICE_PURCHASE, party_id__in=providers)
        )
    regions = authority_regions(user)
    if regions:
        visible |= Q(department__region_id__in=regions)
    return Agreement.objects.filter(visible).select_related(
        "department", "community", "party", "department__region"
    )


def get_agreement_for_user(user: Any, pk: int) -> Agreement:
    agreement = (
        Agreement.objects.select_related("department", "department__region", "community", "party", "template")
        .filter(pk=pk)
        .first()
    )
    if agreement is None or not can_view_agreement(user, agreement):
        raise NotFound("未找到该协议 / agreement not found")
    return agreement


def get_completion_for_user(user: Any, pk: int) -> Completion:
    completion = (
        Completion.objects.select_related(
            "agreement", "agreement__department", "agreement__department__region", "agreement__party", "task"
        )
        .filter(pk=pk)
        .first()
    )
    if completion is None or not can_view_agreement(user, completion.agreement):
        raise NotFound("未找到该完成报告 / completion report not found")
    return completion


def templates_for_user(user: Any) -> QuerySet[AgreementTemplate]:
    return AgreementTemplate.objects.filter(region_id__in=template_regions(user)).select_related("region")


def get_template_for_user(user: Any, pk: int) -> AgreementTemplate:
    template = AgreementTemplate.objects.select_related("region").filter(pk=pk).first()
    if template is None or not can_edit_template(user, template):
        raise NotFound("未找到该协议范本 / template not found")
    return template


def get_public_community(pk: int) -> Region:
    community = Region.objects.filter(pk=pk, kind__in=(Region.Kind.COMMUNITY, Region.Kind.VILLAGE)).first()
    if community is None:
        raise NotFound("未找到该社区 / community not found")
    return community
