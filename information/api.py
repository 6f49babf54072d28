"""The information API: announcements of the requester's area, staff publishing, services.

Views parse input and call one service (writes) or one selector (reads).
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from communities.permissions import can
from core.parsers import UPLOAD_PARSERS

from . import selectors, services, uploads
from .filters import AnnouncementFilter, ServiceFilter
from .models import Announcement, Service
from .serializers import (
    AnnouncementDetailSerializer,
    AnnouncementSerializer,
    AnnouncementWriteSerializer,
    ServiceSerializer,
)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The file is too large.")
    default_code = "too_large"


def _service_call(call):
    """Run a service; an attachment over the limit answers 413, other bad input 400."""
    try:
        return call()
    except uploads.TooLarge as exc:
        raise PayloadTooLarge(
            {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        ) from exc


def _valid_filters(filterset_class, request, model):
    filterset = filterset_class(data=request.query_params, queryset=model.objects.none())
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.form.cleaned_data


@extend_schema_view(
    list=extend_schema(summary="Announcements of your area: pinned first, then newest"),
    retrieve=extend_schema(summary="One announcement (opening it counts as read)"),
    create=extend_schema(
        summary="Publish an announcement to a community, street or district (staff, officials)",
        request={"application/json": AnnouncementWriteSerializer, "multipart/form-data": AnnouncementWriteSerializer},
        responses={
            201: AnnouncementDetailSerializer,
            400: OpenApiResponse(
                description="Field errors (an expiry before publishing, a wrong file type); nothing is saved."
            ),
            403: OpenApiResponse(description="Not staff or an official of that area."),
            413: OpenApiResponse(description="An attachment is over the size limit; nothing is saved."),
        },
    ),
    partial_update=extend_schema(
        summary="Change an announcement (fields left out keep their value)",
        request={"application/json": AnnouncementWriteSerializer, "multipart/form-data": AnnouncementWriteSerializer},
        responses={
            200: AnnouncementDetailSerializer,
            400: OpenApiResponse(description="Field errors."),
            413: OpenApiResponse(description="An attachment is too large."),
        },
    ),
    destroy=extend_schema(summary="Delete an announcement"),
)
class AnnouncementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Announcements reach the people of the area they are addressed to: a person with no
    community (and no official post) has none, so the list asks for a login."""

    permission_classes = [IsAuthenticated]
    parser_classes = UPLOAD_PARSERS  # attachments
    filterset_class = AnnouncementFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    queryset = Announcement.objects.none()

    def get_serializer_class(self):
        if self.action in ("list",):
            return AnnouncementSerializer
        if self.action in ("create", "partial_update"):
            return AnnouncementWriteSerializer
        return AnnouncementDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Announcement.objects.none()
        if self.action == "list":
            filters = _valid_filters(AnnouncementFilter, self.request, Announcement)
            state = filters.get("state") or "published"
            if state == "published":
                return selectors.announcements_for(
                    self.request.user, community=filters.get("community"), category=filters.get("category")
                )
            announcements = selectors.announcements_managed_by(
                self.request.user, state=None if state == "all" else state
            )
            if filters.get("community") is not None:
                announcements = announcements.for_community(filters["community"])
            if filters.get("category"):
                announcements = announcements.filter(category=filters["category"])
            return announcements
        return Announcement.objects.all()

    def filter_queryset(self, queryset):
        # The filters were applied by the selectors in get_queryset.
        return queryset

    def _context_with_reads(self, announcements):
        user = self.request.user
        allowed = {a.pk for a in announcements if can(user, "announcement.view_reads", a)}
        counts = selectors.read_counts(allowed) if allowed else {}
        return {**self.get_serializer_context(), "read_counts": {"allowed": allowed, "counts": counts}}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        serializer = AnnouncementSerializer(page, many=True, context=self._context_with_reads(page))
        return self.get_paginated_response(serializer.data)

    def get_object(self):
        """A forbidden announcement and a missing one answer alike: 404."""
        try:
            announcement = selectors.announcement_get(int(self.kwargs["pk"]))
        except (Announcement.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404 from exc
        if not selectors.announcement_visible_to(self.request.user, announcement):
            raise Http404
        return announcement

    def _detail(self, announcement, status_code=status.HTTP_200_OK):
        announcement = selectors.announcement_get(announcement.pk)
        data = AnnouncementDetailSerializer(announcement, context=self._context_with_reads([announcement])).data
        return Response(data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        announcement = self.get_object()
        services.announcement_mark_read(user=request.user, announcement=announcement)
        return self._detail(announcement)

    def create(self, request, *args, **kwargs):
        serializer = AnnouncementWriteSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        announcement = _service_call(
            lambda: services.announcement_publish(
                actor=request.user,
                area=data["area"],
                title=data["title"],
                body=data["body"],
                body_format=data["body_format"],
                category=data["category"],
                pinned=data["pinned"],
                publish_at=data.get("published_at"),
                expires_at=data.get("expires_at"),
                attachments=request.FILES.getlist("attachments"),
            )
        )
        return self._detail(announcement, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        announcement = self.get_object()
        serializer = AnnouncementWriteSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("attachments", None)
        remove = data.pop("remove_attachments", [])
        if "published_at" in data:
            data["publish_at"] = data.pop("published_at")
        announcement = _service_call(
            lambda: services.announcement_update(
                actor=request.user,
                announcement=announcement,
                add_attachments=request.FILES.getlist("attachments"),
                remove_attachments=remove,
                **data,
            )
        )
        return self._detail(announcement)

    def destroy(self, request, *args, **kwargs):
        services.announcement_delete(actor=request.user, announcement=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Services offered to residents, searchable by community and category"),
    retrieve=extend_schema(summary="One service: what, where, when, how to apply"),
)
class ServiceViewSet(viewsets.ReadOnlyModelViewSet):
    """Services are public: anyone may look them up."""

    permission_classes = [AllowAny]
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    queryset = Service.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Service.objects.none()
        if self.action == "list":
            return selectors.service_list(**_valid_filters(ServiceFilter, self.request, Service))
        return selectors.service_list()

    def filter_queryset(self, queryset):
        return queryset
