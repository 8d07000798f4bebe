"""The Tongling (铜陵) demo: regions, organizations, estates, sample households and the demo accounts.

`load(actor=...)` is this app's seeding hook, called by `gongzhi load_demo`. It is idempotent: each object is
looked up by its natural key first and only created (through orgs.services / core.services, so every creation is
audited) when it is missing. Running it again adds nothing and keeps what is there. A community's sample
households and residents are registered with one bulk service call (one audit entry stating the counts).

Real names come from ../shared/reference/domain.md §7 and carry its source URL; everything generated is marked
`is_sample=True`.
"""

from __future__ import annotations

import os
import random
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from gongzhi.core import services as core_services
from gongzhi.core.models import User
from gongzhi.core.roles import OrgKind, Role
from gongzhi.orgs import sample
from gongzhi.orgs import services as org_services
from gongzhi.orgs.models import Estate, Household, Membership, Organization, Region, Resident

# Sources (domain.md §7).
SOURCE_TONGLING_2015 = (
    "https://mip.51dongshi.com/dadahga/hgcresrb"  # 2015 merger; the five 狮子山 communities
)
SOURCE_YINGHU = "http://d.24shi.cc/article-229857-1.html"  # 映湖社区, 铜官区
SOURCE_REFORM = "http://www.jhxww.net/vsystem/news/content/127201.html"  # 2010: street offices abolished

CITY_NAME, CITY_CODE = "铜陵市", "340700"
# (name, region kind, code): 二区二县 since 2015/2016; no street level (abolished in 2010).
DISTRICTS: tuple[tuple[str, str, str], ...] = (
    ("铜官区", Region.Kind.DISTRICT, "340705"),
    ("义安区", Region.Kind.DISTRICT, "340706"),
    ("郊区", Region.Kind.DISTRICT, "340711"),
    ("枞阳县", Region.Kind.COUNTY, "340722"),
)
# Real community names (all in today's 铜官区) with the reference they come from.
REAL_COMMUNITIES: tuple[tuple[str, str], ...] = (
    ("铜霞社区", SOURCE_TONGLING_2015),
    ("狮子山社区", SOURCE_TONGLING_2015),
    ("凤凰山社区", SOURCE_TONGLING_2015),
    ("立新社区", SOURCE_TONGLING_2015),
    ("翠湖社区", SOURCE_TONGLING_2015),
    ("映湖社区", SOURCE_YINGHU),
)
# How many generated (sample) grassroots units each district gets besides the real ones.
SAMPLE_COMMUNITIES = {"铜官区": 2, "义安区": 3, "郊区": 3, "枞阳县": 2}
SAMPLE_VILLAGES = {"枞阳县": 1}

DEPARTMENTS = (
    "民政局",
    "人力资源和社会保障局",
    "卫生健康委员会",
    "公安局",
    "住房和城乡建设局",
    "城市管理局",
    "市场监督管理局",
    "统计局",
    "退役军人事务局",
    "应急管理局",
)
PANEL_NAME = "铜陵市社区治理第三方评估组"
PLATFORM_NAME = "铜陵市共治平台运维组"
ESTATES_PER_COMMUNITY = 2
HOUSEHOLDS_PER_ESTATE = 6
SEED = "tongling-demo-1"

DEMO_RESIDENT_PHONE = "17000000001"
DEMO_RESIDENT_ID = "34070519800101002X"  # GB 11643-valid, sample


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    description: str  # what the banner says


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("demo-office", "演示·审批办经办人", Role.APPROVAL_OFFICER, "审批办经办人 / approval officer"),
    DemoAccount(
        "demo-authority", "演示·审批机构成员", Role.AUTHORITY_MEMBER, "审批机构成员 / authority member"
    ),
    DemoAccount("demo-dept", "演示·民政局经办人", Role.DEPT_CLERK, "铜陵市民政局经办人 / department clerk"),
    DemoAccount("demo-finance", "演示·民政局财务", Role.DEPT_FINANCE, "铜陵市民政局财务 / finance officer"),
    DemoAccount(
        "demo-community", "演示·铜霞社区主任", Role.COMMUNITY_DIRECTOR, "铜霞社区居委会主任 / director"
    ),
    DemoAccount("demo-resident", "演示·铜霞社区居民", Role.RESIDENT, "铜霞社区居民 / resident"),
    DemoAccount("demo-panel", "演示·第三方评估组成员", Role.PANEL_MEMBER, "第三方评估组成员 / panel member"),
    DemoAccount("demo-admin", "演示·平台管理员", Role.PLATFORM_ADMIN, "平台管理员 / platform administrator"),
)


