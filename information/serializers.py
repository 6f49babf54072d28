"""Shapes of the information API: what goes out, and what staff send to publish.

Serializers only parse and present; every write is a call into information.services.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communities.models import Community, District, Street
from core.text import TextSerializerField

from .models import Announcement, AnnouncementState, Attachment, BodyFormat, Category, Service, ServiceCategory


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "url"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_url(self, attachment):
        request = self.context.get("request")
        path = attachment.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class AreaSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["community", "street", "district"])
    id = serializers.IntegerField()
    name = serializers.CharField()


class AnnouncementSerializer(serializers.ModelSerializer):
    """An announcement as readers see it. `body` is the text as safe HTML."""

    body = serializers.CharField(source="body_html", help_text=_("The text as sanitised HTML, ready to show."))
    category_label = serializers.CharField(source="get_category_display")
    published_at = serializers.DateTimeField(source="publish_at")
    area = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True)
    read_count = serializers.SerializerMethodField(
        help_text=_("How many people opened it: for those who may publish to its area or oversee it; null for others.")
    )

    class Meta:
        model = Announcement
        fields = [
            "id",
            "title",
            "body",
            "category",
            "category_label",
            "published_at",
            "expires_at",
            "pinned",
            "area",
            "attachments",
            "read_count",
        ]
        read_only_fields = fields

    @extend_schema_field(AreaSerializer)
    def get_area(self, announcement):
        area = announcement.area
        return {"kind": announcement.area_kind, "id": area.pk, "name": area.name}

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_read_count(self, announcement):
        counts = self.context.get("read_counts")
        if counts is None or announcement.pk not in counts.get("allowed", ()):
            return None
        return counts["counts"].get(announcement.pk, 0)


class AnnouncementDetailSerializer(AnnouncementSerializer):
    """Adds the text as written, for those editing it in an app."""

    body_source = serializers.CharField(source="body")
    body_format = serializers.ChoiceField(choices=BodyFormat.choices)
    state = serializers.SerializerMethodField()

    class Meta(AnnouncementSerializer.Meta):
        fields = AnnouncementSerializer.Meta.fields + ["body_source", "body_format", "state"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=AnnouncementState.choices))
    def get_state(self, announcement):
        return announcement.state()


_ID_ERRORS = {"incorrect_type": _("Give an id as a number.")}


class AnnouncementWriteSerializer(serializers.Serializer):
    """Publish or change an announcement (JSON, or multipart with `attachments` files).

    `body` is the text as written, in `body_format`: Markdown or a limited HTML, sanitised.
    Address it to exactly one `community`, `street` or `district` when publishing.
    """

    title = TextSerializerField(max_length=120)
    body = TextSerializerField()
    body_format = serializers.ChoiceField(choices=BodyFormat.choices, default=BodyFormat.MARKDOWN)
    category = serializers.ChoiceField(choices=Category.choices, default=Category.NOTICE)
    pinned = serializers.BooleanField(default=False)
    published_at = serializers.DateTimeField(required=False, allow_null=True, help_text=_("Default: now."))
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    community = serializers.PrimaryKeyRelatedField(
        queryset=Community.objects.select_related("street"),
        required=False,
        error_messages={**_ID_ERRORS, "does_not_exist": _("No community has this id.")},
    )
    street = serializers.PrimaryKeyRelatedField(
        queryset=Street.objects.all(),
        required=False,
        error_messages={**_ID_ERRORS, "does_not_exist": _("No street or town has this id.")},
    )
    district = serializers.PrimaryKeyRelatedField(
        queryset=District.objects.all(),
        required=False,
        error_messages={**_ID_ERRORS, "does_not_exist": _("No district has this id.")},
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, help_text=_("Files to attach (multipart only).")
    )
    remove_attachments = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("Ids of attachments to remove (changes only).")
    )

    def validate(self, attrs):
        areas = [attrs[key] for key in ("community", "street", "district") if attrs.get(key) is not None]
        if self.partial:
            if areas:
                raise serializers.ValidationError({"community": _("An announcement's area cannot be changed.")})
            return attrs
        if len(areas) != 1:
            raise serializers.ValidationError(
                {"community": _("Address the announcement to exactly one community, street or town, or district.")}
            )
        attrs["area"] = areas[0]
        return attrs


class ServiceSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    provider_kind = serializers.CharField(source="provider.kind", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    category = serializers.ChoiceField(choices=ServiceCategory.choices, read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "category",
            "category_label",
            "description",
            "location",
            "hours",
            "how_to_apply",
            "contact",
            "free",
            "provider",
            "provider_name",
            "provider_kind",
            "community",
            "community_name",
            "updated_at",
        ]
        read_only_fields = fields
