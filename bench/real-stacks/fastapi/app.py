"""Create a Service Access Token, written the usual way with FastAPI and pydantic v2.

Run: TOKEN=... SERVICE=svc_x uvicorn app:app --host 127.0.0.1 --port 8000
The API root is /api/v1. Framework defaults are kept on purpose (the default 422 handler,
pydantic's lax mode, uvicorn's HTTP layer): this is the server as an ordinary developer writes it.
"""

import hmac
import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

API_TOKEN = os.environ["TOKEN"]
SERVICES = {os.environ.get("SERVICE", "svc_x")}
DEFAULT_LIFETIME = timedelta(days=30)

app = FastAPI(title="Provisionr Workspace API (FastAPI)")
router = APIRouter(prefix="/api/v1")
bearer = HTTPBearer()


def authenticated(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)],
) -> None:
    if not hmac.compare_digest(credentials.credentials.encode(), API_TOKEN.encode()):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Invalid token",
            headers={"WWW-Authenticate": "Bearer"},
        )


class CreateAccessTokenRequest(BaseModel):
    name: str = Field(max_length=55)
    description: str
    expires_at: datetime | None = None


class Timestamps(BaseModel):
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    expires_at_mins: int | None
    requested_at: datetime


class AccessTokenResponse(BaseModel):
    id: str
    name: str
    description: str
    abilities: list[str]
    timestamp: Timestamps
    embedded: list[str] = Field(serialization_alias="_embedded")
    links: dict[str, str] = Field(serialization_alias="_links")


def aware(moment: datetime) -> datetime:
    # pydantic gives a naive datetime for an input without an offset; read it as UTC. An aware
    # one keeps its own offset (converting 9999-12-31T23:59:59-01:00 to UTC would overflow).
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


@router.post(
    "/workspace/services/{service}/tokens/access",
    status_code=status.HTTP_201_CREATED,
    response_model=AccessTokenResponse,
    response_model_by_alias=True,
    dependencies=[Depends(authenticated)],
)
def create_service_access_token(
    service: str, body: CreateAccessTokenRequest, request: Request
) -> AccessTokenResponse:
    if service not in SERVICES:
        raise HTTPException(status_code=404, detail=f"Service {service!r} not found")
    now = datetime.now(timezone.utc)
    expires_at = aware(body.expires_at) if body.expires_at else now + DEFAULT_LIFETIME
    token_id = f"wstok_{uuid.uuid4().hex}"
    return AccessTokenResponse(
        id=token_id,
        name="svc_access",
        description=body.description,
        abilities=[],
        timestamp=Timestamps(
            created_at=now,
            last_used_at=None,
            expires_at=expires_at,
            expires_at_mins=int((expires_at - now).total_seconds() // 60),
            requested_at=now,
        ),
        embedded=[],
        links={"self": f"{request.base_url}api/v1/workspace/tokens/{token_id}"},
    )


app.include_router(router)
