"""Demo of the clean-up: a realistic before/after (all numbers are SAMPLE data, labelled as such).

- The city's allowed set of plaques, seeded from the Shandong example in domain.md §3.2 (outside: party
  organization, residents' committee, militia company, party–masses service centre; inside: civilization practice
  station, comprehensive governance centre, collective economic organization, veterans' service station; boards
  that may never go on the wall: organization charts, staff lists, duty rules), adapted from villages to urban
  communities and marked as a sample.
- 铜霞社区 carried 124 tasks from ten departments (the "八大类120多项" scale of 郑州二七区, domain.md §1.3) and 15
  plaques. A closed task campaign over 铜官区 classifies each task with the list matcher and keeps only the
  statutory and assisting ones; a closed plaque pilot at 铜霞 leaves the plaques the allowed set permits, each
  removal confirmed with a photo. 狮子山 and 凤凰山 carried fewer tasks.
- A second plaque campaign over 铜官区 is left in review, with the allowed set's suggestions, for the office to try.

Idempotent: each part is skipped when its campaign (looked up by title) or its plaques already exist.
"""

from __future__ import annotations

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

from gongzhi.cleanup import services
from gongzhi.cleanup.models import AllowedPlaque, Campaign, CarriedTask, Placement, Plaque, PlaqueReview
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind
from gongzhi.orgs.models import Organization, Region

SOURCE_PLAQUES = (
    "示例:参照山东某市2023年村级挂牌规范(鲁社区治理组〔2023〕1号)改编为城市社区,见 domain.md §3.2"
)
TASK_CAMPAIGN = "2026年铜官区社区减负事项清理(示例)"
PLAQUE_PILOT = "铜霞社区挂牌清理试点(示例)"
PLAQUE_CAMPAIGN = "2027年铜官区社区挂牌清理(示例)"

OUT, IN = Placement.OUTSIDE, Placement.INSIDE

# (name, placement, kind, keywords)
ALLOWED: tuple[tuple[str, str, str, str], ...] = (
    ("社区党组织", OUT, AllowedPlaque.Kind.ALLOWED, "中共、党委、党总支、党支部"),
    ("社区居民委员会", OUT, AllowedPlaque.Kind.ALLOWED, "居民委员会、居委会"),
    ("民兵连", OUT, AllowedPlaque.Kind.ALLOWED, ""),
    ("党群服务中心", OUT, AllowedPlaque.Kind.ALLOWED, ""),
    ("新时代文明实践站", IN, AllowedPlaque.Kind.ALLOWED, "文明实践站"),
    ("综治中心", IN, AllowedPlaque.Kind.ALLOWED, "综合治理中心"),
    ("集体经济组织", IN, AllowedPlaque.Kind.ALLOWED, "股份经济合作社、经济合作社"),
    ("退役军人服务站", IN, AllowedPlaque.Kind.ALLOWED, ""),
    ("组织架构", "", AllowedPlaque.Kind.BANNED, "架构图"),
    ("人员名单", "", AllowedPlaque.Kind.BANNED, "工作人员名单、人员分工"),
    ("职责制度", "", AllowedPlaque.Kind.BANNED, "岗位职责、工作制度"),
)

