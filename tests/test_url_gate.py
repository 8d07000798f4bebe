"""Deny by default (AC-1, AC-6, TM-1): every URL the project serves, found automatically, refuses anonymous
visitors unless gongzhi.web.public allowlists it, and refuses unsafe requests without a CSRF token.

A new view, API endpoint or admin page is picked up without touching this file. If it is meant to be public, add
its URL name to PUBLIC (or PUBLIC_UNSAFE) in gongzhi/web/public.py; otherwise protect it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, override_settings

from gongzhi.core.models import AuditEntry
from gongzhi.web import public
from tests import url_gate


@pytest.fixture
def probes(city, dept_clerk, community_director, resident, platform_admin) -> list[url_gate.Probe]:
    """Rows in every main table first, so that sampled ids name objects that exist."""
    return url_gate.probes()


def test_the_walk_reaches_pages_admin_and_api(probes):
    urls = {p.url for p in probes}
    for expected in ("/login/", "/account/", "/admin/", "/api/openapi.json", "/api/me", "/i18n/setlang/"):
        assert expected in urls, expected
    assert any(u.startswith("/admin/core/user/") and u.endswith("/change/") for u in urls)
    assert any(
        u.startswith("/admin/") and "auth" in u for u in urls
    )  # the admin's app-list regex got a label
    assert len(urls) > 100


def test_anonymous_requests_outside_the_allowlist_are_refused(probes):
    before = AuditEntry.objects.count()
    leaks = url_gate.find_public_leaks(probes)
    assert not leaks, "Not public, yet answered an anonymous request:\n" + "\n".join(leaks)
    assert AuditEntry.objects.count() == before  # and nothing was written


def test_unsafe_requests_without_csrf_token_are_refused(probes, platform_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(platform_admin)  # a superuser: no refusal comes from missing rights
    before = AuditEntry.objects.count()
    holes = url_gate.find_csrf_holes(client, probes)
    assert not holes, "Accepted an unsafe request without a CSRF token:\n" + "\n".join(holes)
    assert AuditEntry.objects.count() == before


def test_the_allowlist_has_no_stale_names(probes):
    assert url_gate.stale_entries(probes) == []


def test_public_pages_really_are_reachable(city):
    client = Client()
    for url in ("/", "/login/", "/directory/"):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(("env", "docs_public"), [("development", True), ("production", False)])
def test_api_docs_are_allowlisted_only_outside_production(tmp_path, env, docs_public):
    code = "import django; django.setup(); from gongzhi.web.public import PUBLIC; print('api:openapi-json' in PUBLIC)"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DJANGO_"))}
    environ.update(
        DJANGO_SETTINGS_MODULE="gongzhi.settings",
        GONGZHI_ENV=env,
        GONGZHI_SECRET_KEY=secrets.token_urlsafe(64),
        GONGZHI_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(docs_public)
    assert ("api:openapi-json" in public.PUBLIC) is (not settings.PRODUCTION)  # and this run agrees


# --- the gate itself can fail ----------------------------------------------------------------------------------


def leaky_probes() -> list[url_gate.Probe]:
    return [p for p in url_gate.probes("tests.leaky_urls") if p.url.startswith("/leaky")]


@override_settings(ROOT_URLCONF="tests.leaky_urls")
def test_gate_finds_an_unprotected_page_and_api_endpoint_added_later(city):
    probe_list = leaky_probes()
    assert {"/leaky/page/", "/leaky/guarded/", "/leaky/things/1/", "/leaky-api/items/1"} <= {
        p.url for p in probe_list
    }
    leaks = url_gate.find_public_leaks(probe_list)
    leaked = {line.split(" ")[0] + " " + line.split(" ")[1] for line in leaks}
    assert "GET /leaky/page/" in leaked and "POST /leaky/page/" in leaked
    assert any(line.startswith("GET /leaky/things/") for line in leaks)  # an object of a table that has rows
    assert any(line.startswith("GET /leaky-api/items/") for line in leaks)
    assert not any("/leaky/guarded/" in line for line in leaks)  # a protected view passes
    assert len(leaks) == len(set(leaks))


@override_settings(ROOT_URLCONF="tests.leaky_urls")
def test_gate_finds_a_csrf_exempt_view(city, platform_admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(platform_admin)
    holes = url_gate.find_csrf_holes(client, leaky_probes())
    assert any(line.startswith("POST /leaky/page/") for line in holes)
    assert not any("/leaky/guarded/" in line for line in holes)


def test_sample_values_fill_every_kind_of_parameter():
    route = url_gate.Route(r"x/(?P<pk>[0-9]+)/(?P<slug>[-a-zA-Z0-9_]+)/(?P<label>auth|core)/\Z", "t:x")
    assert url_gate.sample_urls(route, ["3", "8"], ["x", "auth"]) == ["/x/3/3/auth/", "/x/8/8/auth/"]
    named = url_gate.Route(r"z/(?P<slug>[a-z]+)/(?P<any>.*)\Z", "t:z")
    assert url_gate.sample_urls(named, ["3"], ["x"]) == ["/z/x/3"]
    impossible = url_gate.Route(r"y/(?P<code>[A-Z]{3})/\Z", "t:y")
    with pytest.raises(AssertionError, match="no sample value fits"):
        url_gate.sample_urls(impossible, ["1"], ["x"])
