"""The Tongling sample lists, compiled from public national documents and other cities' published lists.

This is NOT a list Tongling issued. Every item names its source (the addresses are those in
shared/reference/domain.md §1 and §10); where an item is our own grouping of a source's principle it says
「归纳」. Funding amounts are sample values. Codes are stable across editions so that the diff shows how an item
changed kind (e.g. a certificate the community used to issue that is now on the "must not issue" list).

Two city editions: an earlier, larger one (2014, before the clean-up: the community issued every certificate
and "assisted" with enforcement and inspection work) and the current one (2021, after the 2020 national
certificate list). One district addition for 铜官区.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

# --- sources -----------------------------------------------------------------------------------------------
LAW = "《中华人民共和国城市居民委员会组织法》(1989年通过,2018年修正)"
SRC_LAW = f"{LAW}; https://shexun.cn/book/chapter/107545/1.html"
OPINION_2010 = "中共中央办公厅、国务院办公厅《关于加强和改进城市社区居民委员会建设工作的意见》(2010)"
SRC_2010_SELF = f"{OPINION_2010}“依法组织自治活动”; http://www.fsou.net/html/text/lar/173071/17307194_1.html"
SRC_2010_ASSIST = f"{OPINION_2010}“依法协助政府工作”; https://www.hpcxjsj.com/chengxiang_136675"
SRC_2010_SUPERVISE = (
    f"{OPINION_2010}“依法依规组织监督活动”; http://www.fsou.net/html/text/lar/173071/17307194_1.html"
)
SRC_DIBAO = "社区协助低保工作流程(张榜公布、入户调查、跟踪调整); https://www.xiaomilidoc.com/p-10167046.html"
CERT_2020 = (
    "民政部等六部门《关于改进和规范基层群众性自治组织出具证明工作的指导意见》(2020)"
    "附《不应由基层群众性自治组织出具证明事项清单(第一批)》"
)
SRC_CERT_2020 = f"{CERT_2020}; http://www.handmsg.com/page/2020/0511/7993567.shtml"
SRC_HARBIN = (
    "哈尔滨市2018年全面取消社区居委会出具的13类证明; "
    "http://hlj.sina.com.cn/news/b/2018-08-02/detail-ihhehtqf6373176.shtml?from=hlj_cnxh"
)
SRC_XIANNING = "湖北咸宁市委组织部、市民政局、市司法局指导意见(取消社区证明事项37项); http://tongshan.cjyun.org/p/74339.html"
SRC_ZHAOQING = (
    "肇庆市社区“万能章”治理(负面清单12项、正面清单6项); "
    "https://tripcoinc.com/zwgk/zdlyxxgkzl/xzsp/content/post_3625922.html"
)
SRC_ERQI = "郑州市二七区《社区工作事项准入制度管理办法(试行)》; https://www.erqi.gov.cn/zwyw/3308826.jhtml"
SRC_YUHANG = (
    "杭州余杭社区“牌子多、考核评比多、创建达标多”问题研究; http://m.jizihe.com/page/2015/0130/16154913.shtml"
)
SRC_XIANNING_TASKS = (
    "咸宁市取消对社区的工作任务摊派8项(事项名称未检索到,此为归纳); http://tongshan.cjyun.org/p/74339.html"
)
SRC_NATURE = f"归纳:居委会是基层群众性自治组织({LAW}第二条),不具有行政执法、检查、许可主体资格; {SRC_ERQI}"
SRC_TONGLING_REFORM = (
    "铜陵2010年撤销街道办、区直管社区改革:统筹政社、扁平化、网格化,费随事转、重心下沉; "
    "http://technieblog.com/archives/47"
)

SAMPLE_NOTE = (
    "示例清单:根据公开的国家法律、中央文件和其他城市公开发布的清单整理,用于演示,不是铜陵市正式发布的文件。"
    "每一事项均注明来源;经费标准为示例数值。"
    " / Sample list compiled from public national documents and other cities' published lists; "
    "not an official Tongling document. Funding amounts are sample values."
)
SAMPLE_BODY = "中共铜陵市委全面深化改革领导小组办公室(示例)"


@dataclass(frozen=True)
class SampleItem:
    code: str
    kind: str
    title: str
    source: str
    category: str = ""
    description: str = ""
    legal_basis: str = ""
    department: str = ""  # short name: looked up as "<city name><department>"; left empty if missing
    funding_yuan: int = 0
    keywords: str = ""


@dataclass(frozen=True)
class SampleEdition:
    key: str
    scope_code: str
    title: str
    doc_number: str
    approved_on: date
    effective_from: date
    items: tuple[SampleItem, ...]
    note: str = SAMPLE_NOTE
    issuing_body: str = SAMPLE_BODY


S, A, C, X = "statutory", "assisting", "certificate", "excluded"
ART3 = f"{LAW}第三条"

# --- 依法履行职责事项 (statutory core): law Art. 3, 4, 15 and the 2010 opinion --------------------------------------
STATUTORY: tuple[SampleItem, ...] = (
    SampleItem(
        "S-01",
        S,
        "宣传宪法、法律、法规和国家的政策,维护居民的合法权益,教育居民履行依法应尽的义务,爱护公共财产",
        SRC_LAW,
        "自治",
        "面向居民开展法治和政策宣传,维护居民合法权益。",
        f"{ART3}第(一)项",
        keywords="普法宣传、法治宣传、政策宣传、宣讲、法律知识、宪法宣传、法律咨询、居民权益、公共财产、法律明白人、普法、法治宣传教育、民法典宣传、国家安全宣传、以案说法、法治讲座、法律进社区",
    ),
    SampleItem(
        "S-02",
        S,
        "开展多种形式的社会主义精神文明建设活动",
        SRC_LAW,
        "自治",
        "组织居民开展精神文明建设和移风易俗活动。",
        f"{ART3}第(一)项",
        keywords="精神文明、文明实践、道德讲堂、移风易俗、文明家庭、好家风、邻里节、好人好事、社会公德、文明礼仪、文明新风、新时代文明实践、孝老爱亲、最美家庭、文明餐桌、光盘行动、红白喜事、婚事新办、厚养薄葬",
    ),
    SampleItem(
        "S-03",
        S,
        "办理本居住地区居民的公共事务和公益事业",
        SRC_LAW,
        "自治",
        "办理本社区居民共同关心的公共事务和公益事业。",
        f"{ART3}第(二)项",
        keywords="公共事务、公益事业、公益活动、民生实事、微实事、小区公共设施、楼道整治、加装电梯协调、"
        "停车难、公共空间、居民共同事务、公共收益、楼道堆物、公共维修、为民办实事、居民自治项目、小区环境改善",
    ),
    SampleItem(
        "S-04",
        S,
        "调解民间纠纷",
        SRC_LAW,
        "自治",
        "通过人民调解委员会调解居民之间的民间纠纷。",
        f"{ART3}第(三)项",
        keywords="矛盾纠纷、邻里纠纷、家庭纠纷、民间纠纷、人民调解、调解委员会、化解矛盾、纠纷排查化解、调解、纠纷调处、矛盾调解、调处化解、化解纠纷",
    ),
    SampleItem(
        "S-05",
        S,
        "向人民政府或者它的派出机关反映居民的意见、要求和提出建议",
        SRC_LAW,
        "自治",
        "收集并向政府反映居民的意见、诉求和建议。",
        f"{ART3}第(六)项",
        keywords="反映意见、反映诉求、民意收集、居民诉求、社情民意、民情恳谈、意见建议、居民呼声、民意、民情、群众诉求、居民意见、意见收集",
    ),
    SampleItem(
        "S-06",
        S,
        "开展便民利民的社区服务活动,兴办有关的服务事业",
        SRC_LAW,
        "自治",
        "开展便民利民服务,兴办社区服务事业。",
        f"{LAW}第四条",
        keywords="便民服务、便民利民、社区服务、社区食堂、便民维修、四点半课堂、家政服务、托管服务、服务事业、生活服务、家电维修、理发、社区服务活动",
    ),
    SampleItem(
        "S-07",
        S,
        "管理本居民委员会的财产",
        SRC_LAW,
        "自治",
        "管理居委会的财产和经费,任何部门和单位不得侵犯。",
        f"{LAW}第四条",
        keywords="居委会财产、居委会经费、集体资产、财务管理、资产管理、经费使用、办公用房、资金管理、公益金、居委会资产",
    ),
    SampleItem(
        "S-08",
        S,
        "召集社区居民会议或居民代表会议",
        SRC_2010_SELF,
        "自治",
        "召集居民会议、居民代表会议,讨论决定涉及全体居民利益的重要问题。",
        f"{LAW}第九条、第十条",
        keywords="居民会议、居民代表会议、议事会、协商议事、民主协商、民主决策、决策日、议题、居民议事、居民代表大会、居民大会、议事协商、民主议事、协商会、议事厅、居民协商",
    ),
    SampleItem(
        "S-09",
        S,
        "居民公约的讨论制定与监督执行",
        SRC_LAW,
        "自治",
        "居民会议讨论制定居民公约,居委会监督执行。",
        f"{LAW}第十五条",
        keywords="居民公约、自治章程、公约修订、公约执行、小区公约、自治公约、公约",
    ),
    SampleItem(
        "S-10",
        S,
        "推动社区互助服务和志愿服务活动",
        SRC_2010_SELF,
        "自治",
        "组织居民互助和志愿服务。",
        keywords="志愿服务、志愿者、邻里互助、互助服务、结对帮扶、时间银行、志愿者招募、学雷锋、志愿活动、义工、党员志愿者、互助会",
    ),
    SampleItem(
        "S-11",
        S,
        "组织居民参与社会治安综合治理、开展群防群治",
        SRC_2010_SELF,
        "自治",
        "组织居民巡逻守护,参与平安建设。",
        keywords="群防群治、治安巡逻、义务巡逻、平安志愿者、巡逻队、综合治理、楼栋长、守望相助、平安巡逻、巡防、联防、邻里守望、护校、看家护院",
    ),
    SampleItem(
        "S-12",
        S,
        "推行居务公开",
        SRC_2010_SELF,
        "自治",
        "通过公开栏等方式公开居务和财务。",
        keywords="居务公开、公开栏、财务公开、事务公开、公开公示、公示栏、财务收支公开、居务监督",
    ),
    SampleItem(
        "S-13",
        S,
        "组织居民有序参与涉及切身利益的公共政策听证活动",
        SRC_2010_SUPERVISE,
        "监督",
        keywords="听证会、公共政策听证、听证、征求居民意见、意见征集、公共政策",
    ),
    SampleItem(
        "S-14",
        S,
        "组织居民对基层政府及其工作人员、驻社区单位参与社区建设情况进行民主评议",
        SRC_2010_SUPERVISE,
        "监督",
        keywords="民主评议、评议政府部门、评议驻区单位、满意度评议、驻社区单位、群众评议、评议、满意度评价",
    ),
    SampleItem(
        "S-15",
        S,
        "对供水、供电、供气、环境卫生、园林绿化等市政服务单位在社区的服务情况进行监督",
        SRC_2010_SUPERVISE,
        "监督",
        keywords="市政服务、供水、供电、供气、燃气公司、环卫作业、园林绿化、服务监督、停水停电、供热、自来水、停电、水电气、市政设施、垃圾清运、路灯",
    ),
    SampleItem(
        "S-16",
        S,
        "指导和监督业主大会筹建、业主委员会成立和换届,监督物业服务企业开展工作",
        SRC_2010_SUPERVISE,
        "监督",
        keywords="业主大会、业主委员会、业委会、业委会换届、物业服务、物业企业、物业公司、物业管理、物业考核、物业、业主、物业矛盾、物业服务质量、前期物业、物业管理委员会、物管会、物业费收支监督",
    ),
)

# --- 协助政府工作事项 (assisting domains): law Art. 3 (4)(5) and the 2010 opinion ---------------------------------
ASSISTING: tuple[SampleItem, ...] = (
    SampleItem(
        "A-01",
        A,
        "协助维护社会治安",
        SRC_LAW,
        "综治",
        "协助公安机关做好社区治安防范宣传和信息报告。",
        f"{ART3}第(四)项",
        "公安局",
        8000,
        "治安防范、反诈宣传、防范电信诈骗、禁毒宣传、平安建设、安全防范、重点人员、矛盾风险、反诈、电信诈骗、网络诈骗、养老诈骗、扫黑除恶、治安隐患、平安宣传、禁毒、社会稳定、防骗",
    ),
    SampleItem(
        "A-02",
        A,
        "协助做好社区矫正",
        SRC_2010_ASSIST,
        "综治",
        "协助司法行政机关做好社区矫正对象的日常走访和帮扶。",
        funding_yuan=5000,
        keywords="社区矫正、矫正对象、社区服刑人员、安置帮教、刑满释放人员、帮教、矫正、社区服刑、刑释人员",
    ),
    SampleItem(
        "A-03",
        A,
        "协助做好公共卫生",
        SRC_LAW,
        "卫生",
        "协助开展爱国卫生、健康教育、传染病防控和预防接种宣传。",
        f"{ART3}第(五)项",
        "卫生健康委员会",
        10000,
        "公共卫生、爱国卫生、健康教育、传染病防控、疫苗接种、预防接种、病媒生物防制、灭鼠、控烟、家庭医生、义诊、卫生、健康、疫情防控、传染病、流感、登革热、蚊虫、除四害、健康讲座、慢病、卫生死角、环境卫生整治、核酸",
    ),
    SampleItem(
        "A-04",
        A,
        "协助做好计划生育",
        SRC_LAW,
        "卫生",
        "协助做好人口监测、生育服务和计生特殊家庭关怀。",
        f"{ART3}第(五)项",
        "卫生健康委员会",
        6000,
        "计划生育、计生、生育登记、生育服务、人口监测、育龄妇女、计生特殊家庭、失独家庭、独生子女父母奖励、生育、优生优育、婴幼儿照护、育龄、人口计生",
    ),
    SampleItem(
        "A-05",
        A,
        "协助做好优抚救济",
        SRC_LAW,
        "民政",
        "协助做好优抚对象、退役军人的走访慰问和拥军优属。",
        f"{ART3}第(五)项",
        "退役军人事务局",
        6000,
        "优抚、优抚对象、退役军人、拥军优属、军属、烈属、双拥、光荣牌、伤残军人、军人、拥军、优待证、光荣之家、慰问军属、抚恤、现役军人家属",
    ),
    SampleItem(
        "A-06",
        A,
        "协助做好社区教育(青少年教育)",
        SRC_LAW,
        "教育",
        "协助开展青少年校外教育、家庭教育和社区教育。",
        f"{ART3}第(五)项",
        funding_yuan=5000,
        keywords="青少年教育、社区教育、校外教育、家庭教育、未成年人思想道德建设、青少年活动、社会实践、青少年、学生、家长学校、科普、寒暑假、少儿",
    ),
    SampleItem(
        "A-07",
        A,
        "协助做好劳动就业",
        SRC_2010_ASSIST,
        "人社",
        "协助做好就业援助、失业登记和职业培训信息发布。",
        department="人力资源和社会保障局",
        funding_yuan=8000,
        keywords="劳动就业、就业、就业援助、失业登记、就业困难人员、招聘会、职业培训、技能培训、创业、灵活就业、岗位信息、创业、招聘、用工、失业、零就业家庭、公益性岗位、稳岗、高校毕业生、农民工",
    ),
    SampleItem(
        "A-08",
        A,
        "协助做好社会保障",
        SRC_2010_ASSIST,
        "人社",
        "协助做好养老、医疗保险参保宣传和待遇资格认证。",
        department="人力资源和社会保障局",
        funding_yuan=8000,
        keywords="社会保障、社保、养老保险、医疗保险、医保、城乡居民医保、参保、参保缴费、待遇资格认证、生存认证、社会保险、社保卡、居民养老保险、长期护理保险、养老金、退休人员",
    ),
    SampleItem(
        "A-09",
        A,
        "协助做好社会救助(最低生活保障申请的张榜公示、入户调查、动态跟踪)",
        f"{SRC_2010_ASSIST}; {SRC_DIBAO}",
        "民政",
        "协助民政部门做好低保、特困、临时救助的受理、入户调查、公示和动态管理。",
        department="民政局",
        funding_yuan=12000,
        keywords="社会救助、低保、最低生活保障、特困供养、临时救助、困难群众、入户调查、张榜公示、动态管理、低保复核、救助、低保户、困难群众帮扶、送温暖、低保边缘、特困人员",
    ),
    SampleItem(
        "A-10",
        A,
        "协助做好住房保障",
        SRC_2010_ASSIST,
        "住建",
        "协助做好保障性住房申请的宣传、受理和入户核查。",
        department="住房和城乡建设局",
        funding_yuan=6000,
        keywords="住房保障、公租房、廉租房、保障性住房、租赁补贴、住房困难家庭、住房、保障房、公共租赁住房、住房补贴",
    ),
    SampleItem(
        "A-11",
        A,
        "协助做好文化体育",
        SRC_2010_ASSIST,
        "文体",
        "协助开展群众性文化体育活动和全民健身。",
        funding_yuan=5000,
        keywords="文化体育、文体活动、全民健身、广场舞、文艺演出、体育活动、文化活动、农家书屋、健身器材、文化、文艺、演出、汇演、健身、体育、运动会、全民阅读、读书、图书、电影放映、戏曲、文化节",
    ),
    SampleItem(
        "A-12",
        A,
        "协助做好消费维权",
        SRC_2010_ASSIST,
        "市场",
        "协助开展消费维权宣传,引导居民依法维权。",
        department="市场监督管理局",
        funding_yuan=3000,
        keywords="消费维权、消费者权益、3·15、消费投诉、消费警示、消费者权益保护、消费、维权、消费者、消费纠纷、侵害消费者",
    ),
    SampleItem(
        "A-13",
        A,
        "协助做好老年人权益保障",
        SRC_2010_ASSIST,
        "民政",
        "协助做好高龄津贴、居家养老和独居老人关爱服务。",
        department="民政局",
        funding_yuan=10000,
        keywords="老年人、老人、高龄津贴、养老服务、居家养老、独居老人、空巢老人、敬老、助老、老年助餐、适老化、老年、养老、高龄、长者、为老服务、老年食堂、敬老院、孤寡老人、失能老人",
    ),
    SampleItem(
        "A-14",
        A,
        "协助做好残疾人权益保障",
        SRC_2010_ASSIST,
        "民政",
        "协助做好残疾人帮扶、康复和补贴政策宣传。",
        funding_yuan=6000,
        keywords="残疾人、助残、残疾人康复、残疾人补贴、两项补贴、无障碍、残疾人帮扶、残疾、残联、盲人、聋哑、残疾儿童、重度残疾",
    ),
    SampleItem(
        "A-15",
        A,
        "协助做好未成年人权益保障",
        SRC_2010_ASSIST,
        "民政",
        "协助做好困境儿童、留守儿童的关爱保护。",
        department="民政局",
        funding_yuan=5000,
        keywords="未成年人保护、未成年人、留守儿童、困境儿童、儿童福利、儿童主任、关爱儿童、儿童、孤儿、事实无人抚养儿童、儿童之家、未成年",
    ),
    SampleItem(
        "A-16",
        A,
        "协助做好流动人口服务管理",
        SRC_2010_ASSIST,
        "综治",
        "协助做好流动人口和出租房屋的信息登记与服务。",
        department="公安局",
        funding_yuan=6000,
        keywords="流动人口、外来人口、出租房屋、出租屋、租户登记、人口信息采集、居住登记、租户、出租、外来人员、来铜人员、暂住、新市民、流动人员",
    ),
)

# --- 证明事项: certificates. C-* may be issued; Z-* are the ones the community must not issue ----------------------
ALLOWED_CERTIFICATES: tuple[SampleItem, ...] = (
    SampleItem(
        "C-01",
        C,
        "居(租)住证明",
        SRC_ZHAOQING,
        "证明",
        "对在本社区实际居住(租住)的居民,经核实后出具居住情况证明。肇庆列入正面清单;哈尔滨2018年已取消同类证明,"
        "本示例按正面清单保留。",
        keywords="居住证明、租住证明、实际居住证明、居住情况证明、居住地证明",
    ),
    SampleItem(
        "C-02",
        C,
        "权属来源证明",
        SRC_ZHAOQING,
        "证明",
        "对社区掌握情况的房屋、土地权属来源出具说明。",
        keywords="权属来源证明、产权来源证明、房屋权属来源",
    ),
)

_NATIONAL_CERTS: tuple[tuple[str, str, str], ...] = (
    # (code, title, extra keywords — other cities' wording of the same certificate is merged here)
    ("Z-01", "亲属关系证明", "亲属关系、父母子女关系、直系血亲关系证明、家庭关系证明、继承人关系"),
    ("Z-02", "居民身份信息证明", "身份信息、身份证明、本人身份"),
    ("Z-03", "户口登记项目内容变更申请证明", "户口变更、户籍信息变更、更正户口"),
    ("Z-04", "居民养犬证明", "养犬、犬只登记"),
    ("Z-05", "无犯罪记录证明", "无犯罪、犯罪记录"),
    ("Z-06", "社区戒毒社区康复人员情况证明(表现证明)", "戒毒人员表现、社区康复人员"),
    ("Z-07", "人员失踪证明", "失踪、下落不明"),
    ("Z-08", "婚姻状况证明", "婚姻状况、未婚证明、单身证明、夫妻关系证明、离异证明"),
    ("Z-09", "出生证明", "出生"),
    ("Z-10", "健在证明", "健在、生存证明、还活着、是否生存"),
    ("Z-11", "死亡证明", "死亡、正常死亡证明、非医学性死亡证明、去世"),
    ("Z-12", "疾病状况证明", "疾病、患病证明、病情"),
    ("Z-13", "残疾状况证明", "残疾状况、残疾证明"),
    ("Z-14", "婚育状况证明", "婚育、生育状况证明、婚育情况"),
    ("Z-15", "居民就业状况证明", "就业状况、无业证明、失业证明、无正式工作单位证明、待业证明"),
    ("Z-16", "居民个人档案证明", "个人档案、档案证明"),
    ("Z-17", "居民财产证明", "财产证明、财产状况"),
    ("Z-18", "遗产继承权证明", "遗产继承、继承权"),
    ("Z-19", "市场主体住所证明", "经营场所证明、住所证明、营业执照住所、注册地址证明"),
    ("Z-20", "证件遗失证明", "证件遗失、证件丢失、丢失证明"),
)
_NATIONAL_CERT_SOURCE = {
    "Z-01": f"{SRC_CERT_2020}; 同类:{SRC_HARBIN}; {SRC_XIANNING}; {SRC_ZHAOQING}",
    "Z-08": f"{SRC_CERT_2020}; 同类:{SRC_HARBIN}; {SRC_ZHAOQING}",
    "Z-10": f"{SRC_CERT_2020}; 同类:{SRC_HARBIN}",
    "Z-11": f"{SRC_CERT_2020}; 同类:{SRC_HARBIN}; {SRC_ZHAOQING}",
    "Z-14": f"{SRC_CERT_2020}; 同类:{SRC_HARBIN}",
    "Z-15": f"{SRC_CERT_2020}; 同类:{SRC_HARBIN}",
}
_OTHER_CERTS: tuple[tuple[str, str, str, str], ...] = (
    (
        "Z-21",
        "居民经济收入证明",
        "收入证明、经济收入、低收入证明、无固定收入证明",
        f"{SRC_HARBIN}; {SRC_XIANNING}",
    ),
    ("Z-22", "住址与户籍登记地址不一致证明", "人户分离、住址不一致、户籍地址", SRC_HARBIN),
    ("Z-23", "监护人身份证明", "监护人、监护关系", SRC_HARBIN),
    ("Z-24", "住宅改为经营性用房的业主同意(不扰民)证明", "住改商、不扰民证明、经营性用房", SRC_HARBIN),
    ("Z-25", "居住区树木砍伐、移植证明", "树木砍伐、移植树木、砍树", SRC_HARBIN),
    ("Z-26", "无违法违纪行为证明和政审材料", "无违法违纪、政审、政审材料、表现证明、品行证明", SRC_HARBIN),
    ("Z-27", "廉租房申请人证明", "廉租房申请", SRC_XIANNING),
    ("Z-28", "公租房申请人就业和收入证明", "公租房申请、公租房收入", SRC_XIANNING),
    ("Z-29", "经济适用房申请人信息证明", "经济适用房", SRC_XIANNING),
    ("Z-30", "住房证明", "住房情况证明、无房证明、住房状况", SRC_XIANNING),
    ("Z-31", "意外伤害确认证明", "意外伤害、受伤证明", SRC_XIANNING),
    ("Z-32", "社会养老保险人员丧葬补助继承人员关系证明", "丧葬补助、丧葬费、抚恤金领取", SRC_XIANNING),
    ("Z-33", "死者与受益人关系证明", "受益人、理赔、保险理赔", SRC_XIANNING),
    (
        "Z-34",
        "计生证明(含独生子女证明)",
        "计生证明、独生子女证明、独生证明",
        f"{SRC_XIANNING}; {SRC_ZHAOQING}",
    ),
    ("Z-35", "结(离)婚证遗失补办证明", "结婚证遗失、离婚证遗失、补办结婚证", SRC_XIANNING),
    ("Z-36", "五保低保证明", "低保证明、五保证明、低保户证明", SRC_XIANNING),
    ("Z-37", "贫困生身份证明", "贫困生、贫困学生证明、助学金、家庭经济困难学生", SRC_XIANNING),
    ("Z-38", "房屋无人居住证明", "无人居住、空置房", SRC_XIANNING),
    ("Z-39", "家庭用电报户证明", "用电报户、电表开户、用电申请", SRC_XIANNING),
    ("Z-40", "安装光伏房屋产权证明", "光伏、屋顶光伏", SRC_XIANNING),
    ("Z-41", "家庭困难情况证明", "家庭困难、困难证明、贫困证明、经济困难证明", SRC_XIANNING),
)
EXCLUDED_CERTIFICATES: tuple[SampleItem, ...] = tuple(
    SampleItem(
        code,
        X,
        title,
        _NATIONAL_CERT_SOURCE.get(code, SRC_CERT_2020),
        "证明",
        "不应由社区居委会出具;由有关部门通过数据核查、告知承诺等方式办理。",
        CERT_2020,
        keywords=keywords,
    )
    for code, title, keywords in _NATIONAL_CERTS
) + tuple(
    SampleItem(
        code,
        X,
        title,
        source,
        "证明",
        "其他城市已取消由社区出具的证明;本示例一并列为不应由社区出具。",
        keywords=keywords,
    )
    for code, title, keywords, source in _OTHER_CERTS
)

# --- 不应由社区承担: enforcement, inspection, licensing, economic targets, assessment of communities -------------
ENFORCEMENT: tuple[SampleItem, ...] = (
    SampleItem(
        "E-01",
        X,
        "行政处罚、行政强制等行政执法事项",
        SRC_NATURE,
        "执法",
        "罚款、查封、扣押、强制拆除等行政执法由有执法权的行政机关实施,不得交由社区或以“协助”名义转嫁。",
        f"{LAW}第二条",
        keywords="行政执法、执法、处罚、罚款、查处、强制、强制执行、查封、扣押、没收、吊销、取缔、责令停业、责令整改、执法检查、行政强制、罚单、执罚、处罚决定",
    ),
    SampleItem(
        "E-02",
        X,
        "违法建设的查处和拆除",
        SRC_NATURE,
        "执法",
        "违法建设由城市管理部门依法查处,社区可报告线索,不承担认定和拆除。",
        keywords="违法建设、违章建筑、违建、私搭乱建、乱搭乱建、拆违、控违、拆除违建、强拆、违章搭建、违法建筑、私建、违规搭建、加层",
    ),
    SampleItem(
        "E-03",
        X,
        "占道经营、流动摊贩、户外广告等市容执法",
        SRC_NATURE,
        "执法",
        keywords="占道经营、流动摊贩、乱摆摊、户外广告、店外经营、清理摊点、取缔摊点、市容执法、出店经营、马路市场、流动商贩、游商",
    ),
    SampleItem(
        "E-04",
        X,
        "对经营主体的行政检查(食品安全、价格、无证无照经营)",
        SRC_NATURE,
        "检查",
        "对商户、餐饮店等经营主体的检查属于市场监管部门职权。",
        keywords="食品安全检查、餐饮店、商户、经营户、门店检查、无证经营、无照经营、价格检查、市场检查、小作坊、食品安全、药品、市场秩序、价格监督、计量、特种设备",
    ),
    SampleItem(
        "E-05",
        X,
        "安全生产和消防监督检查(企业、九小场所)",
        SRC_NATURE,
        "检查",
        "对企业和九小场所的安全生产、消防监督检查属于应急管理、消防救援机构职权。",
        keywords="安全生产检查、消防检查、消防监督、九小场所、企业安全检查、危化品、隐患整改、安全隐患检查、燃气安全检查、安全生产、消防、危险化学品、企业检查",
    ),
    SampleItem(
        "E-06",
        X,
        "生态环境执法检查(排污、油烟、噪声)",
        SRC_NATURE,
        "检查",
        keywords="环保执法、环境执法、排污、油烟、噪声污染、污染源检查、环保检查、偷排、环保、污染、秸秆、扬尘、排污口",
    ),
    SampleItem(
        "E-07",
        X,
        "行政许可、行政审批事项的受理、审查和核发",
        SRC_NATURE,
        "许可",
        keywords="行政许可、行政审批、审批、许可证、核发、证照办理、营业执照、审查发证、许可、证照、办证",
    ),
    SampleItem(
        "E-08",
        X,
        "房屋征收、征地拆迁",
        SRC_NATURE,
        "执法",
        "征收补偿由征收部门依法实施,社区不承担动员签约和拆迁任务。",
        keywords="房屋征收、征收、征地、拆迁、征迁、动迁、签约动员、拆迁安置、棚户区改造征收、拆迁户",
    ),
    SampleItem(
        "E-09",
        X,
        "招商引资、协税护税等经济发展指标任务",
        SRC_NATURE,
        "经济",
        keywords="招商引资、税收、协税护税、经济指标、企业入统、项目引进、招商任务、税源、稳增长、招商、GDP、项目签约、固定资产投资",
    ),
    SampleItem(
        "E-10",
        X,
        "部门单独对社区开展的考核、检查、评比和排名",
        SRC_ERQI,
        "考核",
        "各部门不得单独对社区完成准入工作事项的情况进行考核、检查、评比;对社区的评估统一通过双向评估进行。",
        keywords="考核、检查评比、评比、排名、通报排名、打分、督查、暗访、验收、一票否决、考核社区、考评、测评排名、评比排名",
    ),
    SampleItem(
        "E-11",
        X,
        "创建达标、示范评选等活动",
        SRC_YUHANG,
        "考核",
        "未经准入的创建达标、示范评选活动不得要求社区参加。",
        keywords="创建达标、达标创建、示范社区创建、示范评选、创建验收、评选申报、示范点创建、创建、达标、示范",
    ),
    SampleItem(
        "E-12",
        X,
        "代收代缴费用、推销产品和摊派订阅、募捐任务",
        SRC_XIANNING_TASKS,
        "摊派",
        keywords="代收、代缴、催缴、收费、推销、订阅报刊、摊派、募捐任务、指标摊派、销售任务、保险销售、集资、会费、认购",
    ),
)

CURRENT_CITY = SampleEdition(
    key="city-2021",
    scope_code="340700",
    title="铜陵市社区工作事项清单(示例)",
    doc_number="示例〔2021〕1号",
    approved_on=date(2020, 12, 28),
    effective_from=date(2021, 1, 1),
    items=STATUTORY + ASSISTING + ALLOWED_CERTIFICATES + EXCLUDED_CERTIFICATES + ENFORCEMENT,
)


def _before_cleanup() -> tuple[SampleItem, ...]:
    """The earlier list: the community issued every certificate and "assisted" with enforcement work."""
    old_certs = tuple(
        replace(i, kind=C, description="整理前由社区出具。", legal_basis="") for i in EXCLUDED_CERTIFICATES
    )
    extra_certs = (
        SampleItem(
            "C-03",
            C,
            "证明居民在本辖区居住",
            SRC_HARBIN,
            "证明",
            "整理前由社区出具;现行版本并入C-01居(租)住证明。",
            keywords="居住、辖区居住",
        ),
        SampleItem(
            "C-04",
            C,
            "贫困学生证明",
            SRC_ZHAOQING,
            "证明",
            "整理前由社区出具;现行版本与Z-37贫困生身份证明一并取消。",
            keywords="贫困学生",
        ),
    )
    old_enforcement = tuple(
        replace(i, kind=A, title="协助" + i.title, description="整理前以“协助”名义下派社区。", legal_basis="")
        for i in ENFORCEMENT[:9]
    )
    return STATUTORY + ASSISTING + ALLOWED_CERTIFICATES + extra_certs + old_certs + old_enforcement


EARLIER_CITY = SampleEdition(
    key="city-2014",
    scope_code="340700",
    title="铜陵市社区工作事项(示例,整理前)",
    doc_number="示例〔2014〕1号",
    approved_on=date(2013, 12, 20),
    effective_from=date(2014, 1, 1),
    items=_before_cleanup(),
)

TONGGUAN_ADDITION = SampleEdition(
    key="tongguan-2021",
    scope_code="340705",
    title="铜官区社区工作事项补充清单(示例)",
    doc_number="示例〔2021〕2号",
    approved_on=date(2021, 1, 15),
    effective_from=date(2021, 2, 1),
    issuing_body="铜官区社区工作事项准入工作联席会议(示例)",
    items=(
        SampleItem(
            "TG-A-01",
            A,
            "协助做好网格化服务管理",
            SRC_TONGLING_REFORM,
            "综治",
            "区直管社区后,社区网格员按网格走访住户、了解需求并报告问题。",
            funding_yuan=20000,
            keywords="网格化、网格员、网格走访、网格管理、入户走访",
        ),
        SampleItem(
            "TG-A-02",
            A,
            "在社区服务中心一站式受理下沉的政府公共服务事项",
            SRC_TONGLING_REFORM,
            "综合",
            "撤销街道后下沉社区的公共服务在社区服务中心一站式受理,费随事转。",
            funding_yuan=30000,
            keywords="一站式服务、服务大厅、综合受理、一窗受理、公共服务事项",
        ),
    ),
)

# Loaded in this order: the earlier edition is published, then superseded by the current one.
EDITIONS: tuple[SampleEdition, ...] = (EARLIER_CITY, CURRENT_CITY, TONGGUAN_ADDITION)
