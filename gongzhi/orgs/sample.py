"""Synthetic, clearly-sample values for the demo and the benchmark generator: names, phones, ID numbers.

Everything is drawn from a `random.Random` the caller seeds, so the same seed always gives the same city. Phone
numbers are valid mainland mobile numbers and ID numbers carry a correct GB 11643 check digit (the services validate them
like real data), but every row made from them is stored with `is_sample=True`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from gongzhi.core.pii import id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彩春菊凤洁梅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
# Syllables for place names. Chosen so that a generated name never equals one of Tongling's real community
# names used by the demo (铜霞, 狮子山, 凤凰山, 立新, 翠湖, 映湖).
PLACE = "和安康宁祥瑞丰华兴盛泰福民乐平顺嘉禾春晖松韵桂苑枫林朝阳东升南岭西园北苑金桥银杏绿洲清溪新河长青锦绣"
ESTATE_SUFFIX = ("花园", "小区", "家园", "新村", "苑", "雅居", "公寓", "名苑", "佳园", "里")
COMPANY_WORDS = (
    "安居",
    "和家",
    "宜居",
    "铜都",
    "顺达",
    "金域",
    "长江",
    "皖江",
    "铜安",
    "诚信",
    "康居",
    "嘉业",
)
SOCIAL_WORDS = ("阳光", "益心", "同心", "邻里", "暖阳", "春苗", "夕阳红", "启航", "善行", "和睦")
UNIT_KINDS = (
    "中学",
    "小学",
    "供电营业所",
    "卫生服务站",
    "邮政支局",
    "银行支行",
    "派出所",
    "消防站",
    "图书馆分馆",
)


@dataclass(frozen=True)
class SamplePerson:
    name: str
    phone: str
    id_number: str
    birth_year: int


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    """A valid mainland mobile number (`^1[3-9]\\d{9}$`)."""
    return "1" + rng.choice("3456789") + f"{rng.randrange(10**9):09d}"


def id_number(rng: random.Random, region_code: str, birth_year: int) -> str:
    """An 18-character resident ID number with a correct GB 11643 check digit."""
    area = (region_code + "000000")[:6]
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    first17 = f"{area}{birth_year:04d}{month:02d}{day:02d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


def person(rng: random.Random, region_code: str) -> SamplePerson:
    year = rng.randint(1940, 2006)
    return SamplePerson(person_name(rng), mobile(rng), id_number(rng, region_code, year), year)


def place_word(rng: random.Random) -> str:
    a, b = rng.sample(PLACE, 2)
    return a + b


def community_name(rng: random.Random) -> str:
    return place_word(rng) + "社区"


def estate_name(rng: random.Random) -> str:
    return place_word(rng) + rng.choice(ESTATE_SUFFIX)


def company_name(rng: random.Random) -> str:
    return f"铜陵市{rng.choice(COMPANY_WORDS)}{place_word(rng)}物业服务有限公司"


def social_org_name(rng: random.Random) -> str:
    return f"铜陵市{rng.choice(SOCIAL_WORDS)}{place_word(rng)}社会工作服务中心"


def unit_name(rng: random.Random) -> str:
    return f"铜陵市{place_word(rng)}{rng.choice(UNIT_KINDS)}"


def household_address(building: int, unit: int, floor: int, room: int) -> str:
    """门牌: 楼栋-单元-室, e.g. 3-2-501."""
    return f"{building}-{unit}-{floor}{room:02d}"


def household_size(rng: random.Random) -> int:
    return rng.choices((1, 2, 3, 4, 5), weights=(15, 30, 30, 18, 7))[0]
