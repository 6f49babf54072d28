"""Demo places, communities, bodies, cadres, residents and the demo accounts of CONTRACT.md.

`seed` is the communities step of `civic.demo.DEMO_STEPS`. The small size is a city of
six real Chengdu districts across the three rings, about forty communities written out
by hand; the large size adds generated streets and communities up to 500 communities and
100,000 verified residents. The generated rows are written in bulk (one password hash,
guardian rows built directly) so that the large size loads in well under a minute on
PostgreSQL; the demo accounts go through the services, as a person granting roles would.
"""

import datetime
import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.base import CommandError
from django.utils import timezone

from . import services
from .models import (
    Body,
    BodyKind,
    Community,
    CommunityUserObjectPermission,
    District,
    Education,
    Language,
    Membership,
    Post,
    Residency,
    Stage,
    Street,
    Typology,
)
from .permissions import MANAGE_COMMUNITY, SIT_ON_COUNCIL, roles_for
from .roles import STAFF_GROUP

User = get_user_model()

DEMO_PASSWORD = "demo-pass-2026"
SMALL, LARGE = "small", "large"
LARGE_COMMUNITIES = 500
LARGE_RESIDENTS = 100_000
BATCH = 2000

# Ages and schooling of community cadres as the source article reports them.
CADRES_OVER_50 = 0.60
CADRE_EDUCATION = (
    (Education.PRIMARY, 0.10),
    (Education.JUNIOR_SECONDARY, 0.25),
    (Education.SENIOR_SECONDARY, 0.30),
    (Education.JUNIOR_COLLEGE, 0.20),
    (Education.BACHELOR, 0.13),
    (Education.POSTGRADUATE, 0.02),
)

_DISTRICT, _COUNTY_CITY, _COUNTY = District.Kind.DISTRICT, District.Kind.COUNTY_CITY, District.Kind.COUNTY
_STREET, _TOWN = Street.Kind.STREET, Street.Kind.TOWN
_OLD, _UNIT, _ESTATE = Typology.OLD_NEIGHBOURHOOD, Typology.WORK_UNIT, Typology.COMMERCIAL_HOUSING
_RESETTLED, _AFFORDABLE, _BUSINESS = Typology.RESETTLEMENT, Typology.AFFORDABLE_HOUSING, Typology.BUSINESS_DISTRICT
_MIXED, _RURAL = Typology.MIXED_FUNCTION, Typology.RURAL
_URBAN, _PERI, _VILLAGE = Stage.URBAN, Stage.PERI_URBAN, Stage.RURAL

