"""Create a Service Access Token, written the usual way with Django REST framework.

Run: TOKEN=... SERVICE=svc_x gunicorn app --bind 127.0.0.1:8000   (API root: /api/v1)
One file (settings.configure) to keep it small; no database. Framework defaults are kept on
purpose: DRF's serializer fields and their validators, its exception handler, Django's 404.
"""

import hmac
import os
import uuid
from datetime import timedelta

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    SECRET_KEY=os.urandom(32).hex(),
    USE_TZ=True,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    REST_FRAMEWORK={"UNAUTHENTICATED_USER": None},
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework import authentication, exceptions, permissions, serializers  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

API_TOKEN = os.environ["TOKEN"]
SERVICES = {os.environ.get("SERVICE", "svc_x")}
DEFAULT_LIFETIME = timedelta(days=30)


class ServiceToken:
    is_authenticated = True


class BearerAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2 or not hmac.compare_digest(parts[1], API_TOKEN.encode()):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return (ServiceToken(), None)

    def authenticate_header(self, request):
        return "Bearer"


class CreateAccessTokenSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=55, allow_blank=True, trim_whitespace=False)
    description = serializers.CharField(allow_blank=True, trim_whitespace=False)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ServiceAccessTokens(APIView):
    authentication_classes = [BearerAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    def post(self, request, service):
        if service not in SERVICES:
            raise exceptions.NotFound(f"Service {service!r} not found.")
        serializer = CreateAccessTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        now = timezone.now()
        expires_at = data.get("expires_at") or now + DEFAULT_LIFETIME
        token_id = f"wstok_{uuid.uuid4().hex}"
        return Response(
            {
                "id": token_id,
                "name": "svc_access",
                "description": data["description"],
                "abilities": [],
                "timestamp": {
                    "created_at": now.isoformat(),
                    "last_used_at": None,
                    "expires_at": expires_at.isoformat(),
                    "expires_at_mins": int((expires_at - now).total_seconds() // 60),
                    "requested_at": now.isoformat(),
                },
                "_embedded": [],
                "_links": {
                    "self": request.build_absolute_uri(f"/api/v1/workspace/tokens/{token_id}")
                },
            },
            status=201,
        )


urlpatterns = [
    path("api/v1/workspace/services/<str:service>/tokens/access", ServiceAccessTokens.as_view()),
]

application = get_wsgi_application()
