"""Forms of the residents' deliberation pages. They parse what a browser sends; the services
decide (and their messages land on these forms' fields through
`core.errors.add_refusal`).

Length limits are the services' (one message for pages and API alike); the forms only tell
the browser the same limits with `maxlength`, so nobody types 6,000 characters in vain.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from core.text import TextField

from .models import COMMENT_MAX, NOTE_MAX, OBJECTION_MAX, RATING_COMMENT_MAX, REASON_MAX, TOPIC_BODY_MAX, TopicCategory
from .uploads import POLICY
from .workflow import MIN_BODY_FOR_REVIEW, Step, body_too_short


def _textarea(max_length, rows=4, **attrs):
    """A text box that tells its limit: `maxlength` for the browser, `data-counter` for the
    small script (deliberation/counter.js) that shows the characters left and says so when a
    paste was longer than the limit (the browser cuts it silently)."""
    return forms.Textarea(attrs={"rows": rows, "maxlength": max_length, "data-counter": "", **attrs})


def _long_enough(value):
    """The review guard's rule, with its message, on the form that would otherwise let a
    description through that review then refuses."""
    if too_short := body_too_short(value):
        raise ValidationError(too_short)


def _at_most(max_length, label):
    """The services' length rule, checked with the form's other fields (same message)."""

    def validate(value):
        if len(value) > max_length:
            raise ValidationError(
                _("%(label)s can be at most %(max)s characters long (it has %(length)s).")
                % {"label": label, "max": f"{max_length:,}", "length": f"{len(value):,}"}
            )

    return validate


def _body_help():
    return _(
        "Describe the matter, where it is and what you suggest (at least %(min)s characters, at most %(max)s). "
        "Residents can comment on it, and staff take it to the council."
    ) % {"min": MIN_BODY_FOR_REVIEW, "max": f"{TOPIC_BODY_MAX:,}"}


class TopicFields(forms.Form):
    """What a topic says: raised with it, and edited by its author while views are collected."""

    title = TextField(
        label=_("Title"),
        max_length=120,
        help_text=_("In a few words: what should change?"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    category = forms.ChoiceField(label=_("Category"), choices=[("", _("Choose a category")), *TopicCategory.choices])
    body = TextField(
        label=_("Your opinion or suggestion"),
        strip=False,
        help_text=lazy(_body_help, str)(),
        widget=_textarea(TOPIC_BODY_MAX, rows=8, minlength=MIN_BODY_FOR_REVIEW),
        validators=[_at_most(TOPIC_BODY_MAX, _("The description")), _long_enough],
    )


class TopicEditForm(TopicFields):
    pass


class TopicRaiseForm(TopicFields):
    raised_by_body = forms.TypedChoiceField(
        label=_("On behalf of"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Raise it for a body you belong to, or leave it as your own."),
    )

    def __init__(self, *args, bodies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.bodies = {body.pk: body for body in bodies}
        if self.bodies:
            self.fields["raised_by_body"].choices = [
                ("", _("Myself")),
                *((body.pk, body.name) for body in self.bodies.values()),
            ]
        else:
            del self.fields["raised_by_body"]

    def clean_raised_by_body(self):
        pk = self.cleaned_data.get("raised_by_body")
        return self.bodies.get(pk) if pk else None


class CommentForm(forms.Form):
    body = TextField(
        label=_("Your comment"),
        strip=False,
        widget=_textarea(COMMENT_MAX),
        validators=[_at_most(COMMENT_MAX, _("The comment"))],
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CommentEditForm(forms.Form):
    body = TextField(
        label=_("Your comment"),
        strip=False,
        widget=_textarea(COMMENT_MAX, rows=6),
        validators=[_at_most(COMMENT_MAX, _("The comment"))],
    )


class ReportForm(forms.Form):
    reason = TextField(
        label=_("Why should staff look at this comment?"),
        widget=forms.TextInput(attrs={"maxlength": REASON_MAX}),
    )


class ModerateForm(forms.Form):
    keep = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reason = TextField(
        label=_("Reason for hiding (its author sees it)"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": REASON_MAX}),
    )


class ObjectionForm(forms.Form):
    body = TextField(
        label=_("Your objection"),
        strip=False,
        help_text=_("Staff answer every objection in public before the work starts."),
        widget=_textarea(OBJECTION_MAX),
        validators=[_at_most(OBJECTION_MAX, _("The objection"))],
    )


class AnswerForm(forms.Form):
    answer = TextField(
        label=_("Public answer"),
        strip=False,
        widget=_textarea(OBJECTION_MAX, rows=3),
        validators=[_at_most(OBJECTION_MAX, _("The answer"))],
    )


SCORES = [(5, _("5 – very satisfied")), (4, _("4")), (3, _("3")), (2, _("2")), (1, _("1 – not satisfied at all"))]


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the outcome?"), choices=SCORES, coerce=int, widget=forms.RadioSelect
    )
    comment = TextField(
        label=_("Comment"),
        required=False,
        strip=False,
        widget=_textarea(RATING_COMMENT_MAX, rows=3),
        validators=[_at_most(RATING_COMMENT_MAX, _("The comment"))],
    )


class ProgressForm(forms.Form):
    percent = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    note = TextField(
        label=_("What was done"),
        strip=False,
        widget=_textarea(NOTE_MAX, rows=3),
        validators=[_at_most(NOTE_MAX, _("The note"))],
    )
    attachment = forms.FileField(
        label=_("Photo or document"),
        required=False,
        help_text=_("JPEG, PNG, WebP or PDF, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": POLICY.accept_attribute()}),
    )


class TopicFilterForm(forms.Form):
    """The topic list's filters; an unknown step is an error, not a silently empty list."""

    step = forms.ChoiceField(label=_("Step"), choices=[("", _("All steps")), *Step.choices], required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