# fmt: off
# (district, administrative code, ring, kind, [(street or town, kind, [(community, typology, stage)])])
# Community codes follow the national pattern: district code, then the street (0xx) or
# town (1xx), then the community (0xx) or village (2xx). The first community by code,
# where the demo residents live, is an old neighbourhood of Wuhou district, the district
# of the source article's example.
SMALL_CITY = (
    ("武侯区", "510107", 1, _DISTRICT, (
        ("玉林街道", _STREET, (
            ("玉林东路社区", _OLD, _URBAN),
            ("黉门街社区", _UNIT, _URBAN),
            ("倪家桥社区", _ESTATE, _URBAN),
            ("玉林北路社区", _MIXED, _URBAN),
        )),
        ("浆洗街街道", _STREET, (
            ("洗面桥社区", _OLD, _URBAN),
            ("锦里社区", _BUSINESS, _URBAN),
        )),
        ("火车南站街道", _STREET, (
            ("桐梓林社区", _ESTATE, _URBAN),
            ("新南社区", _MIXED, _URBAN),
            ("南苑社区", _AFFORDABLE, _URBAN),
        )),
    )),
    ("成华区", "510108", 1, _DISTRICT, (
        ("猛追湾街道", _STREET, (
            ("望平社区", _BUSINESS, _URBAN),
            ("香香巷社区", _OLD, _URBAN),
            ("天祥社区", _ESTATE, _URBAN),
        )),
        ("建设路街道", _STREET, (
            ("建设北路社区", _UNIT, _URBAN),
            ("杉板桥社区", _MIXED, _URBAN),
            ("双林社区", _OLD, _URBAN),
        )),
        ("龙潭街道", _STREET, (
            ("和美社区", _AFFORDABLE, _URBAN),
            ("同仁社区", _RESETTLED, _PERI),
        )),
    )),
    ("双流区", "510116", 2, _DISTRICT, (
        ("东升街道", _STREET, (
            ("棠湖社区", _ESTATE, _URBAN),
            ("白衣社区", _OLD, _URBAN),
        )),
        ("九江街道", _STREET, (
            ("泗江堰社区", _RESETTLED, _PERI),
            ("幸福社区", _AFFORDABLE, _PERI),
        )),
        ("黄甲街道", _STREET, (
            ("黄甲社区", _RESETTLED, _PERI),
            ("双堰村", _RURAL, _VILLAGE),
        )),
    )),
    ("郫都区", "510117", 2, _DISTRICT, (
        ("郫筒街道", _STREET, (
            ("南大街社区", _OLD, _URBAN),
            ("望丛社区", _MIXED, _URBAN),
        )),
        ("犀浦街道", _STREET, (
            ("百草路社区", _MIXED, _URBAN),
            ("恒山社区", _RESETTLED, _PERI),
            ("泰山社区", _AFFORDABLE, _PERI),
        )),
        ("唐昌街道", _STREET, (
            ("唐昌社区", _MIXED, _PERI),
            ("战旗村", _RURAL, _VILLAGE),
        )),
    )),
    ("崇州市", "510184", 3, _COUNTY_CITY, (
        ("道明镇", _TOWN, (
            ("道明社区", _MIXED, _PERI),
            ("竹艺村", _RURAL, _VILLAGE),
            ("斜阳村", _RURAL, _VILLAGE),
        )),
        ("白头镇", _TOWN, (
            ("白头社区", _RESETTLED, _PERI),
            ("五星村", _RURAL, _VILLAGE),
        )),
        ("街子镇", _TOWN, (
            ("街子社区", _BUSINESS, _PERI),
            ("唐公村", _RURAL, _VILLAGE),
        )),
    )),
    ("大邑县", "510129", 3, _COUNTY, (
        ("安仁镇", _TOWN, (
            ("安仁社区", _BUSINESS, _PERI),
            ("共和村", _RURAL, _VILLAGE),
        )),
        ("新场镇", _TOWN, (
            ("新场社区", _RESETTLED, _PERI),
            ("文宗村", _RURAL, _VILLAGE),
        )),
        ("花水湾镇", _TOWN, (
            ("花水湾社区", _MIXED, _PERI),
            ("金星村", _RURAL, _VILLAGE),
        )),
    )),
)
FIRST_COMMUNITY = "510107001001"  # 玉林东路社区: the demo accounts' community
OTHER_COMMUNITY = "510108001001"  # 望平社区, in another district: the outsider's
SMALL_MARKER = FIRST_COMMUNITY