# 铜霞社区's 15 plaques before the pilot: (name, placement, issuing department short name or "")
TONGXIA_PLAQUES: tuple[tuple[str, str, str], ...] = (
    ("中共铜霞社区委员会", OUT, ""),
    ("铜霞社区居民委员会", OUT, "民政局"),
    ("铜霞社区党群服务中心", OUT, ""),
    ("铜霞社区民兵连", OUT, ""),
    ("铜霞社区老年学校", OUT, "民政局"),
    ("铜霞社区关心下一代工作委员会", OUT, ""),
    ("全民健身示范点", OUT, "卫生健康委员会"),
    ("铜霞社区新时代文明实践站", OUT, ""),
    ("新时代文明实践站", IN, ""),
    ("铜霞社区综治中心", IN, "公安局"),
    ("退役军人服务站", IN, "退役军人事务局"),
    ("社区组织架构图", IN, ""),
    ("社区工作人员岗位职责", IN, ""),
    ("妇女之家", IN, ""),
    ("人口学校", IN, "卫生健康委员会"),
)
OTHER_PLAQUES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "狮子山社区": (
        ("中共狮子山社区委员会", OUT, ""),
        ("狮子山社区居民委员会", OUT, "民政局"),
        ("狮子山社区党群服务中心", OUT, ""),
        ("安全生产监督站", OUT, "应急管理局"),
        ("消费维权服务站", OUT, "市场监督管理局"),
        ("综治中心", IN, "公安局"),
        ("统计工作站", IN, "统计局"),
        ("社区工作人员名单", IN, ""),
        ("垃圾分类示范点", IN, "城市管理局"),
    ),
    "凤凰山社区": (
        ("中共凤凰山社区委员会", OUT, ""),
        ("凤凰山社区居民委员会", OUT, "民政局"),
        ("凤凰山社区民兵连", OUT, ""),
        ("就业和社会保障服务站", OUT, "人力资源和社会保障局"),
        ("健康社区", OUT, "卫生健康委员会"),
        ("平安社区", OUT, "公安局"),
        ("新时代文明实践站", IN, ""),
        ("退役军人服务站", IN, "退役军人事务局"),
        ("社区组织架构", IN, ""),
        ("人口学校", IN, "卫生健康委员会"),
        ("科普活动室", IN, ""),
    ),
}

