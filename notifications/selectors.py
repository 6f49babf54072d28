"""Reads of notices, deliveries and follows."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q

from .models import Delivery, Follow, Notice


def inbox(user):
    """The user's in-app notices, newest first, each with its notice (one query per page)."""
    return Delivery.objects.inbox(user).select_related("notice").order_by("-pk")


def inbox_item(user, delivery_id):
    """One of the user's in-app notices, or None: another person's answers like a missing one."""
    return inbox(user).filter(pk=delivery_id).first()


def unread_count(user):
    if not getattr(user, "is_authenticated", False):
        return 0
    return Delivery.objects.unread(user).count()


def notices_about(subject, kinds=None):
    notices = Notice.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
    ).order_by("created_at", "pk")
    if kinds is not None:
        notices = notices.filter(kind__in=kinds)
    return notices


def follower_ids(subject):
    """The people following `subject`, as a subquery of user ids."""
    return Follow.objects.filter(
        subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk, active=True
    ).values("user_id")


def is_following(user, subject):
    if not getattr(user, "is_authenticated", False):
        return False
    return Follow.objects.filter(
        user=user, subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk, active=True
    ).exists()


def follows_of(user):
    return Follow.objects.filter(user=user, active=True).select_related("subject_type").order_by("-created_at")


STATUS_COUNTS = {
    f"{status}_count": Count("deliveries", filter=Q(deliveries__status=status)) for status in Delivery.Status.values
}


def with_delivery_counts(notices):
    """Annotate each notice with how many of its deliveries are queued, sent, failed, superseded."""
    return notices.annotate(**STATUS_COUNTS)


def delivery_status_counts(deliveries):
    counts = dict(deliveries.order_by().values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in Delivery.Status.values}
