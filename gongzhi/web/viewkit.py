"""Small helpers every app's pages share: the signed-in user, fetching through a permissions accessor as a 404,
and the POST half of a form page (validate, run the service, put a domain error on the form)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, NotFound
from gongzhi.core.models import User

T = TypeVar("T")


def signed_in_user(request: HttpRequest) -> User:
    """The user of a view behind @login_required."""
    user = request.user
    assert isinstance(user, User)
    return user


def fetch_or_404(fetch: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a permissions accessor; what it cannot find (or may not show) is a 404 with its message."""
    try:
        return fetch(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def not_found() -> Http404:
    """The one answer to what a user may not see: the same 404 as for what does not exist."""
    return Http404(_("未找到 / Not found"))


def fail_on_form(request: HttpRequest, form: Form | None, exc: DomainError) -> int:
    """Put a domain error on the form (on the visible fields it names, else on the whole form; without a form as
    a message) and return its HTTP status."""
    if form is None:
        messages.error(request, exc.message)
        return exc.status
    placed = False
    for name in exc.fields:
        if name in form.fields and not form.fields[name].widget.is_hidden:
            form.add_error(name, exc.message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
    return exc.status


def submit(request: HttpRequest, form: Form, act: Callable[[dict[str, Any]], object]) -> tuple[bool, int]:
    """The POST half of a form page: (done, HTTP status). A GET does nothing (200); an invalid form is 422; the
    service runs with the cleaned data, and a domain error it raises lands on the form with the error's status."""
    if request.method != "POST":
        return False, 200
    if not form.is_valid():
        return False, 422
    try:
        act(form.cleaned_data)
    except DomainError as exc:
        return False, fail_on_form(request, form, exc)
    return True, 200