# The tasks 铜霞社区 carried before the clean-up: department short name → (title, forms per month).
TASKS: dict[str, tuple[tuple[str, int], ...]] = {
    "民政局": (
        ("协助开展最低生活保障申请的入户调查和张榜公示", 0),
        ("协助做好特困人员供养对象的走访和动态管理", 0),
        ("每月报送低保对象动态管理台账", 1),
        ("养老服务补贴申请的初审和公示", 0),
        ("高龄津贴发放对象年审", 0),
        ("社区社会组织登记备案情况统计报表", 1),
        ("为居民出具家庭经济困难证明", 0),
        ("为居民出具婚姻状况证明", 0),
        ("殡葬改革散埋乱葬整治", 0),
        ("开展文明和谐社区创建评比", 0),
        ("城乡社区治理示范点迎检材料准备", 2),
        ("组织召开社区居民会议", 0),
        ("推行居务公开,定期公布社区事务", 0),
        ("居民公约的讨论制定与监督执行", 0),
        ("指导和监督业主委员会换届选举", 0),
    ),
    "人力资源和社会保障局": (
        ("协助做好劳动就业登记和失业人员再就业服务", 0),
        ("城乡居民养老保险参保动员", 0),
        ("每季度报送就业困难人员台账", 1),
        ("辖区企业用工情况调查表填报", 1),
        ("社保待遇领取资格认证", 0),
        ("为居民出具就业状况证明", 0),
        ("根治欠薪线索排查", 0),
        ("职业技能培训报名组织", 0),
        ("灵活就业人员信息采集", 1),
        ("创建充分就业社区考核评比", 0),
        ("劳动保障监察协管", 0),
        ("退休人员社会化管理服务", 0),
    ),
    "卫生健康委员会": (
        ("协助做好公共卫生,组织居民接种疫苗宣传", 0),
        ("计划生育家庭奖励扶助对象资格初审", 0),
        ("为居民出具独生子女证明", 0),
        ("每月报送育龄妇女信息统计表", 1),
        ("爱国卫生运动病媒生物防制检查", 0),
        ("健康社区创建迎检", 1),
        ("家庭医生签约入户动员", 0),
        ("慢性病患者随访登记表填报", 2),
        ("为新生儿出具出生证明", 0),
        ("无偿献血动员任务指标", 0),
        ("公共场所控烟执法检查", 0),
        ("协助开展老年人健康体检组织工作", 0),
    ),
    "公安局": (
        ("协助维护社会治安,组织群防群治巡逻", 0),
        ("流动人口信息采集登记", 1),
        ("出租房屋治安检查", 0),
        ("为居民出具无犯罪记录证明", 0),
        ("为居民出具居民身份信息证明", 0),
        ("为居民出具养犬证明", 0),
        ("反诈宣传APP下载注册任务指标", 0),
        ("社区戒毒社区康复人员帮教", 0),
        ("重点人员稳控台账每周报送", 4),
        ("平安社区创建考核", 0),
        ("户口迁移材料审核", 0),
        ("协助做好社区矫正对象日常管理", 0),
    ),
    "住房和城乡建设局": (
        ("老旧小区改造居民意见征集", 0),
        ("协助做好住房保障申请家庭入户调查", 0),
        ("为居民出具住房证明", 0),
        ("违法建设巡查上报", 2),
        ("燃气安全入户检查", 0),
        ("监督物业服务企业开展工作", 0),
        ("房屋征收动迁工作", 0),
        ("自建房安全排查台账", 1),
        ("公租房租金催缴", 0),
        ("指导业主大会筹建", 0),
        ("既有住宅加装电梯居民协商", 0),
        ("建筑工地扬尘检查", 0),
    ),
    "城市管理局": (
        ("占道经营整治", 0),
        ("垃圾分类入户宣传和督导", 0),
        ("垃圾分类检查评比排名", 0),
        ("户外广告招牌设置审批初审", 0),
        ("违规停车劝导执法", 0),
        ("对环境卫生服务单位在社区的服务情况进行监督", 0),
        ("对园林绿化服务情况进行监督", 0),
        ("数字城管平台案件处置", 0),
        ("犬只管理执法", 0),
        ("市容环境每日巡查照片上报", 20),
        ("文明城市创建迎检", 2),
        ("收取城市生活垃圾处理费", 0),
    ),
    "市场监督管理局": (
        ("食品经营户安全检查", 0),
        ("为个体户出具市场主体住所证明", 0),
        ("协助做好消费维权投诉调解", 0),
        ("无证照经营排查", 0),
        ("价格监督检查", 0),
        ("特种设备安全检查", 0),
        ("个体工商户年报催报", 1),
        ("放心消费创建评比", 0),
        ("食品安全宣传周活动", 0),
        ("市场主体信息核查台账", 1),
    ),
    "统计局": (
        ("人口普查入户登记", 0),
        ("每月报送社区经济统计报表", 1),
        ("经济普查单位清查", 0),
        ("劳动力调查入户", 1),
        ("1%人口抽样调查", 0),
        ("居民收支调查记账户动员", 0),
        ("招商引资任务指标", 0),
        ("统计基层基础规范化建设评比", 0),
        ("统计数据质量核查", 1),
        ("社区统计员报表每旬报送", 3),
    ),
    "退役军人事务局": (
        ("退役军人信息采集", 1),
        ("为烈属军属悬挂光荣牌", 0),
        ("协助做好优抚对象走访慰问", 0),
        ("退役军人服务站建设达标考核", 0),
        ("拥军优属宣传", 0),
        ("为退役军人出具身份证明", 0),
        ("烈士纪念日祭扫活动组织", 0),
        ("退役军人就业创业帮扶台账", 1),
        ("双拥模范社区创建迎检", 1),
        ("协助做好困难退役军人帮扶", 0),
    ),
    "应急管理局": (
        ("辖区企业安全生产大检查", 0),
        ("防汛应急值守", 0),
        ("应急避难场所日常管理", 0),
        ("沿街商铺消防安全隐患排查", 0),
        ("综合减灾示范社区创建", 0),
        ("灾情信息报告", 0),
        ("安全生产月宣传", 0),
        ("危化品经营场所检查", 0),
        ("组织居民应急疏散演练", 0),
        ("每月报送安全隐患排查表", 1),
    ),
    "": (
        ("协助做好人大代表选举选民登记", 0),
        ("征兵宣传和适龄青年兵役登记", 0),
        ("文明祭祀劝导", 0),
        ("全国文明城市测评问卷入户", 0),
        ("组织开展邻里节志愿服务活动", 0),
        ("调解邻里纠纷", 0),
        ("编制社区工作年度总结材料", 1),
        ("各类创建挂牌资料归档", 1),
        ("了解小区停车需求,向政府反映居民意见", 0),
    ),
}

