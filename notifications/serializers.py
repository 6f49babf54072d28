from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .models import Delivery, Follow
from .registry import registry


class InboxItemSerializer(serializers.ModelSerializer):
    """One in-app notice, worded in the request's language."""

    kind = serializers.CharField(source="notice.kind", read_only=True)
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    meeting = serializers.SerializerMethodField()
    short_notice = serializers.BooleanField(source="notice.short_notice", read_only=True)
    created_at = serializers.DateTimeField(source="sent_at", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Delivery
        fields = ["id", "kind", "title", "body", "url", "meeting", "short_notice", "created_at", "read"]

    def _text(self, delivery):
        return delivery.notice.text(translation.get_language())

    def get_title(self, delivery) -> str:
        return self._text(delivery).get("title", "")

    def get_body(self, delivery) -> str:
        return self._text(delivery).get("body", "")

    def get_url(self, delivery) -> str:
        return self._text(delivery).get("url", "")

    def get_meeting(self, delivery) -> int | None:
        kind = registry.find(delivery.notice.kind)
        if kind is not None and kind.subject_key == "meeting":
            return delivery.notice.subject_id
        return None

    def get_read(self, delivery) -> bool:
        return delivery.read_at is not None


class FollowSerializer(serializers.ModelSerializer):
    subject = serializers.CharField(help_text=_("What is followed, e.g. “topic”."))
    id = serializers.IntegerField(source="pk", read_only=True)
    object = serializers.IntegerField(source="subject_id")

    class Meta:
        model = Follow
        fields = ["id", "subject", "object", "created_at"]
        read_only_fields = ["created_at"]

    def to_representation(self, follow):
        followable = registry.followable_for(follow.subject_type.model_class())
        return {
            "id": follow.pk,
            "subject": followable.name if followable else follow.subject_type.model,
            "object": follow.subject_id,
            "created_at": serializers.DateTimeField().to_representation(follow.created_at),
        }