# The large size's extra streets and towns; their communities are generated.
LARGE_CITY = (
    ("武侯区", "510107", 1, _DISTRICT, (
        ("跳伞塔街道", _STREET), ("芳草街街道", _STREET), ("望江路街道", _STREET), ("红牌楼街道", _STREET),
        ("簇桥街道", _STREET), ("晋阳街道", _STREET), ("机投桥街道", _STREET),
    )),
    ("成华区", "510108", 1, _DISTRICT, (
        ("府青路街道", _STREET), ("双桥子街道", _STREET), ("保和街道", _STREET), ("青龙街道", _STREET),
        ("白莲池街道", _STREET), ("二仙桥街道", _STREET), ("万年场街道", _STREET),
    )),
    ("龙泉驿区", "510112", 2, _DISTRICT, (
        ("龙泉街道", _STREET), ("大面街道", _STREET), ("十陵街道", _STREET), ("同安街道", _STREET),
        ("洛带镇", _TOWN), ("山泉镇", _TOWN),
    )),
    ("青白江区", "510113", 2, _DISTRICT, (
        ("大弯街道", _STREET), ("大同街道", _STREET), ("弥牟镇", _TOWN), ("城厢镇", _TOWN), ("姚渡镇", _TOWN),
    )),
    ("新都区", "510114", 2, _DISTRICT, (
        ("新都街道", _STREET), ("大丰街道", _STREET), ("三河街道", _STREET), ("斑竹园街道", _STREET),
        ("新繁街道", _STREET), ("军屯镇", _TOWN),
    )),
    ("温江区", "510115", 2, _DISTRICT, (
        ("柳城街道", _STREET), ("公平街道", _STREET), ("涌泉街道", _STREET), ("天府街道", _STREET),
        ("万春镇", _TOWN), ("寿安镇", _TOWN),
    )),
    ("双流区", "510116", 2, _DISTRICT, (
        ("西航港街道", _STREET), ("公兴街道", _STREET), ("彭镇", _TOWN), ("黄水镇", _TOWN), ("永安镇", _TOWN),
        ("黄龙溪镇", _TOWN),
    )),
    ("郫都区", "510117", 2, _DISTRICT, (
        ("团结街道", _STREET), ("德源街道", _STREET), ("红光街道", _STREET), ("安德街道", _STREET),
        ("三道堰镇", _TOWN),
    )),
    ("新津区", "510118", 2, _DISTRICT, (
        ("五津街道", _STREET), ("花源街道", _STREET), ("花桥街道", _STREET), ("安西镇", _TOWN), ("宝墩镇", _TOWN),
    )),
    ("金堂县", "510121", 3, _COUNTY, (
        ("赵镇街道", _STREET), ("淮口街道", _STREET), ("竹篙镇", _TOWN), ("三溪镇", _TOWN), ("五凤镇", _TOWN),
        ("转龙镇", _TOWN),
    )),
    ("大邑县", "510129", 3, _COUNTY, (
        ("晋原街道", _STREET), ("王泗镇", _TOWN), ("悦来镇", _TOWN), ("西岭镇", _TOWN),
    )),
    ("蒲江县", "510131", 3, _COUNTY, (
        ("鹤山街道", _STREET), ("大塘镇", _TOWN), ("西来镇", _TOWN), ("成佳镇", _TOWN), ("甘溪镇", _TOWN),
    )),
    ("都江堰市", "510181", 3, _COUNTY_CITY, (
        ("灌口街道", _STREET), ("幸福街道", _STREET), ("银杏街道", _STREET), ("青城山镇", _TOWN),
        ("龙池镇", _TOWN), ("聚源镇", _TOWN), ("天马镇", _TOWN),
    )),
    ("彭州市", "510182", 3, _COUNTY_CITY, (
        ("天彭街道", _STREET), ("致和街道", _STREET), ("丽春镇", _TOWN), ("九尺镇", _TOWN),
        ("龙门山镇", _TOWN), ("白鹿镇", _TOWN), ("通济镇", _TOWN),
    )),
    ("邛崃市", "510183", 3, _COUNTY_CITY, (
        ("临邛街道", _STREET), ("文君街道", _STREET), ("平乐镇", _TOWN), ("夹关镇", _TOWN), ("火井镇", _TOWN),
        ("天台山镇", _TOWN),
    )),
    ("崇州市", "510184", 3, _COUNTY_CITY, (
        ("崇阳街道", _STREET), ("羊马街道", _STREET), ("隆兴镇", _TOWN), ("元通镇", _TOWN), ("怀远镇", _TOWN),
    )),
    ("简阳市", "510185", 3, _COUNTY_CITY, (
        ("简城街道", _STREET), ("射洪坝街道", _STREET), ("东溪街道", _STREET), ("平泉街道", _STREET),
        ("三星镇", _TOWN), ("禾丰镇", _TOWN),
    )),
)
LARGE_MARKER = "510107004001"  # the first community of Wuhou's first extra street

# What kind of community a generated one is, by ring and by street or town.
_MIX = {
    (1, _STREET): (((_OLD, _URBAN), 25), ((_UNIT, _URBAN), 15), ((_ESTATE, _URBAN), 30),
                   ((_AFFORDABLE, _URBAN), 8), ((_BUSINESS, _URBAN), 12), ((_MIXED, _URBAN), 10)),
    (2, _STREET): (((_ESTATE, _URBAN), 25), ((_OLD, _URBAN), 8), ((_MIXED, _URBAN), 12), ((_AFFORDABLE, _URBAN), 5),
                   ((_BUSINESS, _URBAN), 5), ((_RESETTLED, _PERI), 25), ((_AFFORDABLE, _PERI), 5),
                   ((_MIXED, _PERI), 5), ((_RURAL, _VILLAGE), 10)),
    (2, _TOWN): (((_RESETTLED, _PERI), 30), ((_MIXED, _PERI), 15), ((_RURAL, _VILLAGE), 55)),
    (3, _STREET): (((_ESTATE, _URBAN), 20), ((_OLD, _URBAN), 15), ((_MIXED, _URBAN), 10), ((_UNIT, _URBAN), 5),
                   ((_RESETTLED, _PERI), 25), ((_AFFORDABLE, _PERI), 5), ((_MIXED, _PERI), 10),
                   ((_RURAL, _VILLAGE), 10)),
    (3, _TOWN): (((_RESETTLED, _PERI), 15), ((_MIXED, _PERI), 8), ((_BUSINESS, _PERI), 5), ((_RURAL, _VILLAGE), 72)),
}
# Syllables of generated place names (金桥, 双林, 永丰...).
_NAME_HEADS = "金银玉锦桂花柳石龙凤青红白黄新和永兴福安平太双三五清明光东西南北华蜀文武大高长万德仁顺瑞祥宝"
_NAME_TAILS = "城江林桥河湖山溪湾坝沟塘堰园苑坪岗场街港泉亭门台庄丰乐康"

