"""The SMS-code login on the site (/accounts/login/sms/) and in the API (auth/sms-code/, auth/sms-login/)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from communities import services as community_services
from communities import signup_confirm
from communities.forms import ConsentField
from communities.models import Community
from communities.views import welcome_message
from core import throttling, tokens
from core.client_ip import client_ip
from core.languages import remember_language
from core.phones import PhoneField
from core.text import TextField, TextSerializerField, validate_display_name

from . import sms_login

SESSION_PHONE = signup_confirm.SESSION_PHONE
SESSION_SIGNUP = signup_confirm.SESSION_SIGNUP
BACKEND = "communities.backends.IdentifierBackend"


def _address(request):
    return client_ip(request)


def _language():
    return translation.get_language()


# The API
class SmsCodeRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20, help_text=gettext_lazy("Mainland China mobile number, 11 digits."))


class SmsCodeSentSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SmsLoginSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    code = serializers.CharField(max_length=12)
    community = serializers.PrimaryKeyRelatedField(
        queryset=Community.objects.all(),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Only to sign up a number nobody registered yet: the community you live in."),
        error_messages={
            "does_not_exist": gettext_lazy("No community has this id."),
            "incorrect_type": gettext_lazy("Give the community's id as a number."),
        },
    )
    display_name = TextSerializerField(
        max_length=50,
        required=False,
        allow_blank=True,
        validators=[validate_display_name],
        help_text=gettext_lazy("Only to sign up: your name as others see it."),
    )
    accept_terms = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy(
            "Only to sign up a new number here: true when the person accepts the terms of use and the privacy notice."
        ),
    )


class SmsTokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    created = serializers.BooleanField(help_text=gettext_lazy("True when this login signed a new resident up."))


def _api_call(call):
    try:
        return call()
    except sms_login.Throttled as exc:
        raise throttling.TooManyRequests(exc.message, exc.wait) from exc


class SmsEndpoint(APIView):
    # No session or token is read: logging in again must work whatever the client holds.
    authentication_classes = []
    permission_classes = [AllowAny]
    # The per-number and per-address limits of sms_login apply instead of the generic ones.
    throttle_classes = []


def code_sent_message():
    return _("If this number can receive SMS, a six-digit code is on its way. It is valid for 5 minutes.")


class SmsCodeView(SmsEndpoint):
    @extend_schema(
        summary="Send a login code by SMS",
        request=SmsCodeRequestSerializer,
        responses={
            202: SmsCodeSentSerializer,
            400: OpenApiResponse(description="Not a mobile number."),
            429: OpenApiResponse(description="A code went to this number less than 60 s ago, or too many requests."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = SmsCodeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        _api_call(
            lambda: sms_login.code_request(
                phone=serializer.validated_data["phone"], address=_address(request), language=_language()
            )
        )
        return Response({"detail": code_sent_message()}, status=status.HTTP_202_ACCEPTED)


class SmsLoginView(SmsEndpoint):
    @extend_schema(
        summary="Log in (or sign up) with the code, and get an API token",
        request=SmsLoginSerializer,
        responses={
            200: SmsTokenSerializer,
            400: OpenApiResponse(description="A wrong or expired code, or a new number without its community."),
            429: OpenApiResponse(description="The sixth try of a code, or too many tries."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = SmsLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = _api_call(
            lambda: sms_login.sms_login(
                phone=data["phone"],
                code=data["code"],
                address=_address(request),
                community=data.get("community"),
                display_name=data.get("display_name", ""),
                language=_language(),
                accept_terms=data.get("accept_terms", False),
            )
        )
        return Response({"token": tokens.issue(result.user), "created": result.created})


# The page
def _communities():
    groups = {}
    for community in (
        Community.objects.select_related("street__district")
        .order_by("street__district__ring", "street__district__name", "street__name", "name")
        .only("pk", "name", "street__name", "street__district__name")
    ):
        groups.setdefault(f"{community.street.district.name} · {community.street.name}", []).append(
            (community.pk, community.name)
        )
    return list(groups.items())


class PhoneForm(forms.Form):
    phone = PhoneField(
        label=gettext_lazy("Mobile phone number"),
        help_text=gettext_lazy("11 digits. We send a six-digit code to it."),
        widget=forms.TextInput(attrs={"autocomplete": "tel-national", "inputmode": "tel"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the SMS"),
        max_length=12,
        help_text=gettext_lazy("Six digits, valid for 5 minutes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*", "class": "code-input"}
        ),
    )
    community = forms.TypedChoiceField(
        label=gettext_lazy("Your community"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("Its staff will verify that you live there."),
    )
    display_name = TextField(
        label=gettext_lazy("Your name"),
        max_length=50,
        required=False,
        validators=[validate_display_name],
        help_text=gettext_lazy("How other residents and staff see you."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    accept_terms = ConsentField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", _("Choose your community")), *_communities()]

    def clean_community(self):
        community_id = self.cleaned_data.get("community")
        return Community.objects.filter(pk=community_id).first() if community_id else None


def _safe_next(request, candidate):
    if candidate and url_has_allowed_host_and_scheme(
        candidate, {request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _masked(phone):
    return f"{phone[:3]}****{phone[-4:]}" if phone else ""


def _add_errors(form, error):
    for field, reasons in error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]:
        form.add_error(field if field in form.fields else None, reasons)


def sms_login_page(request):
    """Step 1 asks for the number; step 2 for the code (and, for a new number, the community)."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if request.GET.get("restart"):
        request.session.pop(SESSION_PHONE, None)
        request.session.pop(SESSION_SIGNUP, None)
    phone = request.session.get(SESSION_PHONE)
    action = request.POST.get("action") if request.method == "POST" else None
    phone_form, code_form, status_code, notice, alert = PhoneForm(), CodeForm(), 200, "", ""

    if action == "send":
        phone_form = PhoneForm(request.POST)
        if phone_form.is_valid():
            try:
                sms_login.code_request(
                    phone=phone_form.cleaned_data["phone"], address=_address(request), language=_language()
                )
            except ValidationError as error:
                _add_errors(phone_form, error)
                status_code = 400
            except sms_login.Throttled as throttled:
                phone_form.add_error(None, throttled.message)
                status_code = 429
            else:
                request.session[SESSION_PHONE] = sms_login.clean_phone(phone_form.cleaned_data["phone"])
                request.session.pop(SESSION_SIGNUP, None)
                target = reverse("sms-login") + (f"?next={next_url}" if next_url else "")
                return redirect(target)
        else:
            status_code = 400
    elif action == "resend" and phone:
        signing_up = bool(request.session.get(SESSION_SIGNUP))
        try:
            record = sms_login.code_request(
                phone=phone,
                address=_address(request),
                language=_language(),
                purpose="signup" if signing_up else "login",
            )
            if signing_up:
                # This session held the sign-up: the new code finishes it instead of the old one.
                community_services.signup_rebind(phone, record.pk)
        except sms_login.Throttled as throttled:
            alert = throttled.message
            status_code = 429
        else:
            notice = code_sent_message()
    elif action == "login" and phone:
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            data = code_form.cleaned_data
            try:
                result = sms_login.sms_login(
                    phone=phone,
                    code=data["code"],
                    address=_address(request),
                    community=data.get("community"),
                    display_name=data.get("display_name", ""),
                    language=_language(),
                    accept_terms=data.get("accept_terms", False),
                )
            except ValidationError as error:
                _add_errors(code_form, error)
                status_code = 400
            except sms_login.Throttled as throttled:
                code_form.add_error(None, throttled.message)
                status_code = 429
            else:
                request.session.pop(SESSION_PHONE, None)
                request.session.pop(SESSION_SIGNUP, None)
                login(request, result.user, backend=BACKEND)
                if result.created:
                    messages.success(request, welcome_message(result.user))
                response = redirect(next_url or (reverse("profile") if result.created else settings.LOGIN_REDIRECT_URL))
                return remember_language(response, result.user.preferred_language)
        else:
            status_code = 400
    elif action is not None:
        # A code step without a number in the session (it expired): start again.
        phone_form.add_error("phone", _("Enter your number again to get a new code."))
        status_code = 400
        phone = None

    # Community, name and consent are asked only of a new number, once its code proved it new
    # (asking before would tell anyone typing a number whether it is registered).
    signup_fields = ("community", "display_name", "accept_terms")
    new_number = action == "login" and any(field in code_form.errors for field in signup_fields)
    context = {
        "step": "code" if phone else "phone",
        "confirming_signup": bool(phone and request.session.get(SESSION_SIGNUP)),
        "new_number": new_number,
        "resend_wait": sms_login.resend_wait(phone) if phone else 0,
        "phone_form": phone_form,
        "code_form": code_form,
        "masked_phone": _masked(phone),
        "next": next_url,
        "notice": notice,
        "alert": alert,
    }
    return render(request, "registration/sms_login.html", context, status=status_code)
