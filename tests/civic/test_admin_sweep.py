"""The admin sweep: every add and change page that committee staff, an official and the
evaluator can open, in the demo's world, is submitted as it came, filled in plausibly, and with
one mistake at a time (a past date, an impossible time, 99999 in a number, one-character
text). None may answer 5xx.

The pages come from admin.site._registry, so a new admin is swept without touching this file.
The Django test client posts what a browser would post for the form as rendered (html.parser
reads the form), which keeps the sweep to seconds per role; seeding the demo is most of its cost.
"""

import datetime
import traceback
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from communities.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ROLES = ["staff", "official", "evaluator"]


class FormReader(HTMLParser):
    """The fields of the admin's change form (`<form id="..._form">`) as a browser submits them:
    [(name, value, kind)], where kind tells how the sweep may fill it or get it wrong."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.in_form = False
        self.fields = []
        self.select = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id") or "").endswith("_form"):
            self.in_form = True
        if not self.in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on"), kind))
                return
            classes = attrs.get("class") or ""
            if "vDateField" in classes or kind == "date":
                kind = "date"
            elif "vTimeField" in classes or kind == "time":
                kind = "time"
            elif kind == "number" or "vIntegerField" in classes:
                kind = "number"
            elif kind == "hidden":
                kind = "hidden"
            else:
                kind = "text"
            if "__prefix__" in name:
                return
            self.fields.append((name, attrs.get("value", ""), kind))
        elif tag == "select" and name and "__prefix__" not in name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "options": [], "selected": []}
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            self.select["options"].append(value)
            if "selected" in attrs:
                self.select["selected"].append(value)
        elif tag == "textarea" and name and "__prefix__" not in name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "select" and self.select is not None:
            select = self.select
            chosen = select["selected"] or ([] if select["multiple"] else select["options"][:1])
            for value in chosen:
                self.fields.append((select["name"], value, "multiselect" if select["multiple"] else "select"))
            if not chosen:
                options = [o for o in select["options"] if o]
                self.fields.append(
                    (select["name"], "", ("multiselect:" if select["multiple"] else "select:") + "|".join(options))
                )
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea[0], self.textarea[1].lstrip("\n"), "textarea"))
            self.textarea = None


def read_form(html):
    reader = FormReader()
    reader.feed(html)
    return reader.fields


def as_post(fields):
    data = {}
    for name, value, _kind in fields:
        data.setdefault(name, []).append(value)
    return data


PLAUSIBLE_TEXT = "社区楼道照明改造，居民反映晚上回家看不清台阶，希望尽快安排。"


def plausible(fields):
    """Empty boxes filled as a careful person would."""
    soon = datetime.date.today() + datetime.timedelta(days=10)
    filled = []
    for name, value, kind in fields:
        if value == "" and kind.startswith("select:"):
            options = kind.split(":", 1)[1].split("|")
            value = options[0] if options and options[0] else ""
            kind = "select"
        elif value == "" and kind.startswith("multiselect:"):
            options = kind.split(":", 1)[1].split("|")
            value = options[0] if options and options[0] else ""
            kind = "multiselect"
        elif value == "":
            lowered = name.lower()
            if kind == "date":
                value = soon.isoformat()
            elif kind == "time":
                value = "10:00:00"
            elif kind == "number":
                value = "3"
            elif kind == "textarea":
                value = PLAUSIBLE_TEXT
            elif kind == "text":
                if "phone" in lowered:
                    value = "13800138000"
                elif "email" in lowered:
                    value = "clerk@example.com"
                elif "code" in lowered:
                    value = "510107999"
                else:
                    value = "楼道照明改造"
        filled.append((name, value, kind))
    return filled


MISTAKES = {
    "date": ("a past date", "2001-01-01"),
    "time": ("an impossible time", "25:61"),
    "number": ("99999 in a number", "99999"),
    "text": ("one-character text", "x"),
    "textarea": ("one-character text", "x"),
}


def mistakes(fields):
    """One form per kind of mistake, each wrong in one field only."""
    done = set()
    for index, (name, _value, kind) in enumerate(fields):
        label = MISTAKES.get(kind)
        if (
            label is None
            or label[0] in done
            or name.endswith(("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"))
        ):
            continue
        done.add(label[0])
        wrong = list(fields)
        wrong[index] = (name, label[1], kind)
        yield f"{label[0]} ({name})", wrong


def pages_for(user):
    """(label, url) of every add page and one change page per admin the user may open."""
    request = RequestFactory().get("/admin/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        try:
            add_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        except NoReverseMatch:
            add_url = None
        if add_url and model_admin.has_add_permission(request):
            yield f"{opts.label} add", add_url
        if not model_admin.has_view_or_change_permission(request):
            continue
        queryset = model_admin.get_queryset(request).order_by("-pk")
        for obj in queryset[:3]:
            if model_admin.has_view_or_change_permission(request, obj):
                yield (
                    f"{opts.label} change #{obj.pk}",
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
                )
                break


def extra_pages(user):
    """The admin's own workspace pages that are no add or change page."""
    from surveys.models import EvaluationRound
    from surveys.selectors import rounds_for

    yield "admin index", reverse("admin:index")
    for evaluation_round in rounds_for(user).order_by("status")[:2]:
        yield (
            f"score sheet #{evaluation_round.pk}",
            reverse("admin:surveys_evaluationround_scores", args=[evaluation_round.pk]),
        )
    if user.has_perm("surveys.add_survey"):
        yield "survey launch", reverse("admin:surveys_survey_launch")
    assert EvaluationRound.objects.exists()


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=StringIO())


def test_no_admin_page_answers_5xx(demo, client):
    """One demo world (seeded once: it is most of the cost) swept as each role in turn."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    failures = []
    for role in ROLES:
        failures += sweep(client, role)
    assert not failures, f"{len(failures)} answers were 5xx:\n\n" + "\n\n".join(failures)


def sweep(client, role):
    user = User.objects.get(username=role)
    client.force_login(user)
    failures, visited, posted = [], 0, 0

    def hit(method, label, url, data=None):
        try:
            response = client.post(url, data) if method == "post" else client.get(url)
        except Exception:  # the sweep reports every crash with its traceback, then fails
            failures.append(f"{role}: {method.upper()} {url} [{label}]\n{traceback.format_exc(limit=-6)}")
            return None
        if response.status_code >= 500:
            failures.append(f"{role}: {method.upper()} {url} [{label}]: {response.status_code}")
        return response

    for label, url in extra_pages(user):
        visited += 1
        hit("get", label, url)
    for label, url in list(pages_for(user)):
        response = hit("get", label, url)
        visited += 1
        if response is None or response.status_code != 200:
            continue
        fields = read_form(response.content.decode())
        if not fields:
            continue
        csrf = [f for f in fields if f[0] == "csrfmiddlewaretoken"]
        shown = [f for f in fields if f[0] != "csrfmiddlewaretoken"]
        if not any(kind not in ("hidden",) for _n, _v, kind in shown):
            continue  # a read-only page: nothing to submit
        variants = [("as it came", shown), ("filled in plausibly", plausible(shown))]
        variants += list(mistakes(plausible(shown)))
        for variant, data in variants:
            posted += 1
            hit("post", f"{label}: {variant}", url, as_post(csrf + data))
    # Each role opens a good part of the admin and submits forms in it: the sweep sweeps.
    assert visited > 10, (role, visited)
    assert posted > 5, (role, posted)
    return failures
