from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "gongzhi.agreements"
    label = "agreements"
    verbose_name = _("委托协议")
