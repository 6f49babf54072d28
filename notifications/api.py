"""The inbox and follows in the API: `GET notifications/`, `POST notifications/{id}/read/`,
`GET/POST follows/`, `DELETE follows/{id}/`."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from . import selectors, services
from .models import Delivery, Follow
from .registry import registry
from .serializers import FollowSerializer, InboxItemSerializer


def _flag(value):
    if value in (None, ""):
        return None
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes"}:
        return True
    if lowered in {"0", "false", "no"}:
        return False
    raise exceptions.ValidationError({"unread": [_("Use true or false.")]})


@extend_schema_view(
    list=extend_schema(
        summary="My in-app notices, newest first",
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread (true) or only read (false)."),
            OpenApiParameter("kind", OpenApiTypes.STR, description="Only notices of this kind."),
        ],
    ),
    retrieve=extend_schema(summary="One of my notices"),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = InboxItemSerializer
    queryset = Delivery.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        items = selectors.inbox(self.request.user)
        if self.action == "list":
            unread = _flag(self.request.query_params.get("unread"))
            if unread is not None:
                items = items.filter(read_at__isnull=unread)
            kind = self.request.query_params.get("kind")
            if kind:
                items = items.filter(notice__kind=kind)
        return items

    @extend_schema(summary="Mark a notice read", request=None, responses={200: InboxItemSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        delivery = services.delivery_mark_read(user=request.user, delivery=self.get_object())
        return Response(self.get_serializer(delivery).data)

    @extend_schema(
        summary="Mark all my notices read",
        request=None,
        responses={200: inline_serializer("MarkedRead", {"marked": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.inbox_mark_all_read(user=request.user)})

    @extend_schema(
        summary="How many of my notices are unread",
        responses={200: inline_serializer("UnreadCount", {"unread": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        return Response({"unread": selectors.unread_count(request.user)})


class FollowRequestSerializer(serializers.Serializer):
    subject = serializers.CharField(help_text="What to follow, e.g. “topic”.")
    object = serializers.IntegerField(min_value=1, help_text="Its id.")

    def validate(self, data):
        followable = registry.followable(data["subject"])
        if followable is None:
            names = ", ".join(f.name for f in registry.followables())
            raise serializers.ValidationError({"subject": [_("Choose one of: %(names)s.") % {"names": names}]})
        subject = followable.model._default_manager.filter(pk=data["object"]).first()
        if subject is None:
            raise serializers.ValidationError({"object": [_("There is no such item.")]})
        data["instance"] = subject
        return data


@extend_schema_view(
    list=extend_schema(summary="What I follow"),
    destroy=extend_schema(summary="Stop following"),
)
class FollowViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Follow a topic to hear when it moves on; commenters follow by default."""

    permission_classes = [IsAuthenticated]
    serializer_class = FollowSerializer
    queryset = Follow.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Follow.objects.none()
        return selectors.follows_of(self.request.user)

    @extend_schema(
        summary="Follow something",
        request=FollowRequestSerializer,
        responses={
            201: FollowSerializer,
            200: OpenApiResponse(FollowSerializer, description="Already followed."),
            400: OpenApiResponse(description="Unknown subject or object."),
        },
    )
    def create(self, request):
        incoming = FollowRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        follow, changed = services.follow(user=request.user, subject=incoming.validated_data["instance"])
        return Response(
            FollowSerializer(follow).data, status=status.HTTP_201_CREATED if changed else status.HTTP_200_OK
        )

    def perform_destroy(self, follow):
        services.follow_end(user=self.request.user, follow=follow)