# Households per community and the most common birth year of its residents, by typology.
_HOUSEHOLDS = {
    _OLD: (2200, 5200), _UNIT: (1800, 4500), _ESTATE: (3500, 9500), _RESETTLED: (2000, 5500),
    _AFFORDABLE: (2500, 6500), _BUSINESS: (1500, 4200), _MIXED: (3000, 7500), _RURAL: (450, 1600),
}
_BIRTH_MODE = {
    _OLD: 1958, _UNIT: 1955, _ESTATE: 1985, _RESETTLED: 1965,
    _AFFORDABLE: 1980, _BUSINESS: 1988, _MIXED: 1978, _RURAL: 1960,
}
_SOCIAL_ORGANISATIONS = ("{}邻里互助会", "{}志愿服务队", "{}老年协会", "{}文体协会", "{}睦邻服务社", "{}社区发展基金会")
_REJECTION_NOTES = ("经核实不在本社区居住", "身份信息不完整，请补充后重新申请", "已在其他社区登记")
_PHONE_PREFIXES = tuple(
    str(n) for n in (*range(130, 140), *range(150, 154), *range(155, 160), 166, 170, 173, *range(175, 179),
                     *range(180, 190), 191, 198, 199)
)

# fmt: on

# username: (display name, phone, birth year, education)
DEMO_ACCOUNTS = {
    "admin": ("平台管理员", "13800138000", 1980, Education.BACHELOR),
    "resident": ("王晓梅", "13800138001", 1979, Education.SENIOR_SECONDARY),
    "resident2": ("陈建国", "13800138002", 1956, Education.JUNIOR_SECONDARY),
    "outsider": ("刘洋", "13800138003", 1991, Education.BACHELOR),
    "council": ("张德明", "13800138004", 1961, Education.SENIOR_SECONDARY),
    "staff": ("李婷", "13800138005", 1992, Education.JUNIOR_COLLEGE),
    "staff_other": ("赵磊", "13800138006", 1987, Education.BACHELOR),
    "official": ("周文华", "13800138007", 1975, Education.POSTGRADUATE),
    "evaluator": ("孙立", "13800138008", 1983, Education.POSTGRADUATE),
}


@functools.cache
def demo_password_hash():
    """One hash for every demo account: hashing 100,000 passwords would take hours."""
    return make_password(DEMO_PASSWORD)


def seed(size, rng, fake, stdout):
    """The communities step of the demo: places, bodies, people and the demo accounts."""
    marker = SMALL_MARKER if size == SMALL else LARGE_MARKER
    if Community.objects.filter(code=marker).exists():
        return {}
    loader = _Loader(rng, fake, stdout)
    if size == SMALL:
        loader.small_city()
    else:
        loader.large_city()
    created = loader.save()
    if size == SMALL:
        created["demo accounts"] = loader.demo_accounts()
    return created


def _street_codes(district_code):
    """Codes of a district's streets and towns, small ones first, in table order."""
    codes, counters = {}, {_STREET: 0, _TOWN: 100}
    small = [(s[0], s[1]) for d in SMALL_CITY if d[1] == district_code for s in d[4]]
    large = [s for d in LARGE_CITY if d[1] == district_code for s in d[4]]
    for name, kind in small + large:
        counters[kind] += 1
        codes[name] = f"{district_code}{counters[kind]:03d}"
    return codes


class _CommunityNumbers:
    """Codes of one street's communities: 0xx for communities, 2xx for villages."""

    def __init__(self, street_code):
        self.street_code = street_code
        self.last = {_VILLAGE: 200, None: 0}

    def next(self, stage):
        key = _VILLAGE if stage == _VILLAGE else None
        self.last[key] += 1
        return f"{self.street_code}{self.last[key]:03d}"


