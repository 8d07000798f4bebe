"""The data generator for the benchmarks: a list edition of any size, deterministic for a seed.

It starts from the Tongling sample edition (gongzhi.duties.sample) and adds synthetic items written the way list
items are written ("协助做好燃气安全宣传", "组织居民开展垃圾分类议事协商", "占道经营行政处罚", "养犬情况证明"), with
keywords, so that the index sees realistic vocabulary and posting-list lengths.
"""

from __future__ import annotations

import random

from gongzhi.duties import sample
from gongzhi.duties.matcher import Doc
from gongzhi.duties.models import split_keywords


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SUBJECTS = _words(
    "城市管理 垃圾分类 文明城市 食品安全 防汛抗旱 人口普查 经济普查 征兵 退役军人 残疾人 消防 交通安全 禁毒 反邪教 "
    "国家安全 应急避险 地质灾害 农业普查 统计调查 地名普查 双拥 慈善捐赠 红十字 工会 妇联 共青团 关工委 科协 侨务 "
    "民族宗教 档案 保密 网络安全 数据安全 气象 地震 人防 粮食安全 电力设施保护 水利 河长制 林长制 农村宅基地 "
    "物业维修资金 老旧小区改造 加装电梯 停车管理 充电设施 共享单车 外卖骑手 新就业形态 快递 家政 托育 婴幼儿照护 "
    "学前教育 义务教育 校外培训 心理健康 精神障碍 慢性病 医保支付 长期护理 养老机构 助餐点 适老化改造 无障碍 "
    "殡葬改革 婚姻登记 收养 流浪乞讨 社会组织 慈善超市 社会工作 公益创投 燃气安全 电动自行车 高空抛物 噪声 "
    "油烟 烟花爆竹 野生动物 犬只 流浪动物 病媒生物 饮用水 二次供水 电梯安全 外墙脱落 违规群租 房屋安全 危房 "
    "防范诈骗 非法集资 传销 反恐 治安 矛盾调处 信访 法律援助 公共法律服务 人民调解 普法 宪法 民法典 "
    "全民健身 广场舞 群众文化 全民阅读 非遗 文物 旅游 体育设施 健身器材 文化站 图书室 "
    "就业援助 技能培训 创业担保 零工市场 农民工工资 劳动关系 社保缴费 城乡医保 养老保险 工伤 "
    "低保 特困 临时救助 住房保障 公租房 租赁补贴 棚户区 拆迁安置 征收补偿 土地 规划 建设工程 "
    "环境卫生 绿化 河道 公厕 化粪池 污水 雨污分流 路灯 道路 桥梁 井盖 积水点"
)
ACTIONS = _words(
    "宣传 信息采集 入户走访 摸底排查 政策咨询 组织动员 日常巡查 台账登记 情况报告 服务对接 培训 演练"
)
SELF = _words("议事协商 志愿服务 公益活动 居民公约 民主评议 意见收集 互助服务")
POWERS = _words("行政处罚 执法检查 行政许可 审批 考核评比 达标验收 行政强制 监督检查")
DEPARTMENTS = _words(
    "民政局 城市管理局 市场监督管理局 卫生健康委员会 公安局 住房和城乡建设局 应急管理局 统计局"
)
KINDS = (("assisting", 40), ("statutory", 15), ("excluded", 25), ("certificate", 5), ("power", 15))


def seed_docs() -> list[Doc]:
    """The current sample edition as the matcher's index sees it."""
    return [
        Doc(i.code, i.kind, i.title, i.category, i.description, tuple(split_keywords(i.keywords)))
        for i in sample.CURRENT_CITY.items
    ]


def generated_docs(size: int, seed: int = 20260101) -> list[Doc]:
    """`size` items: the seed edition plus synthetic ones (all distinct codes)."""
    rng = random.Random(seed)
    docs = seed_docs()[:size]
    kinds = [k for k, weight in KINDS for _ in range(weight)]
    n = 0
    while len(docs) < size:
        n += 1
        kind = rng.choice(kinds)
        keywords: tuple[str, ...]
        subject = rng.choice(SUBJECTS)
        if kind == "assisting":
            action = rng.choice(ACTIONS)
            title, keywords = f"协助做好{subject}{action}", (subject, f"{subject}{action}", action)
        elif kind == "statutory":
            action = rng.choice(SELF)
            title, keywords = f"组织居民开展{subject}{action}", (subject, action)
        elif kind == "certificate":
            title, keywords = f"{subject}情况证明", (f"{subject}证明",)
        else:
            power = rng.choice(POWERS)
            title, keywords = f"{subject}{power}", (subject, power, f"{subject}{power}")
        department = rng.choice(DEPARTMENTS) if kind in ("assisting", "power") else ""
        description = f"{department}负责的{subject}相关事项。" if department else f"{subject}相关事项。"
        docs.append(Doc(f"G-{n:05d}", kind, title, "", description, keywords))
    return docs
