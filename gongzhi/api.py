"""The JSON API: one django-ninja instance under /api/; each app adds its router here.

- Authentication: a personal API token (`Authorization: Bearer gz_<prefix>_<secret>`) or the signed-in session
  (unsafe methods then need the CSRF token). Endpoints are private unless they say `auth=None`.
- Every 4xx has one shape: {"error": {"code", "message" ("中文 / English"), "fields"}} (core.api_support).
- Request bodies are JSON only (415 otherwise); input schemas refuse unknown fields.
- Creating POSTs take an Idempotency-Key (core.idempotency.idempotent).
- Docs at /api/docs (self-hosted Swagger UI, no CDN) and the schema at /api/openapi.json: public unless
  settings.GONGZHI_API_DOCS_PUBLIC is off (production), then staff only.
"""

from ninja import NinjaAPI, Swagger

from gongzhi.agreements.api import public_router as agreements_public_router
from gongzhi.agreements.api import router as agreements_router
from gongzhi.cleanup.api import public_router as cleanup_public_router
from gongzhi.cleanup.api import router as cleanup_router
from gongzhi.core.api import router as core_router
from gongzhi.core.api_support import JsonOnlyParser, SessionAuth, TokenAuth, docs_gate, install_error_handlers
from gongzhi.duties.api import public_router as duties_public_router
from gongzhi.duties.api import router as duties_router
from gongzhi.evaluations.api import public_router as evaluations_public_router
from gongzhi.evaluations.api import router as evaluations_router
from gongzhi.orgs.api import public_router as orgs_public_router
from gongzhi.orgs.api import router as orgs_router
from gongzhi.surveys.api import public_router as surveys_public_router
from gongzhi.surveys.api import router as surveys_router

api = NinjaAPI(
    title="gongzhi 共治 API",
    version="1",
    description="铜陵政社互动平台接口 / Tongling government–community co-governance API",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    parser=JsonOnlyParser(),
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_decorator=docs_gate,
)
install_error_handlers(api)

api.add_router("/", orgs_public_router, auth=None)
api.add_router("/", core_router)
api.add_router("/", orgs_router)
api.add_router("/", cleanup_public_router, auth=None)
api.add_router("/", cleanup_router)
api.add_router("/duties/", duties_public_router, auth=None)
api.add_router("/duties/", duties_router)
api.add_router("/surveys/", surveys_public_router, auth=None)
api.add_router("/surveys/", surveys_router)
api.add_router("/agreements/", agreements_public_router, auth=None)
api.add_router("/agreements/", agreements_router)
api.add_router("/", evaluations_public_router, auth=None)
api.add_router("/", evaluations_router)
api.add_router("/", "gongzhi.funds.api.router")  # the funds ledger (/api/funds/…)
api.add_router("/", "gongzhi.admissions.api.router")  # 准入 · 拒绝权 · 摊派举报 (/api/admissions/…)
api.add_router(
    "/", "gongzhi.core.notify_api.router"
)  # the signed-in user's notifications (/api/notifications)