class _Loader:
    """Builds unsaved rows in memory, then writes them in bulk in dependency order."""

    def __init__(self, rng, fake, stdout):
        self.rng, self.fake, self.stdout = rng, fake, stdout
        self.now = timezone.now()
        self.year = timezone.localdate().year
        self.password = demo_password_hash()
        self.taken_phones = set(User.objects.exclude(phone=None).values_list("phone", flat=True))
        self.taken_phones.update(phone for _name, phone, _year, _education in DEMO_ACCOUNTS.values())
        self.taken_usernames = set(User.objects.values_list("username", flat=True))
        self.taken_emails = {e.lower() for e in User.objects.exclude(email="").values_list("email", flat=True)}
        self.taken_names = set(Community.objects.values_list("name", flat=True))
        self.created_places = {"districts": 0, "streets": 0}
        self.communities, self.bodies, self.users, self.cadres = [], [], [], []
        self.memberships, self.residencies, self.permissions, self.staff = [], [], [], []

    # Places and communities -------------------------------------------------------------

    def _district(self, name, ring, kind):
        district, created = District.objects.get_or_create(name=name, defaults={"ring": ring, "kind": kind})
        self.created_places["districts"] += created
        return district

    def _street(self, district, name, kind):
        street, created = Street.objects.get_or_create(district=district, name=name, defaults={"kind": kind})
        self.created_places["streets"] += created
        return street

    def small_city(self):
        for district_name, district_code, ring, kind, streets in SMALL_CITY:
            district = self._district(district_name, ring, kind)
            street_codes = _street_codes(district_code)
            for street_name, street_kind, communities in streets:
                street = self._street(district, street_name, street_kind)
                numbers = _CommunityNumbers(street_codes[street_name])
                for name, typology, stage in communities:
                    self.taken_names.add(name)
                    code = numbers.next(stage)
                    self._community(street, name, code, typology, stage, residents=self.rng.randint(24, 40))

    def large_city(self):
        streets = []
        for district_name, district_code, ring, kind, street_specs in LARGE_CITY:
            district = self._district(district_name, ring, kind)
            street_codes = _street_codes(district_code)
            for street_name, street_kind in street_specs:
                streets.append((self._street(district, street_name, street_kind), street_codes[street_name], ring))
        small_communities = sum(len(s[2]) for d in SMALL_CITY for s in d[4])
        per_street = self._spread(LARGE_COMMUNITIES - small_communities, len(streets))
        residents = max(LARGE_RESIDENTS - Residency.objects.verified().count(), 0)
        per_community = iter(self._spread(residents, sum(per_street)))
        stems = [head + tail for head in _NAME_HEADS for tail in _NAME_TAILS]
        self.rng.shuffle(stems)
        stems = iter(stems)
        for (street, street_code, ring), count in zip(streets, per_street):
            mix = _MIX[(ring, street.kind)]
            numbers = _CommunityNumbers(street_code)
            for _ in range(count):
                typology, stage = self.rng.choices([m[0] for m in mix], weights=[m[1] for m in mix])[0]
                suffix = "村" if stage == _VILLAGE else "社区"
                name = next(stem + suffix for stem in stems if stem + suffix not in self.taken_names)
                self.taken_names.add(name)
                self._community(street, name, numbers.next(stage), typology, stage, residents=next(per_community))
        if not any(c.code == LARGE_MARKER for c in self.communities):
            raise AssertionError(f"The large demo must create its marker community {LARGE_MARKER}.")

    def _spread(self, total, parts):
        """`parts` whole numbers summing to `total`, as even as they go, the larger ones scattered."""
        base, extra = divmod(total, parts)
        larger = set(self.rng.sample(range(parts), extra))
        return [base + (i in larger) for i in range(parts)]

    def _community(self, street, name, code, typology, stage, *, residents):
        rng = self.rng
        low, high = _HOUSEHOLDS[typology]
        households = rng.randint(low, high)
        per_household = rng.uniform(3.0, 3.6) if stage == _VILLAGE else rng.uniform(2.3, 3.0)
        community = Community(
            street=street,
            name=name,
            code=code,
            typology=typology,
            stage=stage,
            households=households,
            population=round(households * per_household),
            address=self._address(street, name),
        )
        self.communities.append(community)
        self._bodies_and_people(community, residents)

    def _address(self, street, name):
        place = f"成都市{street.district.name}{street.name}"
        if name.endswith("村"):
            return f"{place}{name}{self.rng.randint(1, 12)}组{self.rng.randint(1, 80)}号"
        stem = name.removesuffix("社区")
        road = stem if stem.endswith(("路", "街", "巷")) else stem + self.rng.choice(("路", "街", "巷"))
        return f"{place}{road}{self.rng.randint(1, 320)}号"

    # Bodies, cadres and residents -------------------------------------------------------

    def _bodies_and_people(self, community, residents):
        """The community's bodies and post-holders, and `residents` verified residents in all."""
        rng = self.rng
        village = community.stage == _VILLAGE
        people = "村民" if village else "居民"
        affairs = "村务" if village else "居务"
        election = datetime.date(2021, rng.randint(4, 6), rng.randint(1, 28))

        def body(kind, name):
            created = Body(community=community, kind=kind, name=name)
            self.bodies.append(created)
            return created

        def hold(body, post, person, start=election):
            self.memberships.append(Membership(body=body, user=person, post=post, term_start=start))

        party = body(BodyKind.PARTY_ORGANISATION, f"中共{community.name}委员会")
        committee = body(BodyKind.RESIDENTS_COMMITTEE, f"{community.name}{people}委员会")
        council = body(BodyKind.DELIBERATION_COUNCIL, f"{community.name}{people}议事会")
        supervisory = body(BodyKind.SUPERVISORY_COMMITTEE, f"{community.name}{affairs}监督委员会")
        centre = body(BodyKind.SERVICE_CENTRE, f"{community.name}便民服务中心")

        secretary = self._person(cadre=True)
        hold(party, Post.SECRETARY, secretary)
        hold(party, Post.DEPUTY_SECRETARY, self._person(cadre=True))
        for _ in range(2 if village else 3):
            hold(party, Post.MEMBER, self._person(cadre=True))

        # The committee's director and staff run the community on the portal.
        director = self._person(cadre=True)
        hold(committee, Post.DIRECTOR, director)
        hold(committee, Post.DEPUTY_DIRECTOR, self._person(cadre=True))
        for _ in range(2):
            hold(committee, Post.MEMBER, self._person(cadre=True))
        operators = [director]
        for _ in range(1 if village else 2):
            clerk = self._person(cadre=True)
            hold(committee, Post.STAFF, clerk, self._date_between(2019, 2025))
            operators.append(clerk)
        self.staff += [(operator, community) for operator in operators]

        hold(supervisory, Post.DIRECTOR, self._person(cadre=True))
        for _ in range(2):
            hold(supervisory, Post.MEMBER, self._person(cadre=True))
        hold(centre, Post.DIRECTOR, self._person(cadre=True))
        for _ in range(1 if village else 2):
            hold(centre, Post.STAFF, self._person(cadre=True), self._date_between(2018, 2025))

        # The party secretary convenes the council; its members are elected from the residents.
        council_start = datetime.date(2022, rng.randint(1, 3), rng.randint(1, 28))
        council_members = [secretary] + [self._person(cadre=True) for _ in range(rng.randint(6, 10))]
        hold(council, Post.CONVENER, secretary, council_start)
        for member in council_members[1:]:
            hold(council, Post.MEMBER, member, council_start)
        for member in council_members:
            self.permissions.append((member, community, SIT_ON_COUNCIL))
            self._verified(member, community, decided_by=director)

        plain = self._residents(community, max(residents - len(council_members), 0), operators)

        if not village:
            stem = community.name.removesuffix("社区")
            for template in rng.sample(_SOCIAL_ORGANISATIONS, rng.randint(1, 2)):
                organisation = body(BodyKind.SOCIAL_ORGANISATION, template.format(stem))
                if plain:
                    hold(organisation, Post.DIRECTOR, rng.choice(plain), self._date_between(2016, 2024))
            # Many old neighbourhoods have no property manager: their courtyards govern themselves.
            if community.typology != _OLD or rng.random() < 0.5:
                manager = body(BodyKind.PROPERTY_MANAGEMENT, f"成都{self.fake.company_prefix()}物业服务有限公司")
                hold(manager, Post.DIRECTOR, self._person(), self._date_between(2015, 2024))

    def _residents(self, community, count, deciders):
        """Verified residents, a few requests waiting for staff, now and then a move or a refusal."""
        rng = self.rng
        mode = _BIRTH_MODE[community.typology]

        def birth_year():
            return round(rng.triangular(1940, 2006, mode))

        residents = []
        for _ in range(count):
            person = self._person(birth_year=birth_year())
            residency = self._verified(person, community, decided_by=rng.choice(deciders))
            residents.append(person)
        if residents and len(self.communities) > 1 and rng.random() < 0.35:
            # The last one moved here: the old residency ended when this one was verified.
            requested = residency.requested_at - datetime.timedelta(days=rng.randint(400, 2500))
            self.residencies.append(
                Residency(
                    user=residents[-1],
                    community=rng.choice(self.communities[:-1]),
                    status=Residency.Status.ENDED,
                    requested_at=requested,
                    decided_at=requested + datetime.timedelta(days=rng.randint(1, 6)),
                    ended_at=residency.decided_at,
                    end_reason=Residency.EndReason.MOVED,
                )
            )
        for _ in range(rng.randint(1, 3)):
            asked = self.now - datetime.timedelta(days=rng.randint(0, 12), minutes=rng.randint(0, 1440))
            person = self._person(birth_year=birth_year(), joined=asked)
            self.residencies.append(Residency(user=person, community=community, requested_at=asked))
        if rng.random() < 0.25:
            asked = self.now - datetime.timedelta(days=rng.randint(20, 200))
            person = self._person(birth_year=birth_year(), joined=asked)
            self.residencies.append(
                Residency(
                    user=person,
                    community=community,
                    status=Residency.Status.REJECTED,
                    requested_at=asked,
                    decided_by=rng.choice(deciders),
                    decided_at=asked + datetime.timedelta(days=rng.randint(1, 5)),
                    decision_note=rng.choice(_REJECTION_NOTES),
                )
            )
        return residents

    def _verified(self, person, community, *, decided_by):
        rng = self.rng
        requested = self.now - datetime.timedelta(days=rng.randint(20, 2000), minutes=rng.randint(0, 1440))
        decided = requested + datetime.timedelta(days=rng.randint(0, 6), minutes=rng.randint(5, 600))
        person.date_joined = requested
        residency = Residency(
            user=person,
            community=community,
            status=Residency.Status.VERIFIED,
            requested_at=requested,
            decided_by=decided_by,
            decided_at=min(decided, self.now),
        )
        self.residencies.append(residency)
        return residency

    def _date_between(self, first_year, last_year):
        start = datetime.date(first_year, 1, 1)
        end = min(datetime.date(last_year, 12, 31), timezone.localdate())
        return start + datetime.timedelta(days=self.rng.randint(0, (end - start).days))

    def _phone(self):
        while True:
            phone = self.rng.choice(_PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.taken_phones and phone not in self.taken_usernames:
                self.taken_phones.add(phone)
                self.taken_usernames.add(phone)
                return phone

    def _person(self, *, cadre=False, birth_year=None, joined=None):
        """An unsaved user who signed up with their phone number, as the sign-up page makes them."""
        rng = self.rng
        phone = self._phone()
        email = ""
        if rng.random() < 0.2:
            email = f"{self.fake.user_name()}{rng.randint(1, 999)}@example.com"
            if email in self.taken_emails:
                email = f"{phone}@example.com"
            self.taken_emails.add(email)
        person = User(
            username=phone,
            phone=phone,
            password=self.password,
            display_name=self.fake.name(),
            birth_year=birth_year,
            email=email,
            email_opt_in=bool(email) and rng.random() < 0.6,
            sms_opt_out=rng.random() < 0.1,
            preferred_language=Language.EN if rng.random() < 0.03 else Language.ZH_HANS,
            date_joined=joined or self.now,
        )
        self.users.append(person)
        if cadre:
            self.cadres.append(person)
        return person

    def _cadre_profiles(self):
        """Give the cadres the article's ages and schooling: older cadres mostly less schooled."""
        rng, count = self.rng, len(self.cadres)
        over_50 = round(count * CADRES_OVER_50)
        # Ages stay clear of 50 itself, so "over 50" reads the same as "50 or over".
        ages = [rng.randint(51, 64) for _ in range(over_50)] + [rng.randint(26, 49) for _ in range(count - over_50)]
        rng.shuffle(ages)
        for person, age in zip(self.cadres, ages):
            person.birth_year = self.year - age
        schooling = []
        for education, share in CADRE_EDUCATION:
            schooling += [education] * round(count * share)
        schooling = (schooling + [Education.SENIOR_SECONDARY] * count)[:count]
        by_age = sorted(self.cadres, key=lambda p: p.birth_year + rng.gauss(0, 8))
        for person, education in zip(by_age, schooling):
            person.education = education

    # Writing ----------------------------------------------------------------------------

    def save(self):
        self._cadre_profiles()
        Community.objects.bulk_create(self.communities, batch_size=BATCH)
        Body.objects.bulk_create(self.bodies, batch_size=BATCH)
        staff_ids = {id(person) for person, _community in self.staff}
        for person in self.users:
            person.is_staff = id(person) in staff_ids
        User.objects.bulk_create(self.users, batch_size=BATCH)
        Membership.objects.bulk_create(self.memberships, batch_size=BATCH)
        Residency.objects.bulk_create(self.residencies, batch_size=BATCH)

        # What services.staff_grant and the council seat would write, row for row.
        codenames = {MANAGE_COMMUNITY, SIT_ON_COUNCIL}
        permissions = {
            p.codename: p
            for p in Permission.objects.filter(content_type__app_label="communities", codename__in=codenames)
        }
        grants = [(person, community, MANAGE_COMMUNITY) for person, community in self.staff] + self.permissions
        CommunityUserObjectPermission.objects.bulk_create(
            [
                CommunityUserObjectPermission(user=person, content_object=community, permission=permissions[codename])
                for person, community, codename in grants
            ],
            batch_size=BATCH,
        )
        staff_group, _created = Group.objects.get_or_create(name=STAFF_GROUP)
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=person.pk, group_id=staff_group.pk) for person, _community in self.staff],
            batch_size=BATCH,
        )
        verified = sum(r.status == Residency.Status.VERIFIED for r in self.residencies)
        pending = sum(r.status == Residency.Status.PENDING for r in self.residencies)
        return {
            **self.created_places,
            "communities": len(self.communities),
            "bodies": len(self.bodies),
            "people": len(self.users),
            "verified residents": verified,
            "pending requests": pending,
            "posts": len(self.memberships),
        }

    # The demo accounts of CONTRACT.md ---------------------------------------------------

    def demo_accounts(self):
        """Create the demo accounts and give them their roles through the services."""
        first = Community.objects.select_related("street__district").get(code=FIRST_COMMUNITY)
        other = Community.objects.get(code=OTHER_COMMUNITY)
        accounts = {username: self._demo_user(username, *spec) for username, spec in DEMO_ACCOUNTS.items()}
        admin, staff, staff_other = accounts["admin"], accounts["staff"], accounts["staff_other"]
        if not admin.is_superuser:
            raise CommandError(
                "The account 'admin' exists and is not a superuser; the demo will not promote it. "
                "Load the demo into an empty database."
            )

        services.staff_grant(actor=admin, user=staff, community=first)
        services.staff_grant(actor=admin, user=staff_other, community=other)
        for operator, community in ((staff, first), (staff_other, other)):
            committee = community.bodies.get(kind=BodyKind.RESIDENTS_COMMITTEE)
            services.membership_add(
                actor=admin, body=committee, user=operator, post=Post.STAFF, term_start=datetime.date(2023, 3, 1)
            )
        for username, community, operator in (
            ("resident", first, staff),
            ("resident2", first, staff),
            ("council", first, staff),
            ("outsider", other, staff_other),
        ):
            person = accounts[username]
            if roles_for(person).resident_of != community.pk:
                residency = services.residency_request(user=person, community=community)
                services.residency_verify(actor=operator, residency=residency)
        services.membership_add(
            actor=staff,
            body=first.bodies.get(kind=BodyKind.DELIBERATION_COUNCIL),
            user=accounts["council"],
            post=Post.MEMBER,
            term_start=datetime.date(2022, 3, 1),
        )
        services.official_grant(actor=admin, user=accounts["official"], district=first.street.district)
        services.evaluator_grant(actor=admin, user=accounts["evaluator"])
        return len(accounts)

    def _demo_user(self, username, display_name, phone, birth_year, education):
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            self.stdout.write(f"Kept the existing account {username!r} as it was: not the demo password.")
            return existing
        if User.objects.filter(phone=phone).exists():
            phone = self._phone()
        email = f"{username}@example.com"
        if email in self.taken_emails:
            email = ""
        return User.objects.create(
            username=username,
            password=self.password,
            display_name=display_name,
            phone=phone,
            email=email,
            email_opt_in=username == "resident",
            birth_year=birth_year,
            education=education,
            is_superuser=username == "admin",
            is_staff=username == "admin",
        )