# --- The demo password ---------------------------------------------------------------------------------------


def _random_password() -> str:
    """Meets the password rules: ≥ 8 characters with upper, lower, digits and a symbol."""
    while True:
        candidate = f"Gz-{secrets.token_hex(4)}-{secrets.randbelow(9000) + 1000}"
        try:
            validate_password(candidate)
        except ValidationError:
            continue  # a draw that trips a validator (e.g. too similar to a common password): draw again
        return candidate


def password_file() -> Path:
    return Path(settings.DATA_DIR) / "demo_password"


def demo_password() -> str:
    """GONGZHI_DEMO_PASSWORD when set; otherwise a random one generated once and kept (mode 0600) in the data
    directory, so that every rerun and the banner print the same."""
    configured: str = settings.GONGZHI_DEMO_PASSWORD
    if configured:
        return configured
    path = password_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(_random_password() + "\n")
    return path.read_text().strip()


# --- Idempotent look-up-or-create helpers (every creation goes through a service) ---------------------------


def ensure_region(
    actor: User | None,
    *,
    name: str,
    kind: str,
    code: str,
    parent: Region | None,
    is_sample: bool,
    source: str = "",
) -> Region:
    found = Region.objects.filter(code=code).first()
    if found is not None:
        return found
    return org_services.create_region(
        actor=actor, name=name, kind=kind, code=code, parent=parent, is_sample=is_sample, source=source
    )


def ensure_org(
    actor: User | None,
    *,
    name: str,
    kind: str,
    region: Region,
    is_sample: bool,
    source: str = "",
    description: str = "",
    short_name: str = "",
) -> Organization:
    found = Organization.objects.filter(region=region, name=name).first()
    if found is not None:
        return found
    return org_services.create_organization(
        actor=actor,
        name=name,
        kind=kind,
        region=region,
        is_sample=is_sample,
        source=source,
        description=description,
        short_name=short_name,
    )


def _user(
    actor: User | None, account: DemoAccount, password: str, *, phone: str = "", superuser: bool = False
) -> User:
    user = User.objects.filter(username=account.username).first()
    if user is None:
        return core_services.create_user(
            actor=actor,
            username=account.username,
            password=password,
            display_name=account.display_name,
            phone=phone,
            is_staff=superuser,
            is_superuser=superuser,
        )
    if not user.check_password(password):
        # GONGZHI_DEMO_PASSWORD changed since the last load: the demo accounts follow it.
        core_services.change_password(actor=actor or user, user=user, new_password=password)
    return user


def _membership(actor: User | None, user: User, organization: Organization, role: str) -> None:
    if not Membership.objects.filter(
        user=user, organization=organization, role=role, revoked_at__isnull=True
    ).exists():
        org_services.grant_membership(actor=actor, user=user, organization=organization, role=role)


# --- The city ----------------------------------------------------------------------------------------------


@dataclass
class Skeleton:
    city: Region
    districts: dict[str, Region]
    departments: dict[str, Organization]
    office: Organization
    panel: Organization
    platform: Organization


def ensure_city(actor: User | None) -> Skeleton:
    """铜陵市, its four districts/counties and the city-level bodies. Idempotent; also used by gen_data."""
    city = ensure_region(
        actor,
        name=CITY_NAME,
        kind=Region.Kind.CITY,
        code=CITY_CODE,
        parent=None,
        is_sample=False,
        source=SOURCE_REFORM,
    )
    districts = {
        name: ensure_region(
            actor, name=name, kind=kind, code=code, parent=city, is_sample=False, source=SOURCE_TONGLING_2015
        )
        for name, kind, code in DISTRICTS
    }
    departments = {
        short: ensure_org(
            actor,
            name=f"{CITY_NAME}{short}",
            short_name=short,
            kind=OrgKind.DEPARTMENT,
            region=city,
            is_sample=False,
        )
        for short in DEPARTMENTS
    }
    office = ensure_org(
        actor,
        name=settings.GONGZHI_APPROVAL_AUTHORITY_NAME,
        short_name="深改办",
        kind=OrgKind.APPROVAL_AUTHORITY,
        region=city,
        is_sample=False,
        description="审查部门向社区新增工作事项的准入申请，并作出准入或不准入的决定。",
    )
    panel = ensure_org(
        actor,
        name=PANEL_NAME,
        kind=OrgKind.PANEL,
        region=city,
        is_sample=True,
        description="由党代表、人大代表牵头，吸收专家和居民代表，对政社互动双向评估进行第三方审阅。",
    )
    platform = ensure_org(
        actor,
        name=PLATFORM_NAME,
        kind=OrgKind.PLATFORM,
        region=city,
        is_sample=True,
        description="负责共治平台的用户、机构与系统运维。",
    )
    return Skeleton(city, districts, departments, office, panel, platform)


