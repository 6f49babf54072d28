"""A resident's rights over their personal data (PIPL): a copy of it, and deleting the account.

Civic composes them here because the data lives in every app (communities, deliberation,
surveys, notifications) and civic is the layer that may read them all.

- `export_for(user)` is everything Civic keeps about the person, as JSON-ready data: the
  profile and consent, residencies, posts held, topics raised, comments, supports,
  objections, ratings, the answers of surveys that are not anonymous, activity sign-ups and
  the notices sent to them. Anonymous answers are not linked to anyone, so no export can
  hold them.
- `account_delete(user=...)` erases contact data and login at once: phone, e-mail, names,
  birth year, education, the password and every session and token (the account is made
  inactive and its password unusable). The row stays, so their comments and topics keep their
  place in public records, under the neutral name "已注销用户" (User.name). Residencies end
  (reason "account deleted"), posts end today, follows, notices and pending login codes are
  removed. The deliberation trail is untouched and still verifies: its entries name the actor
  by id and hold free text only as SHA-256 digests, never a name, phone or e-mail.
"""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission

from communities import services as community_services
from communities.models import (
    CommunityUserObjectPermission,
    DistrictUserObjectPermission,
    Membership,
    Residency,
    StreetUserObjectPermission,
)
from communities.permissions import forget_roles
from deliberation.models import Comment, Objection, ObserverRegistration, Rating, Support, Topic
from notifications.models import Delivery, Follow
from surveys.models import Answer, SignUp

from .models import SmsCode

User = get_user_model()

EXPORT_FORMAT = "civic-personal-data/1"


def _when(moment):
    return None if moment is None else moment.isoformat()


def export_for(user):
    """Everything Civic keeps about `user`, in a fixed number of queries."""
    residencies = Residency.objects.filter(user=user).select_related("community").order_by("requested_at", "pk")
    memberships = Membership.objects.filter(user=user).select_related("body__community").order_by("term_start", "pk")
    topics = Topic.objects.filter(raised_by=user).select_related("community").order_by("created_at", "pk")
    comments = Comment.objects.filter(author=user).select_related("topic").order_by("created_at", "pk")
    supports = Support.objects.filter(user=user).select_related("topic").order_by("created_at", "pk")
    objections = Objection.objects.filter(author=user).select_related("topic").order_by("pk")
    ratings = Rating.objects.filter(user=user).select_related("topic").order_by("pk")
    observing = ObserverRegistration.objects.filter(user=user).select_related("meeting__community").order_by("pk")
    answers = (
        Answer.objects.filter(response__respondent=user, response__survey__anonymous=False)
        .select_related("response__survey", "question", "choice")
        .order_by("response__submitted_on", "question__pk", "pk")
    )
    signups = SignUp.objects.filter(user=user).select_related("activity").order_by("pk")
    deliveries = Delivery.objects.filter(recipient=user).select_related("notice").order_by("created_at", "pk")
    language = user.preferred_language
    return {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "id": user.pk,
            "username": user.username,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "email": user.email,
            "birth_year": user.birth_year,
            "education": user.education,
            "preferred_language": user.preferred_language,
            "sms_opt_out": user.sms_opt_out,
            "email_opt_in": user.email_opt_in,
            "date_joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "consent": {
                "terms_version": user.terms_version,
                "privacy_version": user.privacy_version,
                "consented_at": _when(user.consented_at),
            },
        },
        "residencies": [
            {
                "community": r.community.name,
                "community_id": r.community_id,
                "status": r.status,
                "requested_at": _when(r.requested_at),
                "decided_at": _when(r.decided_at),
                "decision_note": r.decision_note,
                "ended_at": _when(r.ended_at),
                "end_reason": r.end_reason,
            }
            for r in residencies
        ],
        "posts": [
            {
                "body": m.body.name,
                "community": m.body.community.name,
                "post": m.post,
                "term_start": _when(m.term_start),
                "term_end": _when(m.term_end),
            }
            for m in memberships
        ],
        "topics": [
            {
                "id": t.pk,
                "community": t.community.name,
                "title": t.title,
                "body": t.body,
                "step": t.step,
                "raised_at": _when(t.created_at),
            }
            for t in topics
        ],
        "comments": [
            {
                "id": c.pk,
                "topic_id": c.topic_id,
                "topic": c.topic.title,
                "body": c.body,
                "posted_at": _when(c.created_at),
                "edited_at": _when(c.edited_at),
                "hidden": c.hidden or c.held,
            }
            for c in comments
        ],
        "supports": [
            {"topic_id": s.topic_id, "topic": s.topic.title, "supported_at": _when(s.created_at)} for s in supports
        ],
        "objections": [{"topic_id": o.topic_id, "topic": o.topic.title, "body": o.body} for o in objections],
        "ratings": [
            {
                "topic_id": r.topic_id,
                "topic": r.topic.title,
                "score": r.score,
                "comment": r.comment,
                "rated_at": _when(r.created_at),
            }
            for r in ratings
        ],
        "meetings_observed": [
            {
                "meeting_id": o.meeting_id,
                "meeting": str(o.meeting),
                "registered_at": _when(o.registered_at),
                "cancelled_at": _when(o.cancelled_at),
                "checked_in_at": _when(o.checked_in_at),
            }
            for o in observing
        ],
        "survey_answers": [
            {
                "survey": a.response.survey.title,
                "submitted_on": _when(a.response.submitted_on),
                "question": a.question.text,
                "choice": a.choice.label if a.choice_id else None,
                "value": a.value,
                "text": a.text,
            }
            for a in answers
        ],
        "activity_signups": [
            {
                "activity_id": s.activity_id,
                "activity": s.activity.theme,
                "signed_up_at": _when(s.signed_up_at),
                "cancelled_at": _when(s.cancelled_at),
            }
            for s in signups
        ],
        "notices": [
            {
                "kind": d.notice.kind,
                "channel": d.channel,
                "status": d.status,
                "sent_at": _when(d.sent_at),
                "read_at": _when(d.read_at),
                "content": _notice_content(d.notice.content, language),
            }
            for d in deliveries
        ],
    }


