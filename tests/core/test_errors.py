"""core.errors: one translation of a service's refusal for each surface (page, admin, API)."""

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from core.errors import Conflict, add_refusal, refusal_detail, refusal_messages, refusal_status, refusal_text
from core.uploads import TooLarge


class NoteForm(forms.Form):
    note = forms.CharField()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Conflict("The gallery is full."), 409),
        (PermissionDenied("Only staff."), 403),
        (ValidationError({"note": "Too long."}), 400),
        (ValidationError("Enter text."), 400),
        (TooLarge({"attachment": "The file is too large."}), 413),
    ],
)
def test_each_refusal_answers_its_status(error, status):
    assert refusal_status(error) == status


def test_a_refusal_lands_beside_the_field_it_names_and_the_rest_on_top():
    form = NoteForm({"note": "hello"})
    assert form.is_valid()
    add_refusal(form, ValidationError({"note": "Too long.", "parent": "No such comment.", "__all__": "Not now."}))
    assert form.errors["note"] == ["Too long."]
    # The form has no `parent` field: its message goes on top, with the form-wide one.
    assert form.non_field_errors() == ["No such comment.", "Not now."]


def test_a_conflict_lands_on_top_with_its_blockers():
    form = NoteForm({"note": "hello"})
    assert form.is_valid()
    add_refusal(form, Conflict("The topic cannot move yet.", ["No vote is recorded."]))
    assert form.non_field_errors() == ["The topic cannot move yet.", "No vote is recorded."]


def test_one_sentence_for_a_message_box():
    assert refusal_text(Conflict("Cannot move.", ["No vote."])) == "Cannot move. No vote."
    with translation.override("en"):
        assert refusal_text(PermissionDenied()) == "You are not allowed to do this."
    assert refusal_messages(ValidationError({"note": ["A.", "B."]})) == {"note": ["A.", "B."]}


def test_the_api_body_keeps_field_names_or_says_detail():
    assert refusal_detail(ValidationError({"note": ["A.", "B."]})) == {"note": ["A.", "B."]}
    assert refusal_detail(ValidationError(["A.", "B."])) == {"detail": "A. B."}
