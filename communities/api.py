"""The communities API: log in, sign up, the logged-in person, the directory, residency requests.

Views parse input and call one service (writes) or one selector (reads); the rules live in
services and permissions, so the admin, the pages and the API cannot disagree.
"""

from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core import throttling, tokens
from core.throttling import PostThrottle

from . import lockout, services, signup_confirm
from .filters import CommunityFilter, ResidencyFilter
from .models import Language, Residency, Stage, Typology
from .permissions import community_scope_q, roles_for
from .selectors import community_bodies, community_list
from .serializers import (
    ChoiceSerializer,
    CommunityDetailSerializer,
    CommunitySerializer,
    MeSerializer,
    ProfileUpdateSerializer,
    ResidencyDecisionSerializer,
    ResidencyRequestSerializer,
    ResidencySerializer,
    SignUpSerializer,
    SignUpStartedSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)


class InvalidCredentials(exceptions.APIException):
    # 400, not 401: the request carried no credentials to reject, only bad input.
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Unable to log in with this username, phone number or e-mail and password.")
    default_code = "invalid_credentials"


class LockedOut(exceptions.APIException):
    """django-axes paused password logins for this account from this address."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self):
        super().__init__(lockout.lockout_message())
        self.wait = lockout.cooloff_seconds()


class CredentialsEndpoint(APIView):
    """Base of the endpoints that take a password: open to anyone, throttled per address."""

    # No authentication: a stale token or a browser session must not stand in the way of
    # logging in again, and no session cookie is read, so no CSRF token is asked for.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"


class TokenView(CredentialsEndpoint):
    @extend_schema(
        summary="Log in and get an API token",
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong credentials or missing fields."),
            429: OpenApiResponse(description="Too many wrong passwords for this account from this address."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data.get("user") is None:
            # django-axes marks the request it was given, here DRF's, when it refuses.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut()
            raise InvalidCredentials()
        # A new token for each device asking (core.tokens): logging in again elsewhere
        # does not hand out, or end, another device's key.
        return Response({"token": tokens.issue(serializer.validated_data["user"])})


class SignUpView(CredentialsEndpoint):
    """Sign-up answers the same whether or not the phone or e-mail is registered: it holds the
    sign-up and sends a code (phone) or a link (e-mail); only their owner learns more."""

    throttle_classes = [*CredentialsEndpoint.throttle_classes, PostThrottle]
    posting_scopes = {"post": "signup"}

    @extend_schema(
        summary="Sign up with a phone number or e-mail; finish with the code or link sent to it",
        request=SignUpSerializer,
        responses={
            202: SignUpStartedSerializer,
            400: OpenApiResponse(description="Field errors; nothing is saved."),
            429: OpenApiResponse(description="Too many sign-ups from this address, or a code sent just now."),
        },
        auth=[],
    )
    def post(self, request):
        serializer = SignUpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            confirm_with = signup_confirm.start(
                request,
                password=data["password"],
                community=data["community"],
                phone=data.get("phone") or None,
                email=data.get("email") or None,
                display_name=data.get("display_name", ""),
                preferred_language=data.get("preferred_language") or _request_language(),
            )
        except signup_confirm.Throttled as throttled:
            raise throttling.TooManyRequests(throttled.message, throttled.wait) from throttled
        return Response(
            {"detail": signup_started_message(confirm_with), "confirm_with": confirm_with},
            status=status.HTTP_202_ACCEPTED,
        )


def signup_started_message(confirm_with):
    if confirm_with == "sms":
        return _(
            "If this number can receive SMS, a code is on its way. Send it with the number to auth/sms-login/ "
            "within 5 minutes to finish signing up."
        )
    return _("If this address can receive mail, a message is on its way. Follow its link within 30 minutes.")


def _request_language():
    language = get_language()
    return language if language in Language.values else Language.ZH_HANS


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The logged-in person", responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        summary="Change one's contact preferences",
        request=ProfileUpdateSerializer,
        responses={200: MeSerializer, 400: OpenApiResponse(description="Field errors.")},
    )
    def patch(self, request):
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = serializer.validated_data
        user = request.user
        services.profile_update(
            user=user,
            display_name=changes.get("display_name", user.display_name),
            preferred_language=changes.get("preferred_language", user.preferred_language),
            sms_opt_out=changes.get("sms_opt_out", user.sms_opt_out),
            email_opt_in=changes.get("email_opt_in", user.email_opt_in),
            email=changes.get("email"),
        )
        return Response(MeSerializer(user).data)


class ChoiceListView(ListAPIView):
    """A fixed vocabulary, labelled in the request's language (Accept-Language or the language cookie)."""

    serializer_class = ChoiceSerializer
    permission_classes = [AllowAny]
    filter_backends = []
    choices = None

    def get_queryset(self):
        # Labels stay lazy here: they are rendered in the language active for this request.
        return [{"slug": value, "label": label} for value, label in self.choices.choices]


