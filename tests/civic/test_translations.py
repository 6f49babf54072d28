"""The two catalogues: Chinese complete and compiled, English compiled, and pages in both."""

import ast
import gettext
import os
import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.urls import reverse
from django.utils import translation

from communities import services
from communities.models import BodyKind, Post, Stage, Typology
from tests import factories

LOCALE = settings.BASE_DIR / "locale"
CATALOGUES = {
    "zh_Hans": LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po",
    "en": LOCALE / "en" / "LC_MESSAGES" / "django.po",
}
IN_CI = bool(os.environ.get("CI"))
MSGFMT = shutil.which("msgfmt")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfi]|%[sdfi]|\{\w*\}|<[^>]+>")


def read_po(path):
    """The catalogue's entries as dicts (msgid, msgid_plural, msgstr or msgstr[n], flags)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, key = {"flags": set()}, None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            else:
                key, _space, literal = line.partition(" ")
                entry[key] = ast.literal_eval(literal)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def translations(entry):
    return [value for key, value in entry.items() if key.startswith("msgstr")]


def header(entries):
    text = next(e for e in entries if e["msgid"] == "")["msgstr"]
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


def messages(entries):
    return [e for e in entries if e["msgid"] and not e.get("obsolete")]


@pytest.fixture(scope="module")
def chinese():
    return read_po(CATALOGUES["zh_Hans"])


# --- The catalogues as files ---------------------------------------------------------------


def test_chinese_catalogue_header(chinese):
    fields = header(chinese)
    assert fields["Language"] == "zh_Hans"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    assert "fuzzy" not in chinese[0]["flags"]


def test_every_chinese_message_is_translated_and_none_is_fuzzy(chinese):
    entries = messages(chinese)
    assert len(entries) > 600  # the whole portal, not a fragment of it
    untranslated = [e["msgid"] for e in entries if not all(t.strip() for t in translations(e))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []
    assert not [e for e in chinese if e.get("obsolete")]


def test_chinese_plurals_have_one_form(chinese):
    plurals = [e for e in messages(chinese) if "msgid_plural" in e]
    assert plurals
    for entry in plurals:
        assert sorted(k for k in entry if k.startswith("msgstr")) == ["msgstr[0]"], entry["msgid"]


def test_chinese_keeps_every_placeholder_and_tag(chinese):
    for entry in messages(chinese):
        expected = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for text in translations(entry):
            assert sorted(PLACEHOLDER.findall(text)) == expected, entry["msgid"]


def test_english_catalogue_exists_with_english_plurals():
    entries = read_po(CATALOGUES["en"])
    fields = header(entries)
    assert fields["Language"] == "en"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    assert not [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    for entry in messages(entries):
        if "msgid_plural" in entry:
            assert entry["msgstr[0]"] in ("", entry["msgid"])
            assert entry["msgstr[1]"] in ("", entry["msgid_plural"])
    # Both catalogues come from the same sources.
    assert {e["msgid"] for e in messages(entries)} == {e["msgid"] for e in messages(read_po(CATALOGUES["zh_Hans"]))}


def expected_catalog(entries):
    """What msgfmt puts in the .mo: the header and every translated, non-fuzzy message."""
    catalog = {}
    for entry in entries:
        if "fuzzy" in entry["flags"] or entry.get("obsolete"):
            continue
        # gettext keys a message with a context (pgettext) as "context\x04message".
        msgid = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            forms = {int(k[7:-1]): v for k, v in entry.items() if k.startswith("msgstr[")}
            if all(forms.values()):
                catalog.update({(msgid, n): text for n, text in forms.items()})
        elif entry["msgstr"]:
            catalog[msgid] = entry["msgstr"]
    return catalog


def load_mo(path):
    with open(path, "rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


@pytest.mark.parametrize("language", CATALOGUES)
def test_compiled_catalogue_matches_its_po(language):
    po = CATALOGUES[language]
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run compilemessages"
    compiled = load_mo(mo)
    expected = expected_catalog(read_po(po))
    # Python keeps the header under "" too; compare the messages themselves.
    compiled.pop("", None)
    expected.pop("", None)
    assert compiled == expected, f"{mo} is older than {po.name}: run compilemessages"


@pytest.mark.parametrize("language", CATALOGUES)
def test_msgfmt_compiles_the_po_to_the_committed_mo(language, tmp_path):
    if MSGFMT is None:
        if IN_CI:
            pytest.fail("msgfmt (GNU gettext) is needed in CI to check the catalogues")
        pytest.skip("msgfmt (GNU gettext) is not installed")
    po = CATALOGUES[language]
    fresh = tmp_path / "django.mo"
    # --check-format is what compilemessages runs: placeholders must agree with the source.
    subprocess.run([MSGFMT, "--check-format", "--check-header", "-o", fresh, po], check=True, capture_output=True)
    assert load_mo(fresh) == load_mo(po.with_suffix(".mo"))


def test_django_serves_our_chinese_catalogue(chinese):
    """Every message comes out of Django's gettext as our catalogue says (it wins over Django's)."""
    with translation.override("zh-hans"):
        for entry in messages(chinese):
            context = entry.get("msgctxt")
            if "msgid_plural" in entry:
                for n in (1, 2, 5):
                    if context is None:
                        text = translation.ngettext(entry["msgid"], entry["msgid_plural"], n)
                    else:
                        text = translation.npgettext(context, entry["msgid"], entry["msgid_plural"], n)
                    assert text == entry["msgstr[0]"]
            elif context is None:
                assert translation.gettext(entry["msgid"]) == entry["msgstr"], entry["msgid"]
            else:
                assert translation.pgettext(context, entry["msgid"]) == entry["msgstr"], entry["msgid"]


def test_domain_terms_are_the_article_s():
    with translation.override("zh-hans"):
        assert [str(label) for _value, label in Typology.choices] == [
            "老旧社区",
            "单位社区",
            "商品房社区",
            "失地农民安置社区",
            "保障性住房社区",
            "商圈社区",
            "综合(功能)社区",
            "农村社区",
        ]
        assert [str(label) for _value, label in Stage.choices] == ["农村社区", "涉农社区", "城市社区"]
        assert str(BodyKind.PARTY_ORGANISATION.label) == "社区(村)党组织"
        assert str(BodyKind.RESIDENTS_COMMITTEE.label) == "居(村)民委员会"
        assert str(BodyKind.SUPERVISORY_COMMITTEE.label) == "监督委员会"
        assert str(BodyKind.SERVICE_CENTRE.label) == "便民服务中心"
        assert "议事会" in str(BodyKind.DELIBERATION_COUNCIL.label)
        steps = ["Collect", "Review", "Resolve", "Publicize", "Implement", "Evaluate", "Archive"]
        assert [translation.gettext(step) for step in steps] == [
            "收集",
            "审查",
            "决议",
            "公示",
            "执行(监督)",
            "测评",
            "归档",
        ]


# --- Django's own messages that residents meet ------------------------------------------------


def test_password_validators_speak_chinese_and_english():
    assert "civic.validators.MinimumLengthValidator" in [v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS]
    cases = {
        "zh-hans": {
            "pw": "密码太短，至少需要 8 个字符。",
            "common": "这个密码太常见了。",
            "numeric": "密码只包含数字。",
        },
        "en": {
            "pw": "This password is too short. It must contain at least 8 characters.",
            "common": "This password is too common.",
            "numeric": "This password is entirely numeric.",
        },
    }
    for language, expected in cases.items():
        with translation.override(language):
            for password, key in (("pw", "pw"), ("password", "common"), ("52836190417", "numeric")):
                with pytest.raises(password_validation.ValidationError) as raised:
                    password_validation.validate_password(password)
                assert expected[key] in raised.value.messages
            help_text = str(password_validation.password_validators_help_text_html())
            assert ("密码至少需要 8 个字符" if language == "zh-hans" else "at least 8 characters") in help_text


@pytest.mark.django_db
def test_sign_up_errors_are_chinese_by_default(client):
    community = factories.CommunityFactory()
    form = {"display_name": "", "phone": "13912345678", "community": community.pk}
    response = client.post(reverse("signup"), {**form, "password1": "short", "password2": "short"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "该字段是必填项。" in page  # Django's own "This field is required."
    assert "密码太短，至少需要 8 个字符。" in page
    assert "This password is too short" not in page and "This field is required" not in page


# --- Pages and the API in both languages -----------------------------------------------------


@pytest.fixture
def directory(db):
    community = factories.CommunityFactory(typology=Typology.WORK_UNIT, stage=Stage.PERI_URBAN)
    factories.CommunityFactory(typology=Typology.RESETTLEMENT, stage=Stage.RURAL, street=community.street)
    body = factories.BodyFactory(community=community, kind=BodyKind.PARTY_ORGANISATION, name="党委")
    member = factories.UserFactory(display_name="李书记")
    services.membership_add(actor=factories.superuser(), body=body, user=member, post=Post.SECRETARY)
    return community


@pytest.mark.django_db
def test_home_page_in_chinese_by_default_and_english_on_request(client):
    page = client.get(reverse("home")).content.decode()
    for text in ("收集", "审查", "决议", "公示", "执行(监督)", "测评", "归档", "社区", "七步议事法"):
        assert text in page
    assert "The seven-step deliberation method" not in page
    english = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The seven-step deliberation method" in english and "Collect" in english
    assert "查找您的社区" not in english and "Find your community" in english


def test_directory_shows_chinese_typologies_and_stages(client, directory):
    page = client.get(reverse("community-list")).content.decode()
    for text in ("社区名录", "单位社区", "失地农民安置社区", "涉农社区", "农村社区"):
        assert text in page
    assert "Work-unit compound" not in page
    english = client.get(reverse("community-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Work-unit compound" in english and "Agriculture-related community" in english
    assert "单位社区" not in english


def test_community_page_names_bodies_and_posts_in_chinese(client, directory):
    page = client.get(directory.get_absolute_url()).content.decode()
    for text in ("组织与任职人员", "社区(村)党组织", "书记", "李书记", "单位社区"):
        assert text in page
    english = client.get(directory.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Party organisation" in english and "Secretary" in english


@pytest.mark.django_db
def test_typologies_api_is_chinese_by_default_and_english_on_request(api_client):
    chinese = api_client.get("/api/v1/typologies/").json()["results"]
    assert {item["slug"]: item["label"] for item in chinese} == {
        "old_neighbourhood": "老旧社区",
        "work_unit": "单位社区",
        "commercial_housing": "商品房社区",
        "resettlement": "失地农民安置社区",
        "affordable_housing": "保障性住房社区",
        "business_district": "商圈社区",
        "mixed_function": "综合(功能)社区",
        "rural": "农村社区",
    }
    english = api_client.get("/api/v1/typologies/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert english[0] == {"slug": "old_neighbourhood", "label": "Old neighbourhood"}
    assert english[-1] == {"slug": "rural", "label": "Rural community"}


@pytest.mark.django_db
def test_api_errors_are_chinese_by_default(api_client):
    response = api_client.get("/api/v1/communities/", {"typology": "castle"})
    assert response.status_code == 400
    assert "未知的社区类型：castle。" in str(response.json())
    response = api_client.post("/api/v1/auth/token/", {"username": "nobody", "password": "wrong-password"})
    assert response.status_code == 400
    assert "无法登录" in response.json()["detail"]
    english = api_client.get("/api/v1/communities/", {"typology": "castle"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Unknown typology: castle." in str(english.json())
