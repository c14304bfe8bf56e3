"""Shared set-up for the specklepy integration tests.

The tests run the real `specklepy` client against a running `fleck serve` whose base URL is in
the environment variable FLECK_URL (e.g. http://127.0.0.1:23931). A user is registered and
logged in the way specklepy's own integration tests do it: the local auth strategy's
`/auth/local/register` redirect carries an access code, which `/auth/token` exchanges for a
token pair on behalf of the web app. Sign-ups are rate limited per address (a few an hour), so the
suite registers two users per session: `user` (who owns what the tests create) and `second_user`
(an invitee, or a stranger to the first user's projects).
"""

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

# specklepy keeps accounts, object caches and logs under SPECKLE_USERDATA_PATH (or $HOME);
# point it at a throw-away folder before anything imports specklepy.
_USERDATA = tempfile.mkdtemp(prefix="fleck-specklepy-")
os.environ["SPECKLE_USERDATA_PATH"] = _USERDATA

import pytest  # noqa: E402
import requests  # noqa: E402
from specklepy.api import operations  # noqa: E402
from specklepy.api.client import SpeckleClient  # noqa: E402
from specklepy.api.enums import ProjectVisibility  # noqa: E402
from specklepy.api.inputs.model_inputs import CreateModelInput  # noqa: E402
from specklepy.api.inputs.project_inputs import ProjectCreateInput  # noqa: E402
from specklepy.api.inputs.version_inputs import CreateVersionInput  # noqa: E402
from specklepy.api.models import Model, Project, Version  # noqa: E402
from specklepy.objects.base import Base  # noqa: E402
from specklepy.transports.server import ServerTransport  # noqa: E402

WEB_APP = {"appId": "spklwebapp", "appSecret": "spklwebapp"}


def pytest_configure(config):
    if not os.environ.get("FLECK_URL"):
        raise pytest.UsageError(
            "FLECK_URL is not set: give the base URL of a running `fleck serve`, "
            "e.g. FLECK_URL=http://127.0.0.1:3000"
        )


def pytest_unconfigure(config):
    shutil.rmtree(_USERDATA, ignore_errors=True)


@dataclass
class Registration:
    email: str
    password: str
    name: str
    company: str
    challenge: str
    status: int
    location: str
    access_code: str
    token: str
    refresh_token: str


def random_suffix() -> str:
    return uuid.uuid4().hex[:12]


def access_code_from(response: requests.Response) -> str:
    """The access code in the query of a 302's Location, as specklepy's tests parse it."""
    assert response.status_code == 302, (response.status_code, response.text)
    query = parse_qs(urlparse(response.headers["Location"]).query)
    assert "access_code" in query, response.headers["Location"]
    return query["access_code"][0]


def exchange_code(url: str, access_code: str, challenge: str) -> dict:
    response = requests.post(
        f"{url}/auth/token",
        json={**WEB_APP, "accessCode": access_code, "challenge": challenge},
        timeout=30,
    )
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()


def client_for(url: str, token: str) -> SpeckleClient:
    client = SpeckleClient(host=host_of(url), use_ssl=False)
    client.authenticate_with_token(token)
    return client


def host_of(url: str) -> str:
    """`host[:port][/prefix]` without the scheme, as SpeckleClient takes it."""
    parsed = urlparse(url)
    return parsed.netloc + parsed.path.rstrip("/")


MESSAGE_TIMEOUT = 5.0  # from a change to its subscription message


