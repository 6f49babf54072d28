"""What kinds of notice exist, registered by the apps that send them.

The notifications app knows no other app: an app describes each kind of notice it sends —
what it is about, who receives it (a rule resolved when the notice falls due), how it is
worded in each language, over which channels — and registers it here from its
AppConfig.ready(), the way apps register their models with the Django admin:

    registry.register(NoticeKind(
        name="deliberation.meeting_notice",
        label=_("Meeting notice"),
        subject_model=Meeting,
        recipients=meeting_recipients,      # (subject, notice) -> QuerySet of users
        content=meeting_content,            # (subject, notice) -> Content, in the active language
        is_current=meeting_still_holds,     # (subject, notice) -> bool, checked when due
        community_key=lambda meeting: meeting.community_id,
    ))

Apps may also name subjects people can follow (`register_followable`) and kinds planned
once a day (`register_daily`), e.g. a digest.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

IN_APP = "app"
SMS = "sms"
EMAIL = "email"
ALL_CHANNELS = (IN_APP, SMS, EMAIL)


@dataclass(frozen=True)
class Content:
    """A notice's wording in one language.

    `body` is plain text (links written out, so it reads the same in an inbox, an e-mail
    or a terminal); `sms` should fit one 70-character segment; `url` is the absolute link
    to the page the notice is about.
    """

    title: str
    body: str
    url: str = ""
    sms: str = ""

    def as_dict(self):
        return {"title": str(self.title), "body": str(self.body), "url": self.url, "sms": str(self.sms)}


def moment_words(moment):
    """A moment as a notice's wording names it, in local time and the active language:
    `date`, `time` (24 h) and `short` (month and day with the time, for an SMS)."""
    local = timezone.localtime(moment)
    return {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "H:i"),
        "short": f"{formats.date_format(local, 'MONTH_DAY_FORMAT')} {formats.time_format(local, 'H:i')}",
    }


@dataclass(frozen=True)
class NoticeKind:
    name: str
    label: str
    recipients: Callable
    content: Callable
    subject_model: type | None = None
    channels: tuple = ALL_CHANNELS
    is_current: Callable | None = None
    # The id of the community the subject belongs to (subject -> int or None): its staff and
    # officials see the notice in the admin.
    community_key: Callable | None = None
    # The API names a notice's subject by this key (e.g. "meeting": the meeting's id).
    subject_key: str = ""

    def __post_init__(self):
        unknown = set(self.channels) - set(ALL_CHANNELS)
        if unknown:
            raise ValueError(f"Notice kind {self.name!r} names unknown channels: {sorted(unknown)}")


@dataclass(frozen=True)
class Followable:
    """A kind of object people may follow (a topic): notices about it reach its followers."""

    name: str
    model: type
    can_follow: Callable = field(default=lambda user, obj: user.is_authenticated)


@dataclass(frozen=True)
class Daily:
    """A kind planned once a day, from `at` local time on: `subjects(now)` yields what each
    day's notice is about. One notice per subject and day, however often the plan runs."""

    kind: str
    subjects: Callable
    at: datetime.time = datetime.time(8, 0)


class AlreadyRegistered(Exception):
    pass


class NotRegistered(KeyError):
    pass


class Registry:
    def __init__(self):
        self._kinds = {}
        self._followables = {}
        self._daily = {}

    def register(self, kind):
        if kind.name in self._kinds:
            raise AlreadyRegistered(f"Notice kind {kind.name!r} is already registered.")
        self._kinds[kind.name] = kind
        return kind

    def unregister(self, name):
        self._kinds.pop(name, None)
        self._daily.pop(name, None)

    def get(self, name):
        try:
            return self._kinds[name]
        except KeyError:
            raise NotRegistered(name) from None

    def find(self, name):
        return self._kinds.get(name)

    def kinds(self):
        return list(self._kinds.values())

    def choices(self):
        return [(kind.name, kind.label) for kind in self._kinds.values()]

    def register_followable(self, followable):
        if followable.name in self._followables:
            raise AlreadyRegistered(f"Followable {followable.name!r} is already registered.")
        self._followables[followable.name] = followable
        return followable

    def followable(self, name):
        return self._followables.get(name)

    def followable_for(self, model):
        for followable in self._followables.values():
            if followable.model is model or isinstance(model, followable.model):
                return followable
        return None

    def followables(self):
        return list(self._followables.values())

    def register_daily(self, daily):
        self.get(daily.kind)
        self._daily[daily.kind] = daily
        return daily

    def daily(self):
        return list(self._daily.values())


registry = Registry()

CHANNEL_LABELS = {IN_APP: _("In-app"), SMS: _("SMS"), EMAIL: _("E-mail")}
