"""The ready-made surveys: what the source article asked residents, launched for a scope in one go.

Their questions and choices carry fixed keys and values, so the officials' dashboards find
the answers whatever wording or language the survey was launched in.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.models import BodyKind

from .models import QuestionKind, ReadyMade

# Impressions of community bodies
GOOD, AVERAGE, POOR, DONT_KNOW = "good", "average", "poor", "dont_know"
IMPRESSION_CHOICES = (
    (GOOD, pgettext_lazy("impression", "Good")),
    (AVERAGE, pgettext_lazy("impression", "Average")),
    (POOR, pgettext_lazy("impression", "Poor")),
    (DONT_KNOW, _("Don't know")),
)
# The four bodies the article asked about, keyed as the dashboard names them.
IMPRESSION_BODIES = (
    (BodyKind.PARTY_ORGANISATION.value, _("What is your impression of the community's party organisation?")),
    (
        BodyKind.RESIDENTS_COMMITTEE.value,
        _("What is your impression of the residents' committee (villagers' committee)?"),
    ),
    (BodyKind.DELIBERATION_COUNCIL.value, _("What is your impression of the residents' deliberation council?")),
    (BodyKind.SERVICE_CENTRE.value, _("What is your impression of the convenience service centre?")),
)
IMPRESSION_KEYS = tuple(key for key, _text in IMPRESSION_BODIES)

# Participation and information
ACTIVITIES_LAST_YEAR = "activities_last_year"
KNOWLEDGE_SATISFACTION = "knowledge_satisfaction"
TAKING_PART_SATISFACTION = "taking_part_satisfaction"
ACTIVITY_BUCKETS = (
    ("0", pgettext_lazy("activities attended", "None")),
    ("1", pgettext_lazy("activities attended", "Once")),
    ("2-3", _("2 to 3 times")),
    ("4-6", _("4 to 6 times")),
    ("7-or-more", _("7 times or more")),
)
ACTIVITY_BUCKET_VALUES = tuple(value for value, _label in ACTIVITY_BUCKETS)
UNDER_TWO_BUCKETS = ("0", "1")


def activity_bucket(count):
    """The bucket of the "activities attended last year" question a number of activities falls in."""
    if count <= 0:
        return "0"
    if count == 1:
        return "1"
    if count <= 3:
        return "2-3"
    if count <= 6:
        return "4-6"
    return "7-or-more"


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    text: str
    kind: str
    choices: tuple = ()
    required: bool = True


@dataclass(frozen=True)
class Definition:
    title: str
    description: str
    questions: tuple = field(default_factory=tuple)


DEFINITIONS = {
    ReadyMade.IMPRESSIONS: Definition(
        title=_("Your impressions of the community's bodies"),
        description=_(
            "How do you see the bodies that serve your community? There are no right answers: "
            "say what you think, or that you don't know them."
        ),
        questions=tuple(
            QuestionSpec(key=key, text=text, kind=QuestionKind.SINGLE, choices=IMPRESSION_CHOICES)
            for key, text in IMPRESSION_BODIES
        ),
    ),
    ReadyMade.PARTICIPATION: Definition(
        title=_("Taking part and staying informed"),
        description=_(
            "How often do you take part in community activities, and how satisfied are you with "
            "what you know of community affairs and how you can take part in them?"
        ),
        questions=(
            QuestionSpec(
                key=ACTIVITIES_LAST_YEAR,
                text=_("How many community activities did you take part in over the last year?"),
                kind=QuestionKind.SINGLE,
                choices=ACTIVITY_BUCKETS,
            ),
            QuestionSpec(
                key=KNOWLEDGE_SATISFACTION,
                text=_(
                    "How satisfied are you with what you know of community affairs? "
                    "(1 very dissatisfied, 5 very satisfied)"
                ),
                kind=QuestionKind.SCALE,
            ),
            QuestionSpec(
                key=TAKING_PART_SATISFACTION,
                text=_(
                    "How satisfied are you with the ways you can take part in community affairs? "
                    "(1 very dissatisfied, 5 very satisfied)"
                ),
                kind=QuestionKind.SCALE,
            ),
        ),
    ),
}
