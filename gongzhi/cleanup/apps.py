from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CleanupConfig(AppConfig):
    name = "gongzhi.cleanup"
    label = "cleanup"
    verbose_name = _("减事务、减牌子")
