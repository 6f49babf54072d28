"""Factories for plain rows, and helpers that give people roles through the services."""

import factory
from django.contrib.auth import get_user_model
from faker import Faker

from communities import services
from communities.models import Body, BodyKind, Community, District, Post, Stage, Street, Typology

fake = Faker("zh_CN")
PASSWORD = "pass-for-tests-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyFunction(fake.name)
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    password = factory.django.Password(PASSWORD)


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District

    name = factory.Sequence(lambda n: f"测试{n}区")
    ring = 1
    kind = District.Kind.DISTRICT


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"测试{n}街道")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试{n}社区")
    code = factory.Sequence(lambda n: f"T{n:06d}")
    typology = Typology.COMMERCIAL_HOUSING
    stage = Stage.URBAN
    households = 1200
    population = 3500
    address = factory.LazyFunction(fake.street_address)


class BodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Body

    community = factory.SubFactory(CommunityFactory)
    kind = BodyKind.DELIBERATION_COUNCIL
    name = factory.LazyAttribute(lambda o: f"{o.community.name}{o.kind}")


def superuser():
    return UserFactory(is_superuser=True, is_staff=True)


def resident(community, *, actor=None, **user_fields):
    """A verified resident, verified the way staff would verify them."""
    user = UserFactory(**user_fields)
    residency = services.residency_request(user=user, community=community)
    services.residency_verify(actor=actor or superuser(), residency=residency)
    return user


def staff_member(community, *, actor=None, **user_fields):
    user = UserFactory(**user_fields)
    services.staff_grant(actor=actor or superuser(), user=user, community=community)
    return user


def council_member(community, *, actor=None, **user_fields):
    actor = actor or superuser()
    user = resident(community, actor=actor, **user_fields)
    body = Body.objects.filter(community=community, kind=BodyKind.DELIBERATION_COUNCIL).first()
    if body is None:
        body = services.body_create(
            actor=actor, community=community, kind=BodyKind.DELIBERATION_COUNCIL, name=f"{community.name}居民议事会"
        )
    services.membership_add(actor=actor, body=body, user=user, post=Post.MEMBER)
    return user


def official(*, street=None, district=None, actor=None, **user_fields):
    user = UserFactory(**user_fields)
    services.official_grant(actor=actor or superuser(), user=user, street=street, district=district)
    return user


def evaluator(*, actor=None, **user_fields):
    user = UserFactory(**user_fields)
    services.evaluator_grant(actor=actor or superuser(), user=user)
    return user
