"""Shapes of the communities API: what goes out, and the input each write accepts.

Serializers here only parse and present; every write is a call into services.
"""

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.phones import normalise_phone
from core.text import TextSerializerField, validate_display_name

from .models import Community, Language, Residency, Stage, Typology
from .permissions import can, roles_for

User = get_user_model()


class ChoiceSerializer(serializers.Serializer):
    """One entry of a fixed vocabulary: its slug and its label in the request's language."""

    slug = serializers.CharField()
    label = serializers.CharField()


# Auth


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(help_text=_("Username, phone number or e-mail address."))
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs):
        # None when the credentials are wrong; the view answers that with a `detail` message.
        attrs["user"] = authenticate(
            self.context.get("request"), username=attrs["username"], password=attrs["password"]
        )
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeSerializer(serializers.Serializer):
    """The logged-in person: who they are, what roles they hold, where they live."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    email = serializers.EmailField(allow_blank=True)
    preferred_language = serializers.ChoiceField(choices=Language.choices)
    sms_opt_out = serializers.BooleanField()
    email_opt_in = serializers.BooleanField()
    roles = serializers.SerializerMethodField()
    community = serializers.SerializerMethodField(help_text=_("The community the person is a verified resident of."))
    residency_status = serializers.SerializerMethodField(
        help_text=_("`verified`, `pending` (waiting for the community's staff) or null.")
    )
    pending_community = serializers.SerializerMethodField(
        help_text=_("The community the person asked to join and that has not decided yet.")
    )
    staff_of = serializers.SerializerMethodField(help_text=_("Communities the person runs as committee staff."))
    council_of = serializers.SerializerMethodField(help_text=_("Communities whose deliberation council they sit on."))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, user):
        return roles_for(user).names

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_community(self, user):
        return roles_for(user).resident_of

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_residency_status(self, user):
        roles = roles_for(user)
        if roles.resident_of:
            return Residency.Status.VERIFIED.value
        if roles.pending_in:
            return Residency.Status.PENDING.value
        return None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_pending_community(self, user):
        return roles_for(user).pending_in

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_staff_of(self, user):
        return sorted(roles_for(user).staff_of)

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_council_of(self, user):
        return sorted(roles_for(user).council_of)


class SignUpStartedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    confirm_with = serializers.ChoiceField(
        choices=["sms", "email"],
        help_text=_(
            "`sms`: send the code from the SMS to auth/sms-login/ to finish; `email`: follow the link in the mail."
        ),
    )


class ProfileUpdateSerializer(serializers.Serializer):
    """Contact preferences; fields left out keep their value."""

    display_name = TextSerializerField(
        max_length=50, allow_blank=True, required=False, validators=[validate_display_name]
    )
    preferred_language = serializers.ChoiceField(choices=Language.choices, required=False)
    sms_opt_out = serializers.BooleanField(required=False)
    email_opt_in = serializers.BooleanField(required=False)
    email = serializers.EmailField(allow_blank=True, required=False)


class SignUpSerializer(serializers.Serializer):
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    community = serializers.PrimaryKeyRelatedField(
        queryset=Community.objects.all(),
        error_messages={
            "does_not_exist": _("No community has this id."),
            "incorrect_type": _("Give the community's id as a number."),
        },
    )
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    display_name = TextSerializerField(
        max_length=50, required=False, allow_blank=True, validators=[validate_display_name]
    )
    preferred_language = serializers.ChoiceField(choices=Language.choices, required=False)
    accept_terms = serializers.BooleanField(
        help_text=_("Must be true: the person accepts the terms of use (/terms/) and the privacy notice (/privacy/)."),
        error_messages={"required": _("To sign up, accept the terms of use and the privacy notice.")},
    )

    def validate_accept_terms(self, value):
        if not value:
            raise serializers.ValidationError(_("To sign up, accept the terms of use and the privacy notice."))
        return value

    def validate(self, attrs):
        if not normalise_phone(attrs.get("phone")) and not attrs.get("email", "").strip():
            raise serializers.ValidationError({"phone": _("Give a phone number or an e-mail address.")})
        # Checked against the would-be user so that a password like the phone number fails.
        candidate = User(
            username=normalise_phone(attrs.get("phone")) or attrs.get("email", ""),
            phone=normalise_phone(attrs.get("phone")),
            email=attrs.get("email", ""),
            display_name=attrs.get("display_name", ""),
        )
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


# Places


class CommunitySerializer(serializers.ModelSerializer):
    street_name = serializers.CharField(source="street.name", read_only=True)
    district = serializers.IntegerField(source="street.district_id", read_only=True)
    district_name = serializers.CharField(source="street.district.name", read_only=True)
    typology = serializers.ChoiceField(choices=Typology.choices, read_only=True)
    typology_label = serializers.CharField(source="get_typology_display", read_only=True)
    stage = serializers.ChoiceField(choices=Stage.choices, read_only=True)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)

    class Meta:
        model = Community
        fields = [
            "id",
            "name",
            "code",
            "typology",
            "typology_label",
            "stage",
            "stage_label",
            "street",
            "street_name",
            "district",
            "district_name",
        ]
        read_only_fields = fields


class MemberSerializer(serializers.Serializer):
    name = serializers.CharField(source="user.name")
    post = serializers.CharField()
    post_label = serializers.CharField(source="get_post_display")
    term_start = serializers.DateField()
    term_end = serializers.DateField(allow_null=True)


class BodySerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    name = serializers.CharField()
    members = MemberSerializer(source="current_members", many=True, help_text=_("Current post-holders only."))


class CommunityDetailSerializer(CommunitySerializer):
    # The view attaches `current_bodies` from selectors.community_bodies (a fixed number of queries).
    bodies = BodySerializer(source="current_bodies", many=True, read_only=True)

    class Meta(CommunitySerializer.Meta):
        fields = CommunitySerializer.Meta.fields + ["households", "population", "address", "bodies"]
        read_only_fields = fields


# Residents


class ResidencySerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    user_name = serializers.CharField(source="user.name", read_only=True)
    user_phone = serializers.SerializerMethodField(
        help_text=_("Only while the residency is pending or verified, for its community's staff; otherwise null.")
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Residency
        fields = [
            "id",
            "community",
            "community_name",
            "user",
            "user_name",
            "user_phone",
            "status",
            "status_label",
            "requested_at",
            "decided_at",
            "decision_note",
            "ended_at",
            "end_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_user_phone(self, residency):
        request = self.context.get("request")
        if request is None or not can(request.user, "residency.contact", residency):
            return None
        return residency.user.phone


class ResidencyRequestSerializer(serializers.Serializer):
    community = serializers.PrimaryKeyRelatedField(
        queryset=Community.objects.all(),
        error_messages={
            "does_not_exist": _("No community has this id."),
            "incorrect_type": _("Give the community's id as a number."),
        },
    )


class ResidencyDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
