"""A "things" API written the usual way with FastAPI, which generates its own OpenAPI document
(`/openapi.json`): the suite is run on that document, not on one written for it.

Run: API_KEY=... BASIC_CREDENTIALS=user:password uvicorn app:app --host 127.0.0.1 --port 8000

- `POST /things`: 201, the created thing (with its `id`) and a `Location` header;
- `GET /things`: the list, with query parameters (`limit`, `offset`, `color`, `name`);
- `GET`, `PUT`, `DELETE /things/{thing_id}`: 404 for an unknown id;
- every operation needs the API key in `X-API-Key` (`APIKeyHeader`), except `DELETE`, which
  needs HTTP basic credentials (`HTTPBasic`, an administrator's).

Framework defaults are kept on purpose: the default 422 validation errors, the security classes'
own answers to a missing credential, pydantic's lax mode. The store is a dict in memory.
"""

import hmac
import os
import uuid
from enum import Enum
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Response, Security, status
from fastapi.security import APIKeyHeader, HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

API_KEY = os.environ["API_KEY"]
BASIC_USER, _, BASIC_PASSWORD = os.environ["BASIC_CREDENTIALS"].partition(":")

app = FastAPI(title="Things API (FastAPI)", version="1.0.0")
api_key_header = APIKeyHeader(name="X-API-Key")
basic = HTTPBasic()


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def api_key(key: Annotated[str, Security(api_key_header)]) -> None:
    if not same(key, API_KEY):
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Invalid API key")


def administrator(credentials: Annotated[HTTPBasicCredentials, Depends(basic)]) -> None:
    # FastAPI's documented pattern (Security > HTTP Basic Auth): 401 with the Basic challenge.
    if not (same(credentials.username, BASIC_USER) and same(credentials.password, BASIC_PASSWORD)):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect username or password",
            headers={"WWW-Authenticate": "Basic"},
        )


class Color(str, Enum):
    red = "red"
    green = "green"
    blue = "blue"


class ThingIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    color: Color | None = None
    size: int = Field(default=0, ge=0, le=1000)


class Thing(ThingIn):
    id: str


class Message(BaseModel):
    detail: str


THINGS: dict[str, Thing] = {}
NOT_FOUND = {404: {"model": Message, "description": "No thing has this id"}}


def find(thing_id: str) -> Thing:
    thing = THINGS.get(thing_id)
    if thing is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Thing not found")
    return thing


@app.post(
    "/things",
    status_code=status.HTTP_201_CREATED,
    response_model=Thing,
    dependencies=[Depends(api_key)],
)
def create_thing(body: ThingIn, response: Response) -> Thing:
    thing = Thing(id=uuid.uuid4().hex, **body.model_dump())
    THINGS[thing.id] = thing
    response.headers["Location"] = f"/things/{thing.id}"
    return thing


@app.get("/things", response_model=list[Thing], dependencies=[Depends(api_key)])
def list_things(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
    color: Color | None = None,
    name: Annotated[str | None, Query(max_length=100)] = None,
) -> list[Thing]:
    found = [
        t
        for t in THINGS.values()
        if (color is None or t.color == color) and (name is None or t.name == name)
    ]
    return found[offset : offset + limit]


@app.get(
    "/things/{thing_id}",
    response_model=Thing,
    responses=NOT_FOUND,
    dependencies=[Depends(api_key)],
)
def read_thing(thing_id: str) -> Thing:
    return find(thing_id)


@app.put(
    "/things/{thing_id}",
    response_model=Thing,
    responses=NOT_FOUND,
    dependencies=[Depends(api_key)],
)
def replace_thing(thing_id: str, body: ThingIn) -> Thing:
    find(thing_id)
    thing = Thing(id=thing_id, **body.model_dump())
    THINGS[thing_id] = thing
    return thing


@app.delete(
    "/things/{thing_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=NOT_FOUND,
    dependencies=[Depends(administrator)],
)
def delete_thing(thing_id: str) -> Response:
    find(thing_id)
    del THINGS[thing_id]
    return Response(status_code=status.HTTP_204_NO_CONTENT)
