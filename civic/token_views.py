"""The API's logout endpoints: end this device's token, or every one of the caller's (core.tokens)."""

from django.contrib.auth.signals import user_logged_out
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.tokens import TokenAuthentication, end_all

NO_CONTENT = OpenApiResponse(description="Done; nothing to return.")
NOT_LOGGED_IN = OpenApiResponse(description="No valid token was sent.")


class LogoutView(APIView):
    """Ends the token this request was sent with; the person's other devices stay logged in."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Log out this device: end the token sent",
        request=None,
        responses={204: NO_CONTENT, 401: NOT_LOGGED_IN},
    )
    def post(self, request):
        request.auth.delete()
        user_logged_out.send(sender=request.user.__class__, request=request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Ends every token of the caller (a lost phone): with a token or from a browser session."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Log out every device: end all of one's tokens",
        request=None,
        responses={204: NO_CONTENT, 401: NOT_LOGGED_IN},
    )
    def post(self, request):
        end_all(request.user)
        user_logged_out.send(sender=request.user.__class__, request=request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