@extend_schema_view(get=extend_schema(summary="The eight community typologies"))
class TypologyListView(ChoiceListView):
    choices = Typology


@extend_schema_view(get=extend_schema(summary="The three development stages"))
class StageListView(ChoiceListView):
    choices = Stage


class ListFiltersOnly:
    """Apply the query-string filters to lists only: `?typology=` means nothing on one object."""

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)


@extend_schema_view(
    list=extend_schema(summary="The community directory"),
    retrieve=extend_schema(summary="A community with its bodies and their current post-holders"),
)
class CommunityViewSet(ListFiltersOnly, viewsets.ReadOnlyModelViewSet):
    """Communities are public: anyone may read them."""

    permission_classes = [AllowAny]
    filterset_class = CommunityFilter
    queryset = community_list()

    def get_queryset(self):
        return community_list()

    def get_serializer_class(self):
        return CommunityDetailSerializer if self.action == "retrieve" else CommunitySerializer

    def get_object(self):
        community = super().get_object()
        community.current_bodies = community_bodies(community)
        return community


def _visible_residencies(user):
    """A person's own requests, and those of the communities they run or oversee."""
    residencies = Residency.objects.select_related("community", "user").order_by("-requested_at", "-pk")
    if roles_for(user).superuser:
        return residencies
    return residencies.filter(Q(user=user) | community_scope_q(user, prefix="community__"))


@extend_schema_view(
    list=extend_schema(summary="Residency requests: one's own, and those of the communities one runs"),
    retrieve=extend_schema(summary="One residency request"),
)
class ResidencyViewSet(
    ListFiltersOnly, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    permission_classes = [IsAuthenticated]
    serializer_class = ResidencySerializer
    filterset_class = ResidencyFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Residency.objects.none()
        return _visible_residencies(self.request.user)

    @extend_schema(
        summary="Ask to join a community",
        request=ResidencyRequestSerializer,
        responses={
            201: ResidencySerializer,
            400: OpenApiResponse(description="Unknown community."),
            409: OpenApiResponse(description="Already asked to join this community."),
        },
    )
    def create(self, request):
        serializer = ResidencyRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        residency = services.residency_request(user=request.user, community=serializer.validated_data["community"])
        return Response(
            ResidencySerializer(residency, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Verify a pending request (the community's staff)",
        request=None,
        responses={
            200: ResidencySerializer,
            403: OpenApiResponse(description="Not staff of this community."),
            409: OpenApiResponse(description="The request is no longer pending."),
        },
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        residency = services.residency_verify(actor=request.user, residency=self.get_object())
        return Response(ResidencySerializer(residency, context={"request": request}).data)

    @extend_schema(
        summary="Decline a pending request, with a note (the community's staff)",
        request=ResidencyDecisionSerializer,
        responses={
            200: ResidencySerializer,
            403: OpenApiResponse(description="Not staff of this community."),
            409: OpenApiResponse(description="The request is no longer pending."),
        },
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        serializer = ResidencyDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        residency = services.residency_reject(
            actor=request.user, residency=self.get_object(), note=serializer.validated_data["note"]
        )
        return Response(ResidencySerializer(residency, context={"request": request}).data)
