"""Benchmark: fan a meeting notice out to a community of 100,000 residents.

    .venv/bin/python bench/notices.py

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/civic_bench, as for bench/web.py,
and the database is created when it does not exist yet.

It migrates the database, lays down one community with N verified residents (once; reruns
reuse them), schedules a meeting inside the notice lead time through the deliberation
services (so its notice is due at once) and times the whole path until every in-app
delivery is `sent`: the dispatcher claims the notice, fixes its wording, expands the
recipients, hands the ids out in batches and the in-app send tasks accept them. The tasks
run in this process (Celery's eager mode): the figure is the database work, not the broker's.
In the same run it times a plain `bulk_create` of the same number of delivery rows and
prints both rates and their ratio (target: the fan-out at least 25% of the bulk insert).

Residents have no phone number and no e-mail by default, so only in-app deliveries are
made; `--with-sms` gives each a phone number, and the fan-out then also expands and hands
out one SMS delivery per resident, whose batches are parked (not sent: an SMS provider's
pace, not the database's, decides how fast those go).
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/civic_bench")

import django  # noqa: E402

from bench.web import ensure_database  # noqa: E402

if __name__ == "__main__":
    ensure_database()  # CREATE DATABASE when it does not exist yet, before Django connects
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from civic.celery import app  # noqa: E402
from communities import services as community_services  # noqa: E402
from communities.models import Community, District, Residency, Street, User  # noqa: E402
from deliberation import services as deliberation_services  # noqa: E402
from notifications import tasks  # noqa: E402
from notifications.models import Delivery, Notice  # noqa: E402

CODE = "BENCH-NOTICES"


def community_with_residents(count, with_sms):
    district, _ = District.objects.get_or_create(name="基准测试区", defaults={"ring": 1})
    street, _ = Street.objects.get_or_create(district=district, name="基准测试街道")
    community, _ = Community.objects.get_or_create(
        code=CODE,
        defaults={"street": street, "name": "基准测试社区", "typology": "commercial_housing", "stage": "urban"},
    )
    have = Residency.objects.filter(community=community, status=Residency.Status.VERIFIED).count()
    if have < count:
        started = time.perf_counter()
        password = make_password(None)
        now = timezone.now()
        batch = 10_000
        for start in range(have, count, batch):
            users = User.objects.bulk_create(
                [
                    User(username=f"bench{n}", password=password, display_name=f"居民{n}", date_joined=now)
                    for n in range(start, min(start + batch, count))
                ]
            )
            Residency.objects.bulk_create(
                [
                    Residency(
                        user=user,
                        community=community,
                        status=Residency.Status.VERIFIED,
                        requested_at=now,
                        decided_at=now,
                    )
                    for user in users
                ]
            )
        print(f"laid down {count - have:,} residents in {time.perf_counter() - started:.1f} s")
    residents = User.objects.filter(username__startswith="bench")
    if with_sms:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE communities_user SET phone = '13' || lpad(substr(username, 6), 9, '0') "
                "WHERE username LIKE 'bench%%' AND phone IS NULL"
            )
    else:
        residents.exclude(phone=None).update(phone=None)
    residents.update(email_opt_in=False, sms_opt_out=False)
    return community


def staff_for(community):
    staff, created = User.objects.get_or_create(username="bench-staff", defaults={"display_name": "基准工作人员"})
    if created:
        root = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
            "bench-root", password=None
        )
        community_services.staff_grant(actor=root, user=staff, community=community)
    return staff


def clean(community):
    notices = Notice.objects.filter(community_key=community.pk)
    Delivery.objects.filter(notice__in=notices).delete()
    notices.delete()


class Parked:
    """Stands in for the broker's queue of a channel whose provider is outside this run."""

    def __init__(self, name):
        self.name = name
        self.ids = []

    def apply_async(self, args=(), **options):
        self.ids.extend(args[0])


def fan_out(community, staff):
    """From the meeting's commit to the last in-app delivery sent."""
    app.conf.task_always_eager = True
    # SMS and e-mail batches are handed out but not sent: their pace is the provider's.
    parked = {channel: Parked(channel) for channel in ("sms", "email")}
    tasks.SEND_TASKS.update(parked)
    starts_at = timezone.now() + datetime.timedelta(days=1)
    started = time.perf_counter()
    deliberation_services.meeting_schedule(actor=staff, community=community, starts_at=starts_at, location="社区议事厅")
    tasks.dispatch.apply()
    notice = Notice.objects.get(community_key=community.pk)
    pending = Delivery.objects.filter(notice=notice, channel=Delivery.Channel.IN_APP).exclude(
        status=Delivery.Status.SENT
    )
    while pending.exists():
        tasks.dispatch.apply()
    elapsed = time.perf_counter() - started
    sent = Delivery.objects.filter(notice=notice, channel=Delivery.Channel.IN_APP, status=Delivery.Status.SENT).count()
    total = Delivery.objects.filter(notice=notice).count()
    return sent, total, elapsed


def bulk_insert(community, user_ids):
    notice = Notice.objects.create(
        kind="bench.bulk_insert", community=community, due_at=timezone.now(), status="dispatched"
    )
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        Delivery.objects.bulk_create(
            [
                Delivery(
                    notice=notice,
                    recipient_id=pk,
                    channel="app",
                    status="sent",
                    sent_at=now,
                    available_at=now,
                    created_at=now,
                )
                for pk in user_ids
            ],
            batch_size=5000,
        )
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument(
        "--with-sms", action="store_true", help="residents have phones: SMS deliveries are expanded too"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("This benchmark runs on PostgreSQL: set DATABASE_URL=postgres://...")
    call_command("migrate", verbosity=0)
    community = community_with_residents(args.residents, args.with_sms)
    staff = staff_for(community)
    clean(community)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE notifications_delivery")

    sent, total, fan_seconds = fan_out(community, staff)
    user_ids = list(
        Residency.objects.filter(community=community, status=Residency.Status.VERIFIED).values_list(
            "user_id", flat=True
        )
    )
    insert_seconds = bulk_insert(community, user_ids[:sent])
    clean(community)

    fan_rate = sent / fan_seconds
    insert_rate = sent / insert_seconds
    ratio = fan_rate / insert_rate
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {args.residents:,} residents, lead {settings.NOTICE_LEAD_DAYS} days"
    )
    print(
        f"fan-out:     {sent:,} in-app deliveries sent ({total:,} deliveries in all) in {fan_seconds:.2f} s = {fan_rate:,.0f} deliveries/s"
    )
    print(f"bulk insert: {sent:,} rows in {insert_seconds:.2f} s = {insert_rate:,.0f} rows/s")
    print(f"ratio:       {ratio:.0%} of the bulk-insert rate (target >= 25%)")
    return 0 if ratio >= 0.25 else 1


if __name__ == "__main__":
    sys.exit(main())
