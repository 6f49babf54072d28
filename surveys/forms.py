"""Forms of the residents' pages: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.text import TextField

from .models import HIDE_REASON_MAX, SCALE_MAX, SCALE_MIN, TEXT_ANSWER_MAX, QuestionKind
from .services import question_field

SCALE_LABELS = {
    1: _("1 · very dissatisfied"),
    2: _("2 · dissatisfied"),
    3: _("3 · neither"),
    4: _("4 · satisfied"),
    5: _("5 · very satisfied"),
}


class SurveyForm(forms.Form):
    """One field per question, named as the service reports its errors ("question-<id>").

    Every field is optional here: whether a question must be answered is the service's rule,
    so the page and the API give the same message.
    """

    def __init__(self, survey, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey = survey
        for question in survey.questions.all():
            field = self._field_for(question)
            field.question = question
            field.required = False
            self.fields[question_field(question)] = field

    @staticmethod
    def _field_for(question):
        label = question.text
        help_text = question.help_text
        if question.kind == QuestionKind.SINGLE:
            return forms.TypedChoiceField(
                label=label,
                help_text=help_text,
                coerce=int,
                choices=[(c.pk, c.label) for c in question.choices.all()],
                widget=forms.RadioSelect,
            )
        if question.kind == QuestionKind.MULTIPLE:
            return forms.TypedMultipleChoiceField(
                label=label,
                help_text=help_text or _("Tick all that apply."),
                coerce=int,
                choices=[(c.pk, c.label) for c in question.choices.all()],
                widget=forms.CheckboxSelectMultiple,
            )
        if question.kind == QuestionKind.SCALE:
            return forms.TypedChoiceField(
                label=label,
                help_text=help_text,
                coerce=int,
                choices=[(point, SCALE_LABELS[point]) for point in range(SCALE_MIN, SCALE_MAX + 1)],
                widget=forms.RadioSelect,
            )
        if question.kind == QuestionKind.NUMBER:
            attrs = {"inputmode": "numeric"}
            if question.min_value is not None:
                attrs["min"] = question.min_value
            if question.max_value is not None:
                attrs["max"] = question.max_value
            return forms.IntegerField(label=label, help_text=help_text, widget=forms.NumberInput(attrs=attrs))
        return TextField(
            label=label,
            help_text=help_text or _("At most %(max)d characters.") % {"max": TEXT_ANSWER_MAX},
            # No maxlength on the box: a longer text reaches the service, which says how long it is.
            widget=forms.Textarea(attrs={"rows": 4}),
            strip=True,
        )

    def answers(self):
        """The answers in the API's shape, for the service."""
        answers = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            question = field.question
            if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                answers.append({"question": question.pk, "choices": value if isinstance(value, list) else [value]})
            elif question.kind == QuestionKind.TEXT:
                answers.append({"question": question.pk, "text": value})
            else:
                answers.append({"question": question.pk, "value": value})
        return answers


class HideAnswerForm(forms.Form):
    reason = forms.CharField(label=_("Why hide it"), max_length=HIDE_REASON_MAX)


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Check-in code"),
        max_length=6,
        min_length=6,
        help_text=_("The six digits shown at the activity."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{6}"}),
    )


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)],
        widget=forms.RadioSelect,
        help_text=_("1 poor, 5 excellent."),
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AttendanceForm(forms.Form):
    """The staff's check-in list: tick who came."""

    def __init__(self, people, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"] = forms.TypedMultipleChoiceField(
            label=_("Who came"),
            coerce=int,
            choices=[(signup.user_id, signup.user.name) for signup in people],
            widget=forms.CheckboxSelectMultiple,
        )
