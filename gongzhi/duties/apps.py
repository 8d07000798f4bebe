from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutiesConfig(AppConfig):
    name = "gongzhi.duties"
    label = "duties"
    verbose_name = _("社区工作清单")
