"""Who may see and change the lists. Deny by default.

Published and superseded editions are public (anyone, signed in or not, may read them and their items).
Drafts are seen only by list editors: holders of `Cap.EDIT_LISTS` (the approval office's officers) through an
organization whose region is the edition's scope or above it (the city office edits the city's and the
districts' lists; a district office only its own).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongzhi.core.errors import NotFound, PermissionDenied
from gongzhi.core.roles import CAPS_BY_ROLE, Cap
from gongzhi.duties.models import ListEdition, ListItem
from gongzhi.orgs.models import Region
from gongzhi.orgs.permissions import active_memberships

# Region kinds that can carry a list edition: a city, or a district/county that adds to its city's list.
SCOPE_KINDS = frozenset({Region.Kind.CITY, Region.Kind.DISTRICT, Region.Kind.COUNTY})


def _editor_regions(user: Any) -> set[int]:
    """Ids of the regions where the user holds EDIT_LISTS (read fresh, so a revoked role stops at once)."""
    return {
        m.organization.region_id
        for m in active_memberships(user)
        if Cap.EDIT_LISTS in CAPS_BY_ROLE.get(m.role, frozenset())
    }


def is_list_editor(user: Any) -> bool:
    # anyone holding EDIT_LISTS somewhere (for the navigation and the management page)
    return bool(_editor_regions(user))


def can_edit_scope(user: Any, scope: Region) -> bool:
    roots = _editor_regions(user)
    # no EDIT_LISTS anywhere: deny
    if not roots:
        return False
    # the scope must be a city, district or county
    if scope.kind not in SCOPE_KINDS:
        return False
    # EDIT_LISTS held in the scope itself or in a region above it
    return scope.pk in roots or any(a.pk in roots for a in scope.ancestors())


def editable_scopes(user: Any) -> list[Region]:
    """The regions the user may create editions for (their own region and the scope-kind regions below it)."""
    roots = _editor_regions(user)
    found: dict[int, Region] = {}
    frontier = list(Region.objects.filter(pk__in=roots))
    while frontier:
        for region in frontier:
            if region.kind in SCOPE_KINDS:
                found[region.pk] = region
        frontier = list(
            Region.objects.filter(parent__in=frontier, kind__in=SCOPE_KINDS).exclude(pk__in=found.keys())
        )
    return sorted(found.values(), key=lambda r: r.code)


def can_view_edition(user: Any, edition: ListEdition) -> bool:
    # published and superseded editions are public
    if edition.is_public:
        return True
    # drafts: only the editors of its scope
    return can_edit_scope(user, edition.scope)


def can_edit_edition(user: Any, edition: ListEdition) -> bool:
    # only an editor of the edition's scope; whether the edition is still a draft is checked by the services
    # (a published edition answers 409, not 403)
    return can_edit_scope(user, edition.scope)


def editions_for_user(user: Any) -> QuerySet[ListEdition]:
    """Every public edition, plus the drafts the user may edit."""
    public = Q(status__in=[ListEdition.Status.PUBLISHED, ListEdition.Status.SUPERSEDED])
    scopes = [r.pk for r in editable_scopes(user)]
    visible = public | Q(status=ListEdition.Status.DRAFT, scope_id__in=scopes) if scopes else public
    return ListEdition.objects.filter(visible).select_related("scope")


def get_edition_for_user(user: Any, pk: int, *, write: bool = False) -> ListEdition:
    """404 for an edition the user may not see; 403 when they may see it but not change it."""
    edition = ListEdition.objects.select_related("scope").filter(pk=pk).first()
    if edition is None or not can_view_edition(user, edition):
        raise NotFound("未找到该清单版本 / list edition not found")
    if write and not can_edit_edition(user, edition):
        raise PermissionDenied("只有审批机构可以编制清单 / only the approval office may edit the lists")
    return edition


def get_item_for_user(user: Any, pk: int, *, write: bool = False) -> ListItem:
    item = ListItem.objects.select_related("edition", "edition__scope", "department").filter(pk=pk).first()
    if item is None or not can_view_edition(user, item.edition):
        raise NotFound("未找到该清单事项 / list item not found")
    if write and not can_edit_edition(user, item.edition):
        raise PermissionDenied("只有审批机构可以编制清单 / only the approval office may edit the lists")
    return item


def require_editor(user: Any) -> None:
    """For pages that only list editors use (the management page, the new-draft form)."""
    if not is_list_editor(user):
        raise PermissionDenied("只有审批机构可以编制清单 / only the approval office may edit the lists")
