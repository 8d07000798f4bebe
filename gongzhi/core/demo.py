"""Demo data of the core app: the 2027 holiday schedule, marked as assumed.

The State Council had not published the 2027 schedule when this was written, so the demo enters the statutory
holidays of the 2024 revision of 《全国年节及纪念日放假办法》 on their 2027 dates (元旦 1 day, 春节 4 days from
除夕, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3) with the make-up rest days its article 6 gives for statutory days
that fall on a weekend (补假), without the bridging and make-up working days a notice usually adds, and marks the
year as assumed. The approval office replaces it when the official notice appears.
"""

from __future__ import annotations

from datetime import date

from gongzhi.core import services
from gongzhi.core.models import CalendarYear, User

HOLIDAYS_2027_ASSUMED: list[tuple[date, str]] = [
    (date(2027, 1, 1), "元旦"),
    (date(2027, 2, 5), "春节(除夕)"),
    (date(2027, 2, 8), "春节(初三)"),
    (date(2027, 2, 9), "春节(初一补假)"),
    (date(2027, 2, 10), "春节(初二补假)"),
    (date(2027, 4, 5), "清明节"),
    (date(2027, 5, 3), "劳动节(补假)"),
    (date(2027, 5, 4), "劳动节(补假)"),
    (date(2027, 6, 9), "端午节"),
    (date(2027, 9, 15), "中秋节"),
    (date(2027, 10, 1), "国庆节"),
    (date(2027, 10, 4), "国庆节(补假)"),
]
SOURCE_2027 = "暂定:按《全国年节及纪念日放假办法》(2024年修订)法定假日推算,待国务院办公厅通知后更新"


def load(*, actor: User | None) -> None:
    if CalendarYear.objects.filter(year=2027).exists():
        return
    # Statutory days that fall on a weekend (春节 6–7 Feb 2027, 劳动节 1–2 May, 国庆 2–3 Oct) need no entry of
    # their own: only weekday holidays and weekend working days differ from the Monday–Friday rule.
    services.enter_calendar_year(
        actor=actor, year=2027, holidays=HOLIDAYS_2027_ASSUMED, workdays=[], assumed=True, source=SOURCE_2027
    )