async def first_message(what: str, messages: list, predicate: Callable, check: Callable) -> object:
    """The first of `messages` (filled in the background by a subscription) that matches
    `predicate`, received so far or within MESSAGE_TIMEOUT; `check` raises when the subscription
    has failed or ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MESSAGE_TIMEOUT
    while True:
        for message in messages:
            if predicate(message):
                return message
        check()
        if loop.time() > deadline:
            raise AssertionError(f"no {what} within {MESSAGE_TIMEOUT}s; received {messages!r}")
        await asyncio.sleep(0.02)


@pytest.fixture(scope="session")
def url() -> str:
    return os.environ["FLECK_URL"].rstrip("/")


def register(url: str) -> Registration:
    """Signs a fresh user up through the local strategy and exchanges the access code."""
    suffix = random_suffix()
    email = f"specklepy-{suffix}@example.org"
    password = f"Pw-{uuid.uuid4().hex}"
    name = f"Specklepy Tester {suffix}"
    company = "Fleck Test Co"
    challenge = uuid.uuid4().hex
    response = requests.post(
        f"{url}/auth/local/register?challenge={challenge}",
        data={"email": email, "password": password, "name": name, "company": company},
        allow_redirects=False,
        timeout=30,
    )
    code = access_code_from(response)
    tokens = exchange_code(url, code, challenge)
    return Registration(
        email=email,
        password=password,
        name=name,
        company=company,
        challenge=challenge,
        status=response.status_code,
        location=response.headers["Location"],
        access_code=code,
        token=tokens["token"],
        refresh_token=tokens["refreshToken"],
    )


def unique_name(prefix: str) -> str:
    return f"{prefix} {random_suffix()}"


def create_project(
    client: SpeckleClient,
    visibility: ProjectVisibility = ProjectVisibility.PRIVATE,
    name: str | None = None,
) -> Project:
    return client.project.create(
        ProjectCreateInput(
            name=name or unique_name("specklepy project"),
            description="made by the specklepy tests",
            visibility=visibility,
        )
    )


def create_model(client: SpeckleClient, project_id: str, name: str = "main") -> Model:
    """A model of the project: `project.create` makes none, as on Speckle's current server."""
    return client.model.create(CreateModelInput(name=name, project_id=project_id))


def send_object(client: SpeckleClient, project_id: str, base: Base | None = None) -> str:
    """Sends `base` (default: a small fresh Base) to the project with specklepy's
    ServerTransport only, no local cache, and returns its object id."""
    if base is None:
        base = Base(applicationId=f"fleck-{random_suffix()}")
    transport = ServerTransport(stream_id=project_id, client=client)
    return operations.send(base, [transport], use_default_cache=False)


def create_version(
    client: SpeckleClient,
    project_id: str,
    model_id: str,
    message: str | None = None,
    object_id: str | None = None,
) -> Version:
    """A version of the model on a freshly sent object (or on `object_id`)."""
    if object_id is None:
        object_id = send_object(client, project_id)
    return client.version.create(
        CreateVersionInput(
            object_id=object_id,
            model_id=model_id,
            project_id=project_id,
            message=message,
        )
    )


@pytest.fixture(scope="session")
def user(url) -> Registration:
    """A fresh user, registered once per test session (sign-ups are rate limited)."""
    return register(url)


@pytest.fixture(scope="session")
def second_user(url, user) -> Registration:
    """A second user: the invitee in the invite tests, otherwise a non-member of the first
    user's projects. Registered once per session, like `user`, and always after it: the first
    account on a fresh server becomes its admin, and an admin may do more than a stranger."""
    return register(url)


@pytest.fixture(scope="session")
def client(url, user) -> SpeckleClient:
    return client_for(url, user.token)


@pytest.fixture(scope="session")
def second_client(url, second_user) -> SpeckleClient:
    return client_for(url, second_user.token)


@pytest.fixture
def project(client) -> Project:
    """A fresh private project of the first user; modules that share one per module override it."""
    return create_project(client)


@pytest.fixture
def model(client, project) -> Model:
    """A fresh model of `project`."""
    return client.model.create(
        CreateModelInput(name=unique_name("model"), description="a model", project_id=project.id)
    )


@pytest.fixture
def anonymous(url) -> SpeckleClient:
    """A SpeckleClient that never authenticated."""
    return SpeckleClient(host=host_of(url), use_ssl=False)