def ensure_community_bodies(
    actor: User | None, community: Region, *, is_sample: bool, source: str = ""
) -> tuple[Organization, Organization, Organization]:
    """The residents' (villagers') committee, the party organization and the service centre of a community."""
    village = community.kind == Region.Kind.VILLAGE
    committee = ensure_org(
        actor,
        name=f"{community.name}{'村民委员会' if village else '居委会'}",
        kind=OrgKind.COMMITTEE,
        region=community,
        is_sample=is_sample,
        source=source,
    )
    party = ensure_org(
        actor,
        name=f"中共{community.name}{'总支部委员会' if village else '委员会'}",
        kind=OrgKind.PARTY,
        region=community,
        is_sample=is_sample,
        source=source,
    )
    centre = ensure_org(
        actor,
        name=f"{community.name}{'党群服务中心' if village else '服务中心'}",
        kind=OrgKind.SERVICE_CENTRE,
        region=community,
        is_sample=is_sample,
        source=source,
    )
    return committee, party, centre


def ensure_estate(
    actor: User | None, community: Region, name: str, company: Organization, address: str = ""
) -> Estate:
    """A sample estate with its homeowners' committee and property company."""
    found = Estate.objects.filter(community=community, name=name).first()
    if found is not None:
        return found
    hoa = ensure_org(
        actor, name=f"{name}业主委员会", kind=OrgKind.HOMEOWNERS, region=community, is_sample=True
    )
    return org_services.create_estate(
        actor=actor,
        name=name,
        community=community,
        address=address,
        property_company=company,
        homeowners_committee=hoa,
        is_sample=True,
    )