# Work that goes to the service centre or a social organization instead (title → decision).
TRANSFERS: dict[str, str] = {
    "高龄津贴发放对象年审": CarriedTask.Decision.TO_CENTRE,
    "家庭医生签约入户动员": CarriedTask.Decision.TO_CENTRE,
    "退休人员社会化管理服务": CarriedTask.Decision.TO_CENTRE,
    "职业技能培训报名组织": CarriedTask.Decision.TO_SOCIAL_ORG,
    "垃圾分类入户宣传和督导": CarriedTask.Decision.TO_SOCIAL_ORG,
}
# How many of the list each other community carried (every n-th task).
OTHER_COMMUNITIES = {"狮子山社区": 3, "凤凰山社区": 4}


def tiny_png() -> bytes:
    """A valid 1×1 grey PNG: the stand-in for a photo in the demo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def _photo(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, tiny_png(), content_type="image/png")


def _departments(city: Region) -> dict[str, Organization]:
    found: dict[str, Organization] = {}
    for org in Organization.objects.filter(kind=OrgKind.DEPARTMENT, region=city):
        for key in (org.short_name, org.name.removeprefix(city.name)):
            if key:
                found.setdefault(key, org)
    return found


def _allowed_set(city: Region) -> int:
    created = 0
    for name, placement, kind, keywords in ALLOWED:
        if AllowedPlaque.objects.filter(region=city, name=name, placement=placement).exists():
            continue
        services.add_allowed_plaque(
            actor=None,
            region=city,
            name=name,
            placement=placement,
            kind=kind,
            keywords=keywords,
            source=SOURCE_PLAQUES,
            is_sample=True,
        )
        created += 1
    return created


def _plaques(
    community: Region, rows: tuple[tuple[str, str, str], ...], departments: dict[str, Organization]
) -> None:
    if Plaque.objects.filter(community=community, is_sample=True).exists():
        return
    for i, (name, placement, dept) in enumerate(rows):
        issuer = departments.get(dept) if dept else None
        services.register_plaque(
            actor=None,
            community=community,
            name=name,
            placement=placement,
            issuer=issuer,
            issuer_name="" if issuer is not None else "社区自设(示例)",
            basis="示例数据",
            photo=_photo("plaque.png") if i % 3 == 0 else None,
            is_sample=True,
        )


def _plaque_pilot(office: User, community_user: User, tongxia: Region) -> None:
    if Campaign.objects.filter(title=PLAQUE_PILOT).exists():
        return
    campaign = services.create_campaign(
        actor=office,
        kind=Campaign.Kind.PLAQUES,
        title=PLAQUE_PILOT,
        scope=tongxia,
        basis="对照本市允许保留的牌子清单(示例)",
        note="示例数据:铜霞社区清理前悬挂15块牌子。",
        is_sample=True,
    )
    for to in (Campaign.Status.INVENTORY, Campaign.Status.REVIEW):
        services.move_campaign(actor=office, campaign=campaign, to=to)
    services.accept_plaque_suggestions(actor=office, campaign=campaign)
    services.move_campaign(actor=office, campaign=campaign, to=Campaign.Status.EXECUTION)
    for review in campaign.plaque_reviews.filter(decision=PlaqueReview.Decision.REMOVE):
        services.confirm_plaque_removal(actor=community_user, review=review, photo=_photo("removed.png"))
    services.move_campaign(actor=office, campaign=campaign, to=Campaign.Status.CLOSED)


def _decide_rest(office: User, campaign: Campaign) -> None:
    centres = {o.region_id: o for o in Organization.objects.filter(kind=OrgKind.SERVICE_CENTRE)}
    social = Organization.objects.filter(kind=OrgKind.SOCIAL_ORG).order_by("id").first()
    for task in campaign.tasks.select_related("community").order_by("id"):
        decision = TRANSFERS.get(task.title)
        if decision == CarriedTask.Decision.TO_CENTRE and task.community_id in centres:
            services.decide_task(
                actor=office,
                task=task,
                decision=decision,
                note="由社区服务中心承接,居委会不再承担(示例)",
                transfer_to=centres[task.community_id],
            )
    services.accept_task_suggestions(actor=office, campaign=campaign)
    for task in campaign.tasks.filter(decision="").order_by("id"):
        decision = TRANSFERS.get(task.title, "")
        if decision == CarriedTask.Decision.TO_SOCIAL_ORG and social is not None:
            services.decide_task(
                actor=office,
                task=task,
                decision=decision,
                note="通过政府购买服务交社会组织承接(示例)",
                transfer_to=social,
            )
        elif "report_form" in task.flags:
            services.decide_task(
                actor=office,
                task=task,
                decision=CarriedTask.Decision.CANCEL,
                note="报表合并,部门从业务系统取数,不再要求社区填报(示例)",
            )
        elif task.department_id is not None:
            services.decide_task(
                actor=office,
                task=task,
                decision=CarriedTask.Decision.RETURN,
                note="清单外事项,退回部门;确需社区协助的,按准入程序申请(示例)",
            )
        else:
            services.decide_task(
                actor=office, task=task, decision=CarriedTask.Decision.CANCEL, note="清单外事项,取消(示例)"
            )


def _task_campaign(office: User, district: Region, departments: dict[str, Organization]) -> None:
    if Campaign.objects.filter(title=TASK_CAMPAIGN).exists():
        return
    campaign = services.create_campaign(
        actor=office,
        kind=Campaign.Kind.TASKS,
        title=TASK_CAMPAIGN,
        scope=district,
        basis="对照现行社区工作事项清单逐项清理(示例)",
        note="示例数据:铜霞社区清理前承担124项工作,规模参照郑州二七区“八大类120多项”。",
        is_sample=True,
    )
    services.move_campaign(actor=office, campaign=campaign, to=Campaign.Status.INVENTORY)
    rows = [(dept, title, forms) for dept, tasks in TASKS.items() for title, forms in tasks]
    plan = {"铜霞社区": rows} | {
        name: rows[i::every] for i, (name, every) in enumerate(OTHER_COMMUNITIES.items(), start=1)
    }
    for name, tasks in plan.items():
        community = Region.objects.filter(parent=district, name=name).first()
        if community is None:
            continue
        for dept, title, forms in tasks:
            services.add_carried_task(
                actor=office,
                campaign=campaign,
                community=community,
                title=title,
                department=departments.get(dept) if dept else None,
                forms_per_month=forms,
                is_sample=True,
            )
    services.move_campaign(actor=office, campaign=campaign, to=Campaign.Status.REVIEW)
    _decide_rest(office, campaign)
    services.move_campaign(actor=office, campaign=campaign, to=Campaign.Status.EXECUTION)
    services.move_campaign(actor=office, campaign=campaign, to=Campaign.Status.CLOSED)


def _open_plaque_campaign(office: User, district: Region) -> None:
    if Campaign.objects.filter(title=PLAQUE_CAMPAIGN).exists():
        return
    campaign = services.create_campaign(
        actor=office,
        kind=Campaign.Kind.PLAQUES,
        title=PLAQUE_CAMPAIGN,
        scope=district,
        basis="对照本市允许保留的牌子清单(示例)",
        note="示例数据:审定中,各块牌子已按允许保留的清单给出建议,待审批办逐块决定。",
        is_sample=True,
    )
    for to in (Campaign.Status.INVENTORY, Campaign.Status.REVIEW):
        services.move_campaign(actor=office, campaign=campaign, to=to)


def load(*, actor: User | None) -> dict[str, int]:
    office = User.objects.filter(username="demo-office").first()
    community_user = User.objects.filter(username="demo-community").first()
    district = Region.objects.filter(name="铜官区", kind=Region.Kind.DISTRICT).first()
    city = district.parent if district is not None else None
    tongxia = (
        Region.objects.filter(parent=district, name="铜霞社区").first() if district is not None else None
    )
    if office is None or community_user is None or city is None or district is None or tongxia is None:
        return {"campaigns": 0}
    _allowed_set(city)
    departments = _departments(city)
    _plaques(tongxia, TONGXIA_PLAQUES, departments)
    _plaque_pilot(office, community_user, tongxia)
    for name, rows in OTHER_PLAQUES.items():
        community = Region.objects.filter(parent=district, name=name).first()
        if community is not None:
            _plaques(community, rows, departments)
    _task_campaign(office, district, departments)
    _open_plaque_campaign(office, district)
    return {
        "campaigns": Campaign.objects.filter(is_sample=True).count(),
        "tasks": CarriedTask.objects.filter(is_sample=True).count(),
        "plaques": Plaque.objects.filter(is_sample=True).count(),
        "allowed": AllowedPlaque.objects.count(),
    }
