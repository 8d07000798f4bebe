"""The deny-by-default gate (AC-1, AC-6): every URL pattern, found by walking Django's resolver, requested with
sample arguments.

`find_public_leaks()` requests each URL anonymously with GET, POST, PUT, PATCH and DELETE; a URL outside the
public allowlist (gongzhi.web.public) must answer 302 to the sign-in page, 401, 403, 404 or 405.
`find_csrf_holes()` sends each unsafe method signed in but without a CSRF token: it must answer 401, 403 or 405.

Sample arguments: every path parameter whose pattern accepts digits is tried with the primary keys of the first rows
of each table (so that a detail view is asked about an object that exists, and a missing check cannot hide behind
a 404); other parameters get the first fitting value of a small list (app labels, model names, "x", a UUID). A
parameter nothing fits makes the gate fail with a message, never skip the URL.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import NoReverseMatch, Resolver404
from django.utils.regex_helper import normalize

from gongzhi.web.public import PUBLIC, PUBLIC_UNSAFE, is_public

UNSAFE = ("post", "put", "patch", "delete")
REFUSED = frozenset({401, 403, 404, 405})
CSRF_REFUSED = frozenset({401, 403, 405})
MAX_IDS = 16
IDS_PER_TABLE = 3


@dataclass(frozen=True)
class Route:
    regex: str  # the full pattern, from the root, without the leading ^
    name: str | None  # with its namespaces: "admin:index", "api:list_regions"

    def matches(self, path: str) -> bool:
        return re.match(self.regex, path.lstrip("/")) is not None


@dataclass
class Probe:
    url: str
    names: set[str] = field(default_factory=set)
    first: bool = False  # the first sample of some route (the CSRF sweep needs one URL per route, not per id)


def walk(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    """Every endpoint under the resolver, recursively (includes, admin, the django-ninja API)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        regex = entry.pattern.regex.pattern
        regex = regex.removeprefix("^")
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, prefix + regex, inner)
        else:
            assert isinstance(entry, URLPattern)
            yield Route(prefix + regex, f"{namespace}{entry.name}" if entry.name else None)


def group_body(regex: str, name: str) -> str:
    """The text of the named group `(?P<name>…)` in `regex`."""
    start = regex.index(f"(?P<{name}>") + len(f"(?P<{name}>")
    depth, i = 1, start
    while depth:
        if regex[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(regex[i], 0)
        i += 1
    return regex[start : i - 1]


def existing_ids() -> list[str]:
    """The primary keys of the first rows of every table with integer keys (at most MAX_IDS distinct values).

    Several rows per table, because a view may want a row of a certain kind (a community, not the city)."""
    ids: set[int] = set()
    for model in apps.get_models():
        pks = model._default_manager.order_by("pk").values_list("pk", flat=True)[:IDS_PER_TABLE]
        ids.update(pk for pk in pks if isinstance(pk, int))
    return [str(i) for i in sorted(ids)[:MAX_IDS]] or ["1"]


def fallback_values() -> list[str]:
    labels = [c.label for c in apps.get_app_configs()]
    models = [m._meta.model_name for m in apps.get_models() if m._meta.model_name]
    return ["x", str(uuid.UUID(int=1)), *labels, *models]


def sample_urls(route: Route, ids: list[str], fallback: list[str]) -> list[str]:
    """Concrete URLs for a route: one per id for parameters that take digits, a fixed value for the others."""
    urls: list[str] = []
    for template, params in normalize(route.regex):
        fixed: dict[str, str] = {}
        numeric: list[str] = []
        for param in params:
            body = re.compile(group_body(route.regex, param))
            if all(body.fullmatch(i) for i in ids):
                numeric.append(param)
                continue
            value = next((v for v in fallback if body.fullmatch(v)), None)
            if value is None:
                raise AssertionError(
                    f"no sample value fits {param!r} in {route.regex!r}: extend fallback_values()"
                )
            fixed[param] = value
        for i in ids if numeric else ids[:1]:
            url = "/" + template % {**fixed, **dict.fromkeys(numeric, i)}
            if url not in urls:
                urls.append(url)
    return urls


def probes(urlconf: str | None = None) -> list[Probe]:
    """Every distinct sample URL, with the names of all the routes that match it (django-ninja gives each method
    of one path its own route and name)."""
    routes = list(walk(get_resolver(urlconf)))
    ids, fallback = existing_ids(), fallback_values()
    found: dict[str, Probe] = {}
    for route in routes:
        for n, url in enumerate(sample_urls(route, ids, fallback)):
            try:
                resolve(url, urlconf)
            except Resolver404 as exc:
                raise AssertionError(f"sample {url} for {route.regex!r} does not resolve") from exc
            found.setdefault(url, Probe(url)).first |= n == 0
    for probe in found.values():
        probe.names = {r.name for r in routes if r.name and r.matches(probe.url)}
    return list(found.values())


def login_paths() -> set[str]:
    paths = {urlsplit(settings.LOGIN_URL).path}
    with contextlib.suppress(NoReverseMatch):
        paths.add(reverse("admin:login"))  # itself a redirect to LOGIN_URL (core.urls), checked as a URL too
    return paths


def refused(status: int, location: str | None, login: set[str]) -> bool:
    if status in REFUSED:
        return True
    return status == 302 and location is not None and urlsplit(location).path in login


def find_public_leaks(probe_list: Iterable[Probe]) -> list[str]:
    """Anonymous requests that were not refused, as 'METHOD url -> status' lines."""
    client = Client()
    login = login_paths()
    leaks = []
    for probe in probe_list:
        for method in ("get", *UNSAFE):
            if is_public(probe.url, probe.names, method):
                continue
            response = getattr(client, method)(probe.url)
            if not refused(response.status_code, response.get("Location"), login):
                where = f" -> {response['Location']}" if response.has_header("Location") else ""
                leaks.append(
                    f"{method.upper()} {probe.url} {sorted(probe.names)} -> {response.status_code}{where}"
                )
    return leaks


def find_csrf_holes(client: Client, probe_list: Iterable[Probe]) -> list[str]:
    """Unsafe requests without a CSRF token (by a signed-in user) that were not refused. The check comes before
    any view code, so one URL per route is enough."""
    holes = []
    for probe in probe_list:
        if not probe.first:
            continue
        for method in UNSAFE:
            response = getattr(client, method)(probe.url)
            if response.status_code not in CSRF_REFUSED:
                holes.append(f"{method.upper()} {probe.url} {sorted(probe.names)} -> {response.status_code}")
    return holes


def stale_entries(probe_list: Iterable[Probe]) -> list[str]:
    """Allowlisted URL names that no route carries any more (path prefixes may name things outside Django)."""
    names = set().union(*(p.names for p in probe_list))
    return sorted({e for e in (*PUBLIC, *PUBLIC_UNSAFE) if not e.startswith("/") and e not in names})
