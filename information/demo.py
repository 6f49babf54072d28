"""Demo information: the information step of `civic.demo.DEMO_STEPS`.

Small: the first community's staff and the district's official publish announcements through
the services (a pinned policy, a notice, an activity, a street-wide public service, a
district-wide policy, one scheduled for next week, one expired and a past emergency that
expired, so seeding sends no SMS); every body gets its duties, office hours and contact, and
every service centre and social organisation its services. Large: the extra communities
get duties and services too, written in bulk.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from communities.models import Body, BodyKind, Community

from . import services, text
from .models import Announcement, BodyFormat, BodyProfile, Category, Service, ServiceCategory

User = get_user_model()
SMALL, LARGE = "small", "large"
FIRST_COMMUNITY = "510107001001"
MARKER_TITLE = "关于开展老旧小区加装电梯意愿征集的通知"

DUTIES = {
    BodyKind.PARTY_ORGANISATION: (
        "领导社区各类组织和各项工作，召集居民议事会",
        "宣传贯彻党的路线方针政策和上级决定",
        "联系服务党员和群众，收集反映社情民意",
        "推动社区发展治理重大事项的民主决策",
    ),
    BodyKind.RESIDENTS_COMMITTEE: (
        "办理本居住地区居民的公共事务和公益事业",
        "调解民间纠纷，协助维护社会治安",
        "协助政府做好公共卫生、社会保障、养老助残等工作",
        "执行居民议事会的决议，公开办理结果",
        "在平台上核实居民身份、发布通知公告",
    ),
    BodyKind.DELIBERATION_COUNCIL: (
        "讨论决定社区公共事务和公益事业中的重要事项",
        "审议社区公共服务和社会管理资金的使用方案",
        "每月集中议事日开会议事，决议向居民公示",
        "听取居委会执行决议情况的报告",
    ),
    BodyKind.SUPERVISORY_COMMITTEE: (
        "监督议事会决议的执行和居务公开",
        "监督公共服务资金和集体资产的管理使用",
        "受理居民对执行情况的意见和投诉",
        "组织居民对执行结果进行测评",
    ),
    BodyKind.SERVICE_CENTRE: (
        "为居民代办社保、医保、民政、计生、残联等事项",
        "开具各类证明，受理老年人优待证、居住证申请",
        "提供就业信息和技能培训报名",
        "为行动不便的老人上门代办",
    ),
    BodyKind.SOCIAL_ORGANISATION: (
        "组织志愿服务和邻里互助活动",
        "承接社区公益服务项目",
        "参与议题协商，反映会员意见",
    ),
    BodyKind.PROPERTY_MANAGEMENT: (
        "小区公共区域的保洁、绿化和秩序维护",
        "共用设施设备的日常维修养护",
        "按时公开物业服务收支情况",
    ),
}
HOURS = {
    BodyKind.PARTY_ORGANISATION: "周一至周五 9:00–12:00，14:00–17:30",
    BodyKind.RESIDENTS_COMMITTEE: "周一至周五 9:00–12:00，14:00–17:30；周六上午值班",
    BodyKind.DELIBERATION_COUNCIL: "每月集中议事日；平时请联系居委会转达",
    BodyKind.SUPERVISORY_COMMITTEE: "每周三 14:00–17:00 接待居民",
    BodyKind.SERVICE_CENTRE: "周一至周六 9:00–17:30（法定节假日除外）",
    BodyKind.SOCIAL_ORGANISATION: "活动日见公告；平时请电话联系",
    BodyKind.PROPERTY_MANAGEMENT: "24 小时值班；客服中心 8:30–18:00",
}
ROOMS = {
    BodyKind.PARTY_ORGANISATION: "党群服务中心二楼",
    BodyKind.RESIDENTS_COMMITTEE: "党群服务中心一楼居委会办公室",
    BodyKind.DELIBERATION_COUNCIL: "党群服务中心三楼议事厅",
    BodyKind.SUPERVISORY_COMMITTEE: "党群服务中心二楼监委会办公室",
    BodyKind.SERVICE_CENTRE: "党群服务中心一楼便民服务大厅",
    BodyKind.SOCIAL_ORGANISATION: "党群服务中心活动室",
    BodyKind.PROPERTY_MANAGEMENT: "小区物业服务中心",
}
# (name, category, what, when, how to apply)
CENTRE_SERVICES = (
    (
        "老年人优待证办理",
        ServiceCategory.ELDERLY,
        "为年满60周岁的本市户籍或居住证老人办理优待证，凭证享受公交、景区等优待。",
        "周一至周六 9:00–17:30",
        "带身份证和一寸照片到便民服务大厅窗口办理，当场受理，7个工作日内领证；行动不便的可电话预约上门。",
    ),
    (
        "居民医保参保登记",
        ServiceCategory.HEALTH,
        "城乡居民基本医疗保险的参保登记、续保和信息变更。",
        "周一至周五 9:00–17:00",
        "带户口簿和身份证到窗口办理，也可在“天府市民云”自助办理，窗口工作人员可协助操作。",
    ),
    (
        "居住证申领",
        ServiceCategory.CERTIFICATES,
        "在本社区居住满半年的流动人口申领居住证。",
        "周一至周五 9:00–17:00",
        "带身份证、租房合同或房产证明到窗口登记，材料齐全的当场受理。",
    ),
    (
        "就业信息与技能培训",
        ServiceCategory.EMPLOYMENT,
        "发布辖区招聘信息，组织家政、电工、电商等免费技能培训。",
        "每周二、周四下午",
        "到服务大厅登记求职意向，或留下电话，有合适岗位和培训时通知您。",
    ),
    (
        "困难群众临时救助",
        ServiceCategory.ASSISTANCE,
        "遭遇突发困难的家庭申请临时救助、低保和特困供养。",
        "周一至周五 9:00–17:00",
        "本人或家属到窗口说明情况、填写申请表，社区入户核实后报街道审批。",
    ),
    (
        "法律咨询与人民调解",
        ServiceCategory.LEGAL,
        "律师每周坐班，免费解答法律问题；调解委员会调解邻里纠纷。",
        "每周三 14:00–17:00",
        "直接到调解室，或提前电话预约。",
    ),
)
ORGANISATION_SERVICES = (
    (
        "老年助餐点",
        ServiceCategory.ELDERLY,
        "为辖区老人提供午餐，80岁以上和困难老人有补贴。",
        "每天 11:00–13:00",
        "到助餐点登记，带身份证；需要送餐上门的请提前一天电话预订。",
    ),
    (
        "四点半课堂",
        ServiceCategory.CHILDREN,
        "志愿者辅导放学后的小学生写作业、阅读和手工。",
        "上学日 16:30–18:30",
        "家长带孩子到活动室报名，每期限30人。",
    ),
    (
        "邻里志愿服务队",
        ServiceCategory.VOLUNTEERING,
        "招募居民参加环境整治、敬老探访、文明劝导等志愿服务。",
        "每周六上午",
        "到活动室或在群里报名，服务时长可计入志愿积分兑换礼品。",
    ),
    (
        "广场舞与太极拳队",
        ServiceCategory.CULTURE,
        "免费教学和日常活动，欢迎各年龄居民参加。",
        "每天 19:00–20:30",
        "直接到社区广场参加，首次请找领队登记。",
    ),
)


def seed(size, rng, fake, stdout):
    if size == SMALL:
        return _seed_small(rng)
    return _seed_bulk(rng, Community.objects.exclude(bodies__profile__isnull=False).distinct())


def _seed_small(rng):
    first = Community.objects.select_related("street__district").filter(code=FIRST_COMMUNITY).first()
    if first is None or Announcement.objects.filter(community=first, title=MARKER_TITLE).exists():
        return {}
    created = _seed_bulk(rng, Community.objects.all())
    created["announcements"] = _announcements(first)
    return created


def _seed_bulk(rng, communities):
    """Duties, office hours and contact for every body; services for centres and organisations."""
    bodies = list(Body.objects.filter(community__in=communities, profile__isnull=True).select_related("community"))
    now = timezone.now()
    profiles, offered = [], []
    for body in bodies:
        duties = DUTIES.get(body.kind, ())
        profiles.append(
            BodyProfile(
                body=body,
                duties="\n".join(duties),
                office_hours=HOURS.get(body.kind, ""),
                location=f"{body.community.address or body.community.name}{ROOMS.get(body.kind, '')}",
                phone=f"028-{rng.randint(8000, 8799)}{rng.randint(1000, 9999)}",
                updated_at=now,
            )
        )
        if body.kind == BodyKind.SERVICE_CENTRE:
            chosen = rng.sample(CENTRE_SERVICES, rng.randint(3, len(CENTRE_SERVICES)))
        elif body.kind == BodyKind.SOCIAL_ORGANISATION:
            chosen = rng.sample(ORGANISATION_SERVICES, rng.randint(1, 2))
        else:
            continue
        for name, category, description, hours, how in chosen:
            offered.append(
                Service(
                    provider=body,
                    community=body.community,
                    name=name,
                    category=category,
                    description=description,
                    location=f"{body.community.name}{ROOMS[body.kind]}",
                    hours=hours,
                    how_to_apply=how,
                    contact=profiles[-1].phone,
                    updated_at=now,
                )
            )
    with transaction.atomic():
        BodyProfile.objects.bulk_create(profiles, batch_size=1000)
        Service.objects.bulk_create(offered, batch_size=1000)
    return {"body profiles": len(profiles), "services": len(offered)} if profiles else {}


def _announcements(first):
    staff = User.objects.filter(username="staff").first()
    official = User.objects.filter(username="official").first()
    if staff is None or official is None:
        return 0
    now = timezone.now()
    day = timezone.timedelta(days=1)
    street, district = first.street, first.street.district
    stories = [
        (staff, first, MARKER_TITLE, Category.POLICY, True, now - 2 * day, None,
         "为改善老旧小区居民出行条件，社区将于本月开展**加装电梯意愿征集**。\n\n"
         "- 征集范围：本社区1990年以后建成、4层及以上的住宅楼\n"
         "- 征集方式：各单元楼长入户登记，或到居委会办公室填表\n"
         "- 截止时间：本月25日\n\n"
         "同一单元三分之二以上业主同意的，社区将协助申请市级补贴，并提交居民议事会讨论实施方案。"),
        (staff, first, "本周六上午开展小区环境卫生大扫除", Category.ACTIVITY, False, now - 1 * day, now + 6 * day,
         "本周六 **9:00–11:30** 开展环境卫生大扫除，清理楼道堆放杂物和屋顶垃圾。\n\n"
         "欢迎居民参加，志愿服务时长计入积分。请在各单元门口集合领取工具。"),
        (staff, first, "社区党群服务中心开放时间调整", Category.NOTICE, False, now - 5 * day, None,
         "自下月起，党群服务中心开放时间调整为**周一至周六 9:00–17:30**，周六上午增设居委会值班。"),
        (staff, first, "三月份居民议事会会议纪要已公开", Category.NOTICE, False, now - 40 * day, now - 10 * day,
         "三月份议事会的会议纪要和表决结果已在公示栏和平台公开，公示期已结束。"),
        (staff, first, "暴雨黄色预警：请居民注意防范", Category.EMERGENCY, False, now - 30 * day, now - 28 * day,
         "市气象台发布暴雨黄色预警。请低洼院落居民及时转移车辆和贵重物品，老人儿童尽量不要外出。"
         "如遇险情请拨打社区值班电话。"),
        (official, street, f"{street.name}便民服务中心新增周末服务窗口", Category.PUBLIC_SERVICE, False, now - 3 * day, None,
         f"为方便上班族办事，{street.name}便民服务中心自本月起**周六上午**开放社保、医保和证明开具窗口。"),
        (official, district, f"{district.name}2026年城乡社区发展治理专项资金使用办法", Category.POLICY, False, now - 7 * day, None,
         "专项资金用于社区公共服务、社区营造和居民自治项目。\n\n"
         "1. 项目由居民提出，经居民议事会决议\n"
         "2. 决议和资金使用情况须向居民公示\n"
         "3. 监督委员会全程监督，居民测评满意度\n\n"
         "详细办法见附件或到社区居委会咨询。"),
        (staff, first, "下周三社区卫生服务站免费体检", Category.PUBLIC_SERVICE, False, now + 3 * day, now + 10 * day,
         "辖区60岁以上老人可免费体检，请带身份证和医保卡。"),
    ]  # fmt: skip
    count = 0
    for author, area, title, category, pinned, publish_at, expires_at, body in stories:
        count += 1
        if expires_at is not None and expires_at <= now:
            # The services publish only what is still to expire; the demo's past is written as it stood.
            Announcement.objects.create(
                **{area._meta.model_name: area},
                title=title,
                body=body,
                body_format=BodyFormat.MARKDOWN,
                body_html=text.render(body, BodyFormat.MARKDOWN),
                category=category,
                pinned=pinned,
                publish_at=publish_at,
                expires_at=expires_at,
                author=author,
                created_at=publish_at,
            )
            continue
        services.announcement_publish(
            actor=author,
            area=area,
            title=title,
            body=body,
            body_format=BodyFormat.MARKDOWN,
            category=category,
            pinned=pinned,
            publish_at=publish_at,
            expires_at=expires_at,
        )
    return count
