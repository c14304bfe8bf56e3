"""Authentication against `fleck serve` with the real specklepy client: sign-up and log-in through
the local strategy, token exchange and refresh, specklepy's authenticate_with_token, and personal
access tokens created and revoked through specklepy."""

import uuid

import pytest
import requests
from conftest import (
    WEB_APP,
    access_code_from,
    client_for,
    exchange_code,
    host_of,
)
from specklepy.api.client import SpeckleClient
from specklepy.logging.exceptions import SpeckleException

INVALID_TOKEN = {"error": "Your token is not valid."}
ACTIVE_USER_QUERY = {"query": "query { activeUser { id name email } }"}


def graphql_with(url: str, token: str) -> requests.Response:
    """A raw GraphQL request with `Authorization: Bearer <token>`."""
    return requests.post(
        f"{url}/graphql",
        json=ACTIVE_USER_QUERY,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def assert_rejected_by_specklepy(url: str, token: str) -> None:
    """specklepy raises on a token the server refuses, with the HTTP status it got."""
    with pytest.raises(SpeckleException) as raised:
        client_for(url, token)
    assert getattr(raised.value.exception, "code", None) == 403, raised.value


@pytest.fixture(scope="module")
def login(url, user) -> dict:
    """A second token pair for the same user, from the log-in form (log-ins are rate limited)."""
    challenge = uuid.uuid4().hex
    response = requests.post(
        f"{url}/auth/local/login?challenge={challenge}",
        data={"email": user.email, "password": user.password},
        allow_redirects=False,
        timeout=30,
    )
    code = access_code_from(response)
    return {"response": response, "code": code, **exchange_code(url, code, challenge)}


def test_register_redirects_with_an_access_code(user):
    assert user.status == 302
    assert user.access_code
    assert f"access_code={user.access_code}" in user.location


def test_access_code_exchange_gives_a_token_pair(user):
    assert isinstance(user.token, str) and user.token
    assert isinstance(user.refresh_token, str) and user.refresh_token
    assert user.token != user.refresh_token


def test_access_code_works_only_once(url, user):
    response = requests.post(
        f"{url}/auth/token",
        json={**WEB_APP, "accessCode": user.access_code, "challenge": user.challenge},
        timeout=30,
    )
    assert response.status_code == 401, response.text
    assert "err" in response.json()


def test_authenticate_with_token_fills_the_account(url, user, client):
    account = client.account
    assert account.token == user.token
    assert account.userInfo.id
    assert account.userInfo.name == user.name
    assert account.userInfo.email == user.email
    assert account.userInfo.company == user.company
    assert account.serverInfo.name == "Fleck"
    assert account.serverInfo.url == url


def test_active_user_get_returns_the_registered_user(user, client):
    me = client.active_user.get()
    assert me is not None
    assert me.id == client.account.userInfo.id
    assert me.name == user.name
    assert me.email == user.email
    assert me.company == user.company
    assert me.role in ("server:user", "server:admin")


def test_server_get_describes_fleck(client):
    info = client.server.get()
    assert info.name == "Fleck"
    assert isinstance(info.scopes, list)
    names = [scope["name"] for scope in info.scopes]
    assert "streams:read" in names
    assert all(isinstance(scope.get("description"), str) for scope in info.scopes)
    assert isinstance(info.auth_strategies, list)
    assert info.workspaces is not None
    assert info.workspaces.workspaces_enabled is False
    assert info.version


def test_server_version_parses(client):
    version = client.server.version()
    assert isinstance(version, tuple) and version


def test_unauthenticated_client_has_no_active_user(url):
    anonymous = SpeckleClient(host=host_of(url), use_ssl=False)
    assert anonymous.active_user.get() is None
    assert anonymous.server.get().name == "Fleck"


def test_personal_access_token_create_use_and_revoke(url, client):
    token = client.server.create_token(
        name=f"specklepy-{uuid.uuid4().hex[:8]}",
        scopes=["streams:read", "profile:read"],
        lifespan=3600 * 1000,
    )
    assert isinstance(token, str)
    assert len(token) == 42

    second = client_for(url, token)
    me = second.active_user.get()
    assert me is not None
    assert me.id == client.account.userInfo.id
    assert second.account.userInfo.id == me.id

    assert client.server.revoke_token(token) is True

    response = graphql_with(url, token)
    assert response.status_code == 403, response.text
    assert response.json() == INVALID_TOKEN
    with pytest.raises(SpeckleException):
        second.active_user.get()
    assert_rejected_by_specklepy(url, token)

    # The token that revoked it still works.
    assert client.active_user.get().id == me.id


def test_login_gives_a_working_token(url, user, client, login):
    assert login["response"].status_code == 302
    assert login["token"] != user.token
    me = client_for(url, login["token"]).active_user.get()
    assert me.id == client.account.userInfo.id
    assert me.email == user.email


def test_login_with_a_wrong_password_is_refused(url, user):
    response = requests.post(
        f"{url}/auth/local/login?challenge={uuid.uuid4().hex}",
        data={"email": user.email, "password": user.password + "-wrong"},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 401, response.text
    assert response.json() == {"err": True, "message": "Invalid credentials."}


def test_refresh_token_gives_a_new_working_token(url, client, login):
    response = requests.post(
        f"{url}/auth/token",
        json={**WEB_APP, "refreshToken": login["refreshToken"]},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    pair = response.json()
    assert pair["token"] and pair["refreshToken"]
    assert pair["token"] != login["token"]
    assert pair["refreshToken"] != login["refreshToken"]
    refreshed = client_for(url, pair["token"])
    assert refreshed.active_user.get().id == client.account.userInfo.id
    assert refreshed.account.userInfo.id == client.account.userInfo.id


def test_invalid_bearer_token_is_refused(url):
    response = graphql_with(url, "not-a-real-token-" + uuid.uuid4().hex)
    assert response.status_code == 403, response.text
    assert response.json() == INVALID_TOKEN
    assert_rejected_by_specklepy(url, "0123456789" + uuid.uuid4().hex)
