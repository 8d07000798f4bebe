"""The list pages. Public (no sign-in): the lists in force for a community, item detail, search with the
matcher's verdict, edition history, diffs and workbook downloads. For list editors (the approval office): drafts,
items, workbook import, publishing.

Views are thin: they parse, fetch through gongzhi.duties.permissions, call one service and render.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core.errors import DomainError, NotFound, PermissionDenied
from gongzhi.core.models import User
from gongzhi.duties import matcher, permissions, queries, services, workbook
from gongzhi.duties.forms import EditionForm, ItemForm, NewEditionForm, SearchForm, WorkbookForm
from gongzhi.duties.models import ListEdition, ListItem
from gongzhi.orgs.models import Region

V = TypeVar("V", bound=Callable[..., HttpResponse])

VERDICT_TEXT = {
    "statutory": gettext_lazy("是居委会自己的工作(依法履行职责事项)"),
    "assisting": gettext_lazy("是居委会协助政府的工作:须有委托协议,经费随事转"),
    "excluded": gettext_lazy("不是居委会的工作:不应由社区承担,可以拒绝"),
    "unlisted": gettext_lazy("清单里没有:须经审批机构准入后才能交给社区"),
}


def domain_errors(view: V) -> V:
    """Domain errors become the matching page: 404, 403, or a 409/422 page that says what to do."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc
        except DomainError as exc:
            return render(request, "duties/error.html", {"error": exc}, status=exc.status)

    return cast(V, wrapped)


