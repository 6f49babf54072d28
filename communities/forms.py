"""Forms of the resident-facing pages: they parse and validate input, the services decide."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.phones import PhoneField
from core.text import TextField, validate_display_name

from .models import Community, District, Language, Stage, Street, Typology, phone_validator

User = get_user_model()

ANY = ("", _("Any"))


def _street_choices():
    """Streets grouped under their district, in one query."""
    groups = {}
    for street in Street.objects.select_related("district").order_by("district__ring", "district__name", "name"):
        groups.setdefault(street.district.name, []).append((street.pk, street.name))
    return list(groups.items())


def _community_choices():
    """Communities grouped under "district · street", in one query."""
    groups = {}
    communities = Community.objects.select_related("street__district").order_by(
        "street__district__ring", "street__district__name", "street__name", "name"
    )
    for community in communities.only("pk", "name", "street__name", "street__district__name"):
        label = f"{community.street.district.name} · {community.street.name}"
        groups.setdefault(label, []).append((community.pk, community.name))
    return list(groups.items())


class DirectoryFilterForm(forms.Form):
    """The directory's filters. Every value must be one the directory offers."""

    search = forms.CharField(label=_("Search"), max_length=60, required=False, widget=forms.SearchInput)
    typology = forms.ChoiceField(label=_("Typology"), choices=[ANY, *Typology.choices], required=False)
    stage = forms.ChoiceField(label=_("Development stage"), choices=[ANY, *Stage.choices], required=False)
    district = forms.TypedChoiceField(label=_("District"), coerce=int, required=False, empty_value=None)
    street = forms.TypedChoiceField(label=_("Street or town"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["search"].widget.attrs["placeholder"] = _("Name, code or address")
        districts = list(District.objects.order_by("ring", "name").values_list("pk", "name"))
        self.fields["district"].choices = [ANY, *districts]
        # Every street is a valid value (clean() says when it is not in the district chosen); the
        # list shown holds the chosen district's only. directory.js narrows it live, from
        # `street_groups`, when the district changes.
        streets = Street.objects.order_by("district__ring", "district__name", "name").values_list(
            "pk", "name", "district_id"
        )
        self.street_groups = {pk: [] for pk, _name in districts}
        for pk, name, district_id in streets:
            self.street_groups.setdefault(district_id, []).append((pk, name))
        names = dict(districts)
        grouped = [(names.get(district_id, ""), group) for district_id, group in self.street_groups.items() if group]
        self.fields["street"].choices = [ANY, *grouped]
        chosen = self._chosen_district()
        if chosen is not None:
            self.fields["street"].widget.choices = [ANY, *self.street_groups.get(chosen, [])]
        self.fields["street"].widget.attrs["data-narrowed-by"] = self["district"].auto_id

    def _chosen_district(self):
        try:
            value = int(self.data.get(self.add_prefix("district")) or "")
        except (TypeError, ValueError):
            return None
        return value if value in self.street_groups else None

    def clean(self):
        data = super().clean()
        district, street = data.get("district"), data.get("street")
        if district and street and street not in {pk for pk, _name in self.street_groups.get(district, [])}:
            self.add_error(
                "street", _("That street or town is not in the district chosen: choose one of its streets, or any.")
            )
        return data

    def street_choices_json(self):
        """{district id: [[street id, name], ...]} for directory.js."""
        return {str(district): [list(street) for street in group] for district, group in self.street_groups.items()}

    def selector_kwargs(self):
        data = self.cleaned_data
        return {
            "typology": data.get("typology") or None,
            "stage": data.get("stage") or None,
            "district": data.get("district"),
            "street": data.get("street"),
            "search": data.get("search") or None,
        }


class ConsentField(forms.BooleanField):
    """The terms of use and the privacy notice, accepted (PIPL); the template links both texts."""

    def __init__(self, **kwargs):
        # The template words the box with links to both texts; this label names it in error summaries.
        kwargs.setdefault("label", _("Terms of use and privacy notice"))
        kwargs.setdefault(
            "error_messages", {"required": _("To sign up, accept the terms of use and the privacy notice.")}
        )
        super().__init__(**kwargs)


class SignUpForm(forms.Form):
    display_name = TextField(
        label=_("Display name"),
        max_length=50,
        help_text=_("How other residents and staff see you."),
        validators=[validate_display_name],
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    phone = PhoneField(
        label=_("Mobile phone number"),
        required=False,
        validators=[phone_validator],
        help_text=_("11 digits. Give a phone number, an e-mail address or both."),
        widget=forms.TextInput(attrs={"autocomplete": "tel-national", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    community = forms.TypedChoiceField(
        label=_("Your community"),
        coerce=int,
        help_text=_("Staff of this community will verify that you live there."),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_terms = ConsentField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", _("Choose your community")), *_community_choices()]

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean_community(self):
        community = Community.objects.filter(pk=self.cleaned_data["community"]).first()
        if community is None:
            raise ValidationError(_("This community does not exist."), code="invalid_choice")
        return community

    def clean(self):
        data = super().clean()
        if not data.get("phone") and not data.get("email") and "phone" not in self.errors:
            self.add_error("phone", _("Give a phone number or an e-mail address."))
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2:
            if password1 != password2:
                self.add_error("password2", _("The two passwords differ."))
            else:
                candidate = User(
                    username=data.get("phone") or data.get("email") or "",
                    display_name=data.get("display_name", ""),
                    email=data.get("email") or "",
                    phone=data.get("phone"),
                )
                try:
                    password_validation.validate_password(password1, candidate)
                except ValidationError as error:
                    self.add_error("password1", error)
        return data


class LoginForm(AuthenticationForm):
    """Django's login form; the backend accepts a username, a phone number or an e-mail."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Username, phone or e-mail")
        self.fields["username"].max_length = 254
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "maxlength": 254})


class ProfileForm(forms.Form):
    display_name = TextField(label=_("Display name"), max_length=50, validators=[validate_display_name])
    email = forms.EmailField(label=_("E-mail address"), required=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=Language.choices)
    sms_opt_out = forms.BooleanField(
        label=_("No SMS notices"),
        required=False,
        help_text=_("Meeting notices still reach you in the portal."),
    )
    email_opt_in = forms.BooleanField(
        label=_("Send me notices by e-mail"),
        required=False,
        help_text=_("Needs an e-mail address."),
    )

    @classmethod
    def for_user(cls, user, data=None):
        initial = {
            "display_name": user.display_name,
            "email": user.email,
            "preferred_language": user.preferred_language,
            "sms_opt_out": user.sms_opt_out,
            "email_opt_in": user.email_opt_in,
        }
        return cls(data=data, initial=initial)

    def clean(self):
        data = super().clean()
        if data.get("email_opt_in") and not data.get("email") and "email" not in self.errors:
            self.add_error("email_opt_in", _("Add an e-mail address to receive notices by e-mail."))
        return data


def add_service_errors(form, error):
    """Put a service's ValidationError onto the form's fields (or the form when it names none)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