def _household_rows(estate: Estate, rng: random.Random, region_code: str) -> list[org_services.HouseholdRow]:
    rows = []
    for n in range(HOUSEHOLDS_PER_ESTATE):
        size = sample.household_size(rng)
        people = [sample.person(rng, region_code) for _ in range(min(size, 3))]
        rows.append(
            org_services.HouseholdRow(
                estate=estate,
                address=sample.household_address(n // 4 + 1, n % 2 + 1, n % 6 + 1, n % 2 + 1),
                size=size,
                residents=[
                    org_services.ResidentRow(p.name, p.phone, p.id_number, p.birth_year) for p in people
                ],
            )
        )
    return rows


def add_missing_households(
    actor: User | None, rows: list[org_services.HouseholdRow], note: str
) -> tuple[int, int]:
    """Register the rows whose address is not there yet (one bulk service call: one audit entry)."""
    taken = set(
        Household.objects.filter(
            estate_id__in={r.estate.pk for r in rows}, address__in={r.address for r in rows}
        ).values_list("estate_id", "address")
    )
    fresh = [r for r in rows if (r.estate.pk, r.address) not in taken]
    return org_services.bulk_register_households(actor=actor, rows=fresh, is_sample=True, note=note)


def _communities(actor: User | None, skel: Skeleton) -> list[Region]:
    rng = random.Random(SEED + ":communities")  # noqa: S311 - sample data, not security
    communities: list[Region] = []
    tongguan = skel.districts["铜官区"]
    for i, (name, source) in enumerate(REAL_COMMUNITIES, start=1):
        community = ensure_region(
            actor,
            name=name,
            kind=Region.Kind.COMMUNITY,
            code=f"{tongguan.code}{i:03d}",
            parent=tongguan,
            is_sample=False,
            source=source,
        )
        ensure_community_bodies(actor, community, is_sample=False, source=source)
        communities.append(community)
    used = {name for name, _ in REAL_COMMUNITIES}
    for district_name, district in skel.districts.items():
        start = 101
        for kind, count in (
            (Region.Kind.COMMUNITY, SAMPLE_COMMUNITIES.get(district_name, 0)),
            (Region.Kind.VILLAGE, SAMPLE_VILLAGES.get(district_name, 0)),
        ):
            for _ in range(count):
                suffix = "社区" if kind == Region.Kind.COMMUNITY else "村"
                name = sample.place_word(rng) + suffix
                while name in used:
                    name = sample.place_word(rng) + suffix
                used.add(name)
                region = ensure_region(
                    actor,
                    name=name,
                    kind=kind,
                    code=f"{district.code}{start:03d}",
                    parent=district,
                    is_sample=True,
                )
                start += 1
                ensure_community_bodies(actor, region, is_sample=True)
                communities.append(region)
    return communities


def _partners(actor: User | None, skel: Skeleton, communities: list[Region]) -> dict[str, Organization]:
    """Property companies (one pool per district), social organizations and co-building units (sample)."""
    rng = random.Random(SEED + ":partners")  # noqa: S311
    companies: dict[str, Organization] = {}
    for name, district in skel.districts.items():
        companies[name] = ensure_org(
            actor,
            name=sample.company_name(rng),
            kind=OrgKind.PROPERTY_COMPANY,
            region=district,
            is_sample=True,
        )
    for community in communities[:4]:
        ensure_org(
            actor,
            name=sample.social_org_name(rng),
            kind=OrgKind.SOCIAL_ORG,
            region=community,
            is_sample=True,
            description="承接社区养老、助残、青少年服务等政府购买服务项目（示例）。",
        )
        ensure_org(
            actor,
            name=sample.unit_name(rng),
            kind=OrgKind.UNIT,
            region=community,
            is_sample=True,
            description="驻区共建单位，参与四联四促与社区共建项目（示例）。",
        )
    ensure_org(
        actor, name="铜陵市社区志愿服务联合会", kind=OrgKind.SOCIAL_ORG, region=skel.city, is_sample=True
    )
    return companies


def _accounts(actor: User | None, skel: Skeleton, tongxia: Region, password: str) -> dict[str, User]:
    by_name = {a.username: a for a in DEMO_ACCOUNTS}
    committee = Organization.objects.get(region=tongxia, kind=OrgKind.COMMITTEE)
    minzheng = skel.departments["民政局"]
    where = {
        "demo-office": skel.office,
        "demo-authority": skel.office,
        "demo-dept": minzheng,
        "demo-finance": minzheng,
        "demo-community": committee,
        "demo-resident": committee,
        "demo-panel": skel.panel,
        "demo-admin": skel.platform,
    }
    users: dict[str, User] = {}
    for username, organization in where.items():
        account = by_name[username]
        user = _user(
            actor,
            account,
            password,
            phone=DEMO_RESIDENT_PHONE if username == "demo-resident" else "",
            superuser=username == "demo-admin",
        )
        _membership(actor, user, organization, account.role)
        users[username] = user
    resident_user = users["demo-resident"]
    if not Resident.objects.filter(user=resident_user).exists():
        household = Household.objects.filter(community=tongxia).order_by("pk").first()
        assert household is not None, "铜霞社区 has households by now"
        org_services.register_resident(
            actor=actor,
            household=household,
            name=resident_user.display_name,
            phone=DEMO_RESIDENT_PHONE,
            id_number=DEMO_RESIDENT_ID,
            birth_year=1980,
            user=resident_user,
            is_sample=True,
        )
    return users


def load(*, actor: User | None) -> dict[str, int]:
    """Seed the Tongling demo (idempotent). Returns the row counts afterwards."""
    password = demo_password()
    # The platform administrator exists first, so that everything else is recorded as created by them.
    admin_account = next(a for a in DEMO_ACCOUNTS if a.username == "demo-admin")
    admin = _user(actor, admin_account, password, superuser=True)
    actor = actor or admin
    skel = ensure_city(actor)
    communities = _communities(actor, skel)
    companies = _partners(actor, skel, communities)
    district_of = {d.pk: name for name, d in skel.districts.items()}
    rng = random.Random(SEED + ":estates")  # noqa: S311
    for community in communities:
        district = community.parent
        assert district is not None
        names: list[str] = []
        while len(names) < ESTATES_PER_COMMUNITY:
            name = sample.estate_name(rng)
            if name not in names:
                names.append(name)
        rows: list[org_services.HouseholdRow] = []
        for name in names:
            estate = ensure_estate(actor, community, name, companies[district_of[district.pk]])
            rows += _household_rows(estate, rng, district.code)
        # Households and residents of one community: one bulk service call, one audit entry with the counts.
        add_missing_households(actor, rows, note=f"demo {community.name}")
    tongxia = next(c for c in communities if c.name == "铜霞社区")
    _accounts(actor, skel, tongxia, password)
    return {
        "regions": Region.objects.count(),
        "organizations": Organization.objects.count(),
        "estates": Estate.objects.count(),
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "memberships": Membership.objects.count(),
    }
