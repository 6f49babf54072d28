"""A resident's copy of their data and the deletion of their account: on the profile page
(/accounts/profile/export/, /accounts/profile/delete/) and in the API (GET me/export/,
POST me/delete/). The work is civic.personal_data's."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import throttling
from core.client_ip import client_ip
from core.errors import add_refusal

from . import personal_data, sms_login


def _filename(user):
    return f"civic-my-data-{user.pk}-{timezone.localdate().isoformat()}.json"


@login_required
def export_page(request):
    """The whole export as a JSON file to save."""
    data = personal_data.export_for(request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(request.user)}"'
    response["Cache-Control"] = "no-store"
    return response


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand: my contact data and login are erased now and cannot be restored."),
        error_messages={"required": gettext_lazy("Tick the box to confirm that you want to delete your account.")},
    )
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Code from the SMS"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.by_password = user.has_usable_password()
        if self.by_password:
            del self.fields["code"]
            self.fields["password"].required = True
        else:
            del self.fields["password"]
            self.fields["code"].required = True


def recheck(user, *, password=None, code=None, address=None):
    """The person proves it is them once more: their password, or a code sent to their phone."""
    if user.has_usable_password():
        if not password or not user.check_password(password):
            raise ValidationError({"password": _("This is not your password.")})
        return
    if not user.phone:
        raise ValidationError(_("Your account has neither a password nor a phone number to confirm with."))
    sms_login.code_confirm(phone=user.phone, code=code, address=address)


@login_required
def delete_page(request):
    user = request.user
    refusal = personal_data.deletion_refusal(user)
    form = DeleteForm(user=user)
    status_code, notice = 200, ""
    if request.method == "POST" and refusal is None:
        action = request.POST.get("action")
        if action == "send-code" and user.phone and not user.has_usable_password():
            try:
                sms_login.code_request(phone=user.phone, address=client_ip(request), language=user.preferred_language)
            except sms_login.Throttled as throttled:
                form.add_error(None, throttled.message)
                status_code = 429
            else:
                notice = _("A code is on its way to your phone. It is valid for 5 minutes.")
        else:
            form = DeleteForm(request.POST, user=user)
            if form.is_valid():
                try:
                    recheck(
                        user,
                        password=form.cleaned_data.get("password"),
                        code=form.cleaned_data.get("code"),
                        address=client_ip(request),
                    )
                except ValidationError as error:
                    add_refusal(form, error)
                    status_code = 400
                except sms_login.Throttled as throttled:
                    form.add_error(None, throttled.message)
                    status_code = 429
                else:
                    personal_data.account_delete(user=user)
                    logout(request)
                    messages.success(
                        request,
                        _(
                            "Your account is deleted: your contact data and login are erased. What you "
                            "wrote in public records stays under the name “%(name)s”."
                        )
                        % {"name": _("Deleted user")},
                    )
                    return redirect("home")
            else:
                status_code = 400
    return render(
        request,
        "registration/account_delete.html",
        {"form": form, "refusal": refusal, "notice": notice},
        status=403 if refusal else status_code,
    )


# The API
class DeleteRequestSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(help_text=gettext_lazy("Must be true: the deletion cannot be undone."))
    password = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, style={"input_type": "password"}
    )
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=12,
        help_text=gettext_lazy("For an account without a password: a code from auth/sms-code/ to its own number."),
    )

    def validate_confirm(self, value):
        if not value:
            raise serializers.ValidationError(_("Confirm with true: the deletion cannot be undone."))
        return value


class DeletedSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A copy of everything Civic keeps about the logged-in person (JSON)",
        responses={
            200: OpenApiResponse(
                description="Profile, consent, residencies, posts, topics, comments, "
                "supports, objections, ratings, non-anonymous survey answers, "
                "activity sign-ups and notices."
            )
        },
    )
    def get(self, request):
        response = Response(personal_data.export_for(request.user))
        response["Cache-Control"] = "no-store"
        return response


class DeleteView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Delete one's own account: contact data and login are erased at once",
        request=DeleteRequestSerializer,
        responses={
            200: DeletedSerializer,
            400: OpenApiResponse(description="Not confirmed, or a wrong password or code."),
            403: OpenApiResponse(description="A superuser's account is not closed this way."),
            429: OpenApiResponse(description="Too many tries of a code."),
        },
    )
    def post(self, request):
        serializer = DeleteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refusal = personal_data.deletion_refusal(request.user)
        if refusal:
            raise exceptions.PermissionDenied(refusal)
        data = serializer.validated_data
        try:
            recheck(request.user, password=data.get("password"), code=data.get("code"), address=client_ip(request))
        except ValidationError as error:
            detail = error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
            raise exceptions.ValidationError(detail) from error
        except sms_login.Throttled as throttled:
            raise throttling.TooManyRequests(throttled.message, throttled.wait) from throttled
        personal_data.account_delete(user=request.user)
        return Response({"detail": _("The account is deleted: its contact data and login are erased.")})