def editor_required(view: V) -> V:
    """Signed in (else the sign-in page) and a list editor somewhere (else 403)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not permissions.is_list_editor(request.user):
            raise DjangoPermissionDenied(_("只有审批机构可以编制清单。"))
        return view(request, *args, **kwargs)

    return cast(V, login_required(domain_errors(wrapped)))


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _community(code: str) -> Region:
    region = Region.objects.filter(code=code, kind__in=[Region.Kind.COMMUNITY, Region.Kind.VILLAGE]).first()
    if region is None:
        raise Http404(_("未找到该社区"))
    return region


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=workbook.CONTENT_TYPE)
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


# --- public pages ---------------------------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("community", "").strip()
    if code:
        return redirect("duties:community", code=_community(code).code)
    editions = queries.current_editions()
    items = list(queries.items_in(editions))
    return render(
        request,
        "duties/index.html",
        {
            "editions": editions,
            "groups": queries.group_by_kind(items),
            "districts": queries.communities(),
            "form": SearchForm(),
        },
    )


@require_GET
def community(request: HttpRequest, code: str) -> HttpResponse:
    region = _community(code)
    editions = queries.current_editions(region)
    items = list(queries.items_in(editions))
    return render(
        request,
        "duties/community.html",
        {
            "community": region,
            "editions": editions,
            "groups": queries.group_by_kind(items),
            "form": SearchForm(initial={"community": region.code}),
        },
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "results": [], "verdict": None, "community": None}
    if form.is_bound and not form.is_valid():
        return render(request, "duties/search.html", context, status=400)
    if form.is_bound and form.cleaned_data["q"].strip():
        q = form.cleaned_data["q"].strip()
        region = _community(form.cleaned_data["community"]) if form.cleaned_data["community"] else None
        editions = queries.current_editions(region)
        ranked = matcher.search(q, editions, limit=30)
        by_id = {
            i.pk: i
            for i in ListItem.objects.filter(pk__in=[pk for pk, _ in ranked]).select_related("edition")
        }
        verdict = matcher.match(q, community=region)
        context.update(
            q=q,
            community=region,
            results=[(by_id[pk], score) for pk, score in ranked if pk in by_id and score >= 0.05],
            verdict=verdict,
            verdict_text=VERDICT_TEXT[verdict.verdict],
        )
    return render(request, "duties/search.html", context)


@require_GET
@domain_errors
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = permissions.get_item_for_user(request.user, pk)
    return render(
        request,
        "duties/item.html",
        {
            "item": item,
            "edition": item.edition,
            "verdict_text": VERDICT_TEXT[matcher.KIND_VERDICT[item.kind]],
        },
    )


@require_GET
def edition_list(request: HttpRequest) -> HttpResponse:
    editions = permissions.editions_for_user(request.user).order_by("scope__code", "-effective_from", "-id")
    by_scope: dict[int, tuple[Region, list[ListEdition]]] = {}
    for edition in editions:
        by_scope.setdefault(edition.scope_id, (edition.scope, []))[1].append(edition)
    return render(
        request,
        "duties/editions.html",
        {"scopes": list(by_scope.values()), "is_editor": permissions.is_list_editor(request.user)},
    )


@require_GET
@domain_errors
def edition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    edition = permissions.get_edition_for_user(request.user, pk)
    items = list(queries.items_in([edition]))
    can_edit = permissions.can_edit_edition(request.user, edition)
    return render(
        request,
        "duties/edition.html",
        {
            "edition": edition,
            "groups": queries.group_by_kind(items),
            "count": len(items),
            "previous": queries.previous_edition(edition),
            "can_edit": can_edit and edition.is_draft,
            "can_copy": can_edit and not edition.is_draft,
            "import_form": WorkbookForm(),
        },
    )


@require_GET
@domain_errors
def edition_diff(request: HttpRequest, pk: int) -> HttpResponse:
    edition = permissions.get_edition_for_user(request.user, pk)
    against = request.GET.get("against", "").strip()
    if against:
        if not against.isdigit() or int(against) > 2**63 - 1:
            raise Http404(_("未找到该清单版本"))
        old: ListEdition | None = permissions.get_edition_for_user(request.user, int(against))
    else:
        old = queries.previous_edition(edition)
    diff = queries.diff_editions(old, edition) if old is not None else None
    return render(request, "duties/diff.html", {"edition": edition, "old": old, "diff": diff})


@require_GET
@domain_errors
def edition_export(request: HttpRequest, pk: int) -> HttpResponse:
    edition = permissions.get_edition_for_user(request.user, pk)
    return _xlsx(workbook.export(edition), f"清单-{edition.scope.code}-{edition.pk}.xlsx")


@require_GET
def template_download(request: HttpRequest) -> HttpResponse:
    return _xlsx(workbook.template(), "社区工作清单模板.xlsx")


# --- editors --------------------------------------------------------------------------------------------------


@require_GET
@editor_required
def manage(request: HttpRequest) -> HttpResponse:
    scopes = permissions.editable_scopes(request.user)
    editions = ListEdition.objects.filter(scope__in=scopes).select_related("scope")
    return render(
        request,
        "duties/manage.html",
        {
            "drafts": editions.filter(status=ListEdition.Status.DRAFT).order_by("scope__code", "-id"),
            "current": editions.filter(status=ListEdition.Status.PUBLISHED).order_by("scope__code"),
            "form": NewEditionForm(scopes=scopes),
            "import_form": WorkbookForm(),
        },
    )


@require_http_methods(["GET", "POST"])
@editor_required
def edition_new(request: HttpRequest) -> HttpResponse:
    scopes = permissions.editable_scopes(request.user)
    form = NewEditionForm(request.POST or None, scopes=scopes)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "duties/edition_form.html", {"form": form, "edition": None}, status=422)
        edition = services.create_edition(
            actor=_actor(request), scope=form.cleaned_data["scope"], data=form.edition_data()
        )
        messages.success(request, _("已新建草稿。"))
        return redirect("duties:edition", pk=edition.pk)
    return render(request, "duties/edition_form.html", {"form": form, "edition": None})


def _import_failed(request: HttpRequest, exc: services.WorkbookInvalid, back: str) -> HttpResponse:
    return render(request, "duties/import_errors.html", {"error": exc, "back": back}, status=exc.status)


@require_POST
@editor_required
def import_new(request: HttpRequest) -> HttpResponse:
    form = WorkbookForm(request.POST, request.FILES)
    back = reverse("duties:manage")
    if not form.is_valid():
        return render(request, "duties/import_errors.html", {"form": form, "back": back}, status=400)
    try:
        edition = services.import_workbook(actor=_actor(request), data=form.cleaned_data["workbook"])
    except services.WorkbookInvalid as exc:
        return _import_failed(request, exc, back)
    messages.success(request, _("已从工作簿导入草稿,共%(n)d项。") % {"n": edition.items.count()})
    return redirect("duties:edition", pk=edition.pk)


@require_http_methods(["GET", "POST"])
@editor_required
def edition_edit(request: HttpRequest, pk: int) -> HttpResponse:
    edition = permissions.get_edition_for_user(request.user, pk, write=True)
    form = EditionForm(request.POST or None, initial=EditionForm.initial_for(edition))
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "duties/edition_form.html", {"form": form, "edition": edition}, status=422)
        services.update_edition(actor=_actor(request), edition=edition, data=form.edition_data())
        messages.success(request, _("已保存。"))
        return redirect("duties:edition", pk=edition.pk)
    return render(request, "duties/edition_form.html", {"form": form, "edition": edition})


@require_http_methods(["GET", "POST"])
@editor_required
def item_new(request: HttpRequest, pk: int) -> HttpResponse:
    edition = permissions.get_edition_for_user(request.user, pk, write=True)
    form = ItemForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "duties/item_form.html", {"form": form, "edition": edition}, status=422)
        services.add_item(actor=_actor(request), edition=edition, data=form.item_data())
        messages.success(request, _("已添加事项。"))
        return redirect("duties:edition", pk=edition.pk)
    return render(request, "duties/item_form.html", {"form": form, "edition": edition})


@require_http_methods(["GET", "POST"])
@editor_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = permissions.get_item_for_user(request.user, pk, write=True)
    form = ItemForm(request.POST or None, initial=ItemForm.initial_for(item))
    context = {"form": form, "edition": item.edition, "item": item}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "duties/item_form.html", context, status=422)
        services.update_item(actor=_actor(request), item=item, data=form.item_data())
        messages.success(request, _("已保存。"))
        return redirect("duties:edition", pk=item.edition_id)
    return render(request, "duties/item_form.html", context)


@require_POST
@editor_required
def item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = permissions.get_item_for_user(request.user, pk, write=True)
    edition_id = item.edition_id
    services.delete_item(actor=_actor(request), item=item)
    messages.success(request, _("已删除事项。"))
    return redirect("duties:edition", pk=edition_id)


@require_POST
@editor_required
def edition_import(request: HttpRequest, pk: int) -> HttpResponse:
    edition = permissions.get_edition_for_user(request.user, pk, write=True)
    form = WorkbookForm(request.POST, request.FILES)
    back = reverse("duties:edition", kwargs={"pk": edition.pk})
    if not form.is_valid():
        return render(request, "duties/import_errors.html", {"form": form, "back": back}, status=400)
    try:
        services.import_workbook_into(
            actor=_actor(request), edition=edition, data=form.cleaned_data["workbook"]
        )
    except services.WorkbookInvalid as exc:
        return _import_failed(request, exc, back)
    messages.success(request, _("已用工作簿替换草稿内容。"))
    return redirect("duties:edition", pk=edition.pk)


@require_POST
@editor_required
def edition_publish(request: HttpRequest, pk: int) -> HttpResponse:
    edition = permissions.get_edition_for_user(request.user, pk, write=True)
    services.publish_edition(actor=_actor(request), edition=edition)
    messages.success(request, _("已发布,原现行版本已被替代。"))
    return redirect("duties:diff", pk=edition.pk)


@require_POST
@editor_required
def edition_delete(request: HttpRequest, pk: int) -> HttpResponse:
    edition = permissions.get_edition_for_user(request.user, pk, write=True)
    services.delete_draft(actor=_actor(request), edition=edition)
    messages.success(request, _("已删除草稿。"))
    return redirect("duties:manage")


@require_POST
@editor_required
def edition_copy(request: HttpRequest, pk: int) -> HttpResponse:
    source = permissions.get_edition_for_user(request.user, pk, write=True)
    edition = services.copy_edition(
        actor=_actor(request), source=source, title=_("%(t)s(修订稿)") % {"t": source.title}
    )
    messages.success(request, _("已复制为新草稿。"))
    return redirect("duties:edition", pk=edition.pk)
