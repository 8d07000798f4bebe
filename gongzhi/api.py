"""The JSON API: one django-ninja instance; each app adds its router here."""

from ninja import NinjaAPI

api = NinjaAPI(title="gongzhi 共治 API", version="1", urls_namespace="api")
