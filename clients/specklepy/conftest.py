"""Shared set-up for the specklepy integration tests.

The tests run the real `specklepy` client against a running `fleck serve` whose base URL is in
the environment variable FLECK_URL (e.g. http://127.0.0.1:53931). A user is registered and
logged in the way specklepy's own integration tests do it: the local auth strategy's
`/auth/local/register` redirect carries an access code, which `/auth/token` exchanges for a
token pair on behalf of the web app.
"""

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

# specklepy keeps accounts, object caches and logs under SPECKLE_USERDATA_PATH (or $HOME);
# point it at a throw-away folder before anything imports specklepy.
_USERDATA = tempfile.mkdtemp(prefix="fleck-specklepy-")
os.environ["SPECKLE_USERDATA_PATH"] = _USERDATA

import pytest  # noqa: E402
import requests  # noqa: E402
from specklepy.api.client import SpeckleClient  # noqa: E402

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


@pytest.fixture(scope="session")
def url() -> str:
    return os.environ["FLECK_URL"].rstrip("/")


@pytest.fixture(scope="session")
def user(url) -> Registration:
    """A fresh user, registered once per test session (sign-ups are rate limited)."""
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


@pytest.fixture(scope="session")
def client(url, user) -> SpeckleClient:
    return client_for(url, user.token)
