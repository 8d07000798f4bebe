"""The public allowlist: the only URLs an anonymous visitor may use. Everything else is denied by default.

tests/test_url_gate.py walks every URL pattern (pages, admin, the django-ninja API) and requests each one
anonymously. A URL that is not allowed here must answer 302 to the sign-in page, 401, 403, 404 or 405; anything
else (a 200, a redirect elsewhere, a 500) fails the test. Adding a public page or endpoint means adding it here,
on purpose, in review.

Entries are either a URL name with its namespace ("web:directory", "api:list_regions"; django-ninja names an
operation after its function unless `url_name=` is given) or a path prefix starting with "/" ("/static/").

- PUBLIC: anonymous GET (and HEAD) may succeed.
- PUBLIC_UNSAFE: anonymous POST/PUT/PATCH/DELETE may succeed (still CSRF-protected). Keep this tiny.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

PUBLIC: tuple[str, ...] = (
    # pages
    "web:home",
    "web:directory",
    "web:directory_community",
    "web:directory_org",
    "core:login",
    "set_language",  # the language switch (GET just redirects back)
    # files
    "/static/",
    # API: public fields of regions and organizations
    "api:list_regions",
    "api:get_region",
    "api:list_organizations",
    "api:get_organization",
    # the community work lists (gongzhi.duties): published editions, items, search, diffs, workbook downloads
    "duties:index",
    "duties:community",
    "duties:search",
    "duties:item",
    "duties:editions",
    "duties:edition",
    "duties:diff",
    "duties:export",
    "duties:template",
    "api:duties_editions",
    "api:duties_edition",
    "api:duties_diff",
    "api:duties_items",
    # a community's admitted tasks (department, period, funding; no personal data): gongzhi.cleanup
    "cleanup:public_community",
    "api:cleanup_public_community",
    # a community's agreement money: received per agreement and per quarter (organizations and amounts, no people)
    "agreements:public_community",
    "api:agreements_public_community",
    # published two-way evaluation results (after the third-party panel's sign-off): gongzhi.evaluations
    "evaluations:public_index",
    "evaluations:public_results",
    "evaluations:public_report",
    "evaluations:public_export",
    "api:evaluations_public_results",
    # survey answering without an account: the code-entry page, a slip's QR link (redirects at once) and the
    # questionnaire of the code held in a signed cookie (gongzhi.surveys)
    "surveys:enter",
    "surveys:answer_code",
    "surveys:answer",
) + (
    # API documentation and schema: public outside production, staff only in production
    ("api:openapi-json", "api:openapi-view") if settings.GONGZHI_API_DOCS_PUBLIC else ()
)

PUBLIC_UNSAFE: tuple[str, ...] = (
    "core:login",  # the sign-in form itself
    "set_language",  # the language switch stores a cookie, nothing else
    # answering a survey with a household's code (rate-limited per address; gongzhi.surveys)
    "surveys:enter",
    "surveys:answer",
    "api:surveys_questionnaire",
    "api:surveys_answer_by_code",
)


def _allowed(entries: Iterable[str], path: str, url_names: Iterable[str]) -> bool:
    names = set(url_names)
    return any(path.startswith(e) if e.startswith("/") else e in names for e in entries)


def is_public(path: str, url_names: Iterable[str], method: str = "GET") -> bool:
    """Whether an anonymous `method` request to `path` (served by patterns named `url_names`) may succeed."""
    entries = PUBLIC if method.upper() in ("GET", "HEAD") else PUBLIC_UNSAFE
    return _allowed(entries, path, url_names)