def _notice_content(content, language):
    if not isinstance(content, dict) or not content:
        return None
    return content.get(language) or next(iter(content.values()))


@transaction.atomic
def account_delete(*, user):
    """Erase `user`'s contact data and login now; keep their public contributions, unnamed."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is not None:
        return user
    now = timezone.now()
    phone = user.phone
    for residency in Residency.objects.select_for_update().filter(user=user, status__in=Residency.ACTIVE):
        residency.status = Residency.Status.ENDED
        residency.ended_at = now
        residency.end_reason = Residency.EndReason.DELETED
        residency.save(update_fields=["status", "ended_at", "end_reason"])
    # Posts end: held until yesterday (a post taken up today is dropped as never held).
    today = timezone.localdate(now)
    Membership.objects.filter(user=user, term_start__gte=today).delete()
    Membership.objects.current().filter(user=user).update(term_end=today - datetime.timedelta(days=1))
    for model in (CommunityUserObjectPermission, StreetUserObjectPermission, DistrictUserObjectPermission):
        model.objects.filter(user=user).delete()
    UserObjectPermission.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()
    Follow.objects.filter(user=user).delete()
    Delivery.objects.filter(recipient=user, status=Delivery.Status.QUEUED).update(status=Delivery.Status.SUPERSEDED)
    Delivery.objects.filter(recipient=user).exclude(status=Delivery.Status.QUEUED).update(
        last_error="", provider_message_id=""
    )
    if phone:
        SmsCode.objects.filter(phone=phone).delete()
        community_services.signup_discard("phone", phone)
    user.username = f"deleted-{user.pk}"
    user.phone = None
    user.email = ""
    user.display_name = ""
    user.first_name = ""
    user.last_name = ""
    user.birth_year = None
    user.education = ""
    user.sms_opt_out = True
    user.email_opt_in = False
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.deleted_at = now
    user.set_unusable_password()
    user.save()
    _end_sessions(user.pk)
    _end_tokens(user)
    forget_roles(user)
    return user


def _end_sessions(user_id):
    """Log the person out everywhere (sessions are few per person; scanning them is rare work)."""
    key = str(user_id)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == key:
            session.delete()


def _end_tokens(user):
    """API tokens of the account end with it (an inactive account is refused by every token class)."""
    from django.apps import apps

    for label in ("authtoken.Token", "knox.AuthToken"):
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        model.objects.filter(user=user).delete()


def deletion_refusal(user):
    """Why `user` cannot delete their account themselves, or None."""
    if user.is_superuser:
        return _("A superuser's account is closed by another superuser, not from the profile page.")
    return None
