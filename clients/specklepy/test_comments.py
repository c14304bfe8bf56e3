"""Comment threads through specklepy's GraphQL client and its subscription transport.

specklepy has no comment resource, so these tests send the documents Speckle's web app and
older connectors send (`commentMutations`, `Project.commentThreads`, the legacy `comment*`
operations, `projectCommentsUpdated`) through the client's own `httpclient` and websocket
session: a thread pinned to a version with its viewer state, read and unread marks, a reviewer's
reply with a file uploaded on the blob route, edits and archiving by whom the rules allow, public
comments on and off, notification preferences, and the subscription's messages.
"""

import asyncio
import uuid
from typing import Any, Optional

import pytest
import requests
from conftest import client_for, create_model, create_project, create_version
from gql import gql
from gql.transport.exceptions import TransportQueryError
from pydantic import BaseModel
from specklepy.api.client import SpeckleClient
from specklepy.api.enums import ProjectVisibility
from specklepy.api.inputs.model_inputs import CreateModelInput
from specklepy.api.inputs.project_inputs import (
    ProjectInviteCreateInput,
    ProjectInviteUseInput,
    ProjectUpdateInput,
)

COMMENT_FIELDS = """
  id authorId archived rawText viewerState createdAt updatedAt viewedAt repliesCount hasParent
  author { id name }
  text { version type doc attachments { id fileName fileSize } }
  resources { resourceId resourceType }
  viewerResources { modelId versionId objectId }
  parent { id }
  permissions { canArchive { authorized code } }
"""

CREATE = (
    "mutation($input: CreateCommentInput!) { commentMutations { create(input: $input) { %s } } }"
    % COMMENT_FIELDS
)
REPLY = (
    "mutation($input: CreateCommentReplyInput!) { commentMutations { reply(input: $input) { %s } } }"
    % COMMENT_FIELDS
)
EDIT = (
    "mutation($input: EditCommentInput!) { commentMutations { edit(input: $input) { %s } } }"
    % COMMENT_FIELDS
)
ARCHIVE = "mutation($input: ArchiveCommentInput!) { commentMutations { archive(input: $input) } }"
MARK_VIEWED = (
    "mutation($input: MarkCommentViewedInput!) { commentMutations { markViewed(input: $input) } }"
)
THREADS = """
query($projectId: String!, $filter: ProjectCommentsFilter) {
  project(id: $projectId) {
    commentThreads(limit: 10, filter: $filter) {
      totalCount totalArchivedCount cursor
      items { %s replies { totalCount items { id rawText } } replyAuthors { totalCount items { id } } }
    }
  }
}
""" % COMMENT_FIELDS


def call(client: SpeckleClient, document: str, **variables: Any) -> dict:
    request = gql(document)
    request.variable_values = variables
    return client.httpclient.execute(request)


def refusal(client: SpeckleClient, document: str, **variables: Any) -> str:
    """The error code of a request that must fail."""
    with pytest.raises(TransportQueryError) as failed:
        call(client, document, **variables)
    errors = failed.value.errors or []
    assert errors, failed.value
    return errors[0].get("extensions", {}).get("code", "")


def doc(text: str, mention: Optional[SpeckleClient] = None) -> dict:
    content: list = [{"type": "text", "text": text}]
    if mention is not None:
        user = mention.account.userInfo
        content.append({"type": "mention", "attrs": {"id": user.id, "label": user.name}})
    return {"type": "doc", "content": [{"type": "paragraph", "content": content}]}


VIEWER_STATE = {
    "projectId": "",
    "ui": {"camera": {"position": [10, 5, 3], "target": [0, 0, 0], "isOrthoProjection": False}},
    "viewer": {"metadata": {"filteringState": {"hiddenObjectIds": []}}},
}


def add_reviewer(owner: SpeckleClient, reviewer: SpeckleClient, project_id: str) -> None:
    owner.project_invite.create(
        project_id,
        ProjectInviteCreateInput(
            email=None,
            role="stream:reviewer",
            server_role=None,
            userId=reviewer.account.userInfo.id,
        ),
    )
    pending = [i for i in reviewer.active_user.get_project_invites() if i.projectId == project_id]
    assert pending, "the reviewer does not see the invite"
    reviewer.project_invite.use(
        ProjectInviteUseInput(accept=True, projectId=project_id, token=pending[0].token)
    )


@pytest.fixture(scope="module")
def reviewed(client, second_client):
    """A private project with a version, the second user its reviewer."""
    project = create_project(client)
    model = create_model(client, project.id)
    version = create_version(client, project.id, model.id)
    add_reviewer(client, second_client, project.id)
    return project, model, version


def start_thread(client, project_id, resource_id_string, text="Is this wall right?", **extra):
    answer = call(
        client,
        CREATE,
        input={
            "projectId": project_id,
            "resourceIdString": resource_id_string,
            "content": {"doc": doc(text, extra.pop("mention", None))},
            "viewerState": {**VIEWER_STATE, "projectId": project_id},
            **extra,
        },
    )
    return answer["commentMutations"]["create"]


def test_a_thread_is_pinned_to_a_version_with_its_viewer_state(client, second_client, reviewed):
    project, model, version = reviewed
    thread = start_thread(client, project.id, f"{model.id}@{version.id}", mention=second_client)
    assert thread["rawText"] == f"Is this wall right?@{second_client.account.userInfo.name}"
    assert thread["viewerState"]["ui"]["camera"]["position"] == [10, 5, 3]
    assert thread["resources"] == [{"resourceId": version.id, "resourceType": "commit"}]
    assert thread["viewerResources"] == [
        {"modelId": model.id, "versionId": version.id, "objectId": version.referenced_object}
    ]
    assert thread["text"]["type"] == "stream_comment" and thread["text"]["doc"]["type"] == "doc"
    assert thread["author"]["id"] == client.account.userInfo.id
    assert thread["viewedAt"] is not None, "the author has read what they wrote"
    assert thread["hasParent"] is False and thread["parent"] is None

    # Unread for the reviewer until opened.
    listed = call(second_client, THREADS, projectId=project.id)["project"]["commentThreads"]
    mine = next(t for t in listed["items"] if t["id"] == thread["id"])
    assert mine["viewedAt"] is None
    assert call(second_client, MARK_VIEWED, input={"projectId": project.id, "commentId": thread["id"]})
    one = call(
        second_client,
        "query($p: String!, $id: String!) { project(id: $p) { comment(id: $id) { viewedAt } } }",
        p=project.id,
        id=thread["id"],
    )
    assert one["project"]["comment"]["viewedAt"] is not None

    # The model's threads (any version), the version's threads, filters by resource string.
    by_model = call(
        client,
        "query($p: String!, $m: String!, $v: String!) { project(id: $p) {"
        " model(id: $m) { commentThreads { totalCount items { id } } }"
        " version(id: $v) { commentThreads { totalCount items { id } } } } }",
        p=project.id,
        m=model.id,
        v=version.id,
    )["project"]
    assert thread["id"] in [t["id"] for t in by_model["model"]["commentThreads"]["items"]]
    assert thread["id"] in [t["id"] for t in by_model["version"]["commentThreads"]["items"]]
    elsewhere = call(
        client,
        THREADS,
        projectId=project.id,
        filter={"resourceIdString": "0123456789abcdef0123456789abcdef"},
    )["project"]["commentThreads"]
    assert elsewhere["totalCount"] == 0
    assert call(client, "query($p: String!) { project(id: $p) { comment(id: \"nosuchcomment\") { id } } }", p=project.id)["project"]["comment"] is None


def test_a_reviewer_replies_with_a_file_and_only_authors_and_owners_archive(
    url, client, second_client, reviewed
):
    project, model, _ = reviewed
    thread = start_thread(client, project.id, model.id, text="Check the door")
    # Reviewers attach files on the blob route, as the web app does.
    uploaded = requests.post(
        f"{url}/api/stream/{project.id}/blob",
        files={"file": ("markup.png", b"\x89PNG fake image", "image/png")},
        headers={"Authorization": f"Bearer {second_client.account.token}"},
        timeout=30,
    )
    assert uploaded.status_code == 201, uploaded.text
    blob_id = uploaded.json()["uploadResults"][0]["blobId"]
    reply = call(
        second_client,
        REPLY,
        input={
            "projectId": project.id,
            "threadId": thread["id"],
            "content": {"doc": doc("Door is 10 cm off, see markup"), "blobIds": [blob_id]},
        },
    )["commentMutations"]["reply"]
    assert reply["hasParent"] and reply["parent"]["id"] == thread["id"]
    assert reply["resources"] == [{"resourceId": thread["id"], "resourceType": "comment"}]
    assert [a["fileName"] for a in reply["text"]["attachments"]] == ["markup.png"]

    listed = call(client, THREADS, projectId=project.id)["project"]["commentThreads"]
    mine = next(t for t in listed["items"] if t["id"] == thread["id"])
    assert mine["repliesCount"] == 1 and mine["replies"]["items"][0]["id"] == reply["id"]
    assert mine["replyAuthors"]["items"] == [{"id": second_client.account.userInfo.id}]
    assert listed["items"][0]["id"] == thread["id"], "the reply made the thread the latest"

    # Only authors edit; reviewers archive only their own; owners archive any.
    assert refusal(
        second_client,
        EDIT,
        input={"projectId": project.id, "commentId": thread["id"], "content": {"doc": doc("x")}},
    ) == "FORBIDDEN"
    edited = call(
        client,
        EDIT,
        input={"projectId": project.id, "commentId": thread["id"], "content": {"doc": doc("Check the doors")}},
    )["commentMutations"]["edit"]
    assert edited["rawText"] == "Check the doors"
    archive = {"projectId": project.id, "commentId": thread["id"], "archived": True}
    assert refusal(second_client, ARCHIVE, input=archive) == "FORBIDDEN"
    seen_by_reviewer = call(
        second_client,
        "query($p: String!, $id: String!) { project(id: $p) { comment(id: $id) { permissions { canArchive { authorized } } } } }",
        p=project.id,
        id=thread["id"],
    )
    assert seen_by_reviewer["project"]["comment"]["permissions"]["canArchive"]["authorized"] is False
    assert call(client, ARCHIVE, input=archive)["commentMutations"]["archive"] is True
    live = call(client, THREADS, projectId=project.id)["project"]["commentThreads"]
    assert thread["id"] not in [t["id"] for t in live["items"]]
    assert live["totalArchivedCount"] >= 1
    everything = call(client, THREADS, projectId=project.id, filter={"includeArchived": True})
    archived = [t for t in everything["project"]["commentThreads"]["items"] if t["id"] == thread["id"]]
    assert archived and archived[0]["archived"] is True


def test_legacy_comment_operations(client, reviewed):
    project, _, version = reviewed
    created = call(
        client,
        "mutation($input: CommentCreateInput!) { commentCreate(input: $input) }",
        input={
            "streamId": project.id,
            "resources": [{"resourceType": "commit", "resourceId": version.id}],
            "text": doc("legacy thread"),
            "data": {"camPos": [1, 2, 3, 0, 0, 0, 0, 1], "location": {"x": 1, "y": 2, "z": 3}, "filters": {}},
            "blobIds": [],
        },
    )["commentCreate"]
    reply_id = call(
        client,
        "mutation($input: ReplyCreateInput!) { commentReply(input: $input) }",
        input={"streamId": project.id, "parentComment": created, "text": doc("legacy reply"), "blobIds": []},
    )["commentReply"]
    assert call(
        client,
        "mutation($input: CommentEditInput!) { commentEdit(input: $input) }",
        input={"streamId": project.id, "id": reply_id, "text": doc("edited reply"), "blobIds": []},
    )["commentEdit"] is True
    assert call(client, "mutation($s: String!, $c: String!) { commentView(streamId: $s, commentId: $c) }", s=project.id, c=created)["commentView"]
    one = call(
        client,
        "query($s: String!, $id: String!) { comment(id: $id, streamId: $s) { id rawText data } }",
        s=project.id,
        id=created,
    )["comment"]
    assert one["rawText"] == "legacy thread" and one["data"]["camPos"][0] == 1
    about_version = call(
        client,
        "query($s: String!, $r: [ResourceIdentifierInput]) { comments(streamId: $s, resources: $r) { totalCount items { id } } }",
        s=project.id,
        r=[{"resourceType": "commit", "resourceId": version.id}],
    )["comments"]
    assert created in [c["id"] for c in about_version["items"]]
    replies = call(
        client,
        "query($s: String!, $r: [ResourceIdentifierInput]) { comments(streamId: $s, resources: $r) { items { id rawText } } }",
        s=project.id,
        r=[{"resourceType": "comment", "resourceId": created}],
    )["comments"]["items"]
    assert replies == [{"id": reply_id, "rawText": "edited reply"}]
    assert call(client, "mutation($s: String!, $c: String!) { commentArchive(streamId: $s, commentId: $c) }", s=project.id, c=created)["commentArchive"]
    archived = call(
        client,
        "query($s: String!) { comments(streamId: $s, archived: true) { items { id } } }",
        s=project.id,
    )["comments"]["items"]
    assert created in [c["id"] for c in archived]


def test_strangers_comment_only_where_public_comments_are_on(client, second_client, anonymous):
    project = create_project(client, visibility=ProjectVisibility.PUBLIC)
    model = create_model(client, project.id)
    create_version(client, project.id, model.id)
    permission = "query($p: String!) { project(id: $p) { permissions { canCreateComment { authorized } } } }"
    assert call(second_client, permission, p=project.id)["project"]["permissions"]["canCreateComment"]["authorized"] is False
    assert refusal(second_client, CREATE, input={
        "projectId": project.id, "resourceIdString": model.id, "content": {"doc": doc("hi")},
    }) == "FORBIDDEN"
    client.project.update(ProjectUpdateInput(id=project.id, allow_public_comments=True))
    assert call(second_client, permission, p=project.id)["project"]["permissions"]["canCreateComment"]["authorized"] is True
    theirs = start_thread(second_client, project.id, model.id, text="From outside")
    # Anyone reads a public project's threads; nobody anonymous writes.
    listed = call(anonymous, THREADS, projectId=project.id)["project"]["commentThreads"]
    assert theirs["id"] in [t["id"] for t in listed["items"]]
    assert refusal(anonymous, CREATE, input={
        "projectId": project.id, "resourceIdString": model.id, "content": {"doc": doc("hi")},
    }) == "UNAUTHENTICATED"
    # A private project's threads stay closed to strangers.
    private = create_project(client)
    assert refusal(second_client, THREADS, projectId=private.id) == "FORBIDDEN"


def test_notification_preferences_round_trip(client):
    read = "query { activeUser { notificationPreferences } }"
    assert call(client, read)["activeUser"]["notificationPreferences"]["newCommentReply"] == {"email": True}
    update = "mutation($p: JSONObject!) { userNotificationPreferencesUpdate(preferences: $p) }"
    assert call(client, update, p={"newCommentReply": {"email": False}})["userNotificationPreferencesUpdate"]
    prefs = call(client, read)["activeUser"]["notificationPreferences"]
    assert prefs == {"mentionedInComment": {"email": True}, "newCommentReply": {"email": False}}
    assert refusal(client, update, p={"nonsense": {"email": True}}) == "BAD_USER_INPUT"
    call(client, update, p={"newCommentReply": {"email": True}})


class CommentsUpdate(BaseModel):
    """A `projectCommentsUpdated` message, read as plain JSON."""

    projectCommentsUpdated: dict


SUBSCRIPTION = """
subscription($target: ViewerUpdateTrackingTarget!) {
  projectCommentsUpdated(target: $target) {
    type id comment { id rawText archived parent { id } }
  }
}
"""


def subscribe(url: str, token: str, project_id: str, resource_id_string: str, messages: list):
    listener = client_for(url, token)
    request = gql(SUBSCRIPTION)
    request.variable_values = {
        "target": {"projectId": project_id, "resourceIdString": resource_id_string}
    }

    async def run():
        await listener.subscription.subscribe_2(
            CommentsUpdate, request, lambda m: messages.append(m.projectCommentsUpdated)
        )

    return listener, run


async def wait_for(messages: list, predicate, what: str, timeout: float = 5.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for message in messages:
            if predicate(message):
                return message
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {what} within {timeout}s; received {messages!r}")


def test_project_comments_updated_tells_subscribers_about_their_resources(
    url, client, second_client, second_user, reviewed
):
    project, model, version = reviewed
    other_model = client.model.create(
        CreateModelInput(name=f"other {uuid.uuid4().hex[:6]}", project_id=project.id)
    )
    other = create_version(client, project.id, other_model.id)

    async def scenario():
        messages: list = []
        _, run = subscribe(url, second_user.token, project.id, model.id, messages)
        task = asyncio.create_task(run())
        await asyncio.sleep(1.5)  # connection_ack and the subscription's start
        try:
            thread = await asyncio.to_thread(start_thread, client, project.id, model.id, "Live one")
            created = await wait_for(messages, lambda m: m["id"] == thread["id"], "CREATED")
            assert created["type"] == "CREATED" and created["comment"]["rawText"] == "Live one"
            reply = await asyncio.to_thread(
                call,
                client,
                REPLY,
                input={"projectId": project.id, "threadId": thread["id"], "content": {"doc": doc("re")}},
            )
            reply_id = reply["commentMutations"]["reply"]["id"]
            replied = await wait_for(messages, lambda m: m["id"] == reply_id, "the reply")
            assert replied["type"] == "CREATED" and replied["comment"]["parent"]["id"] == thread["id"]
            await asyncio.to_thread(
                call, client, ARCHIVE,
                input={"projectId": project.id, "commentId": thread["id"], "archived": True},
            )
            archived = await wait_for(
                messages, lambda m: m["type"] == "ARCHIVED" and m["id"] == thread["id"], "ARCHIVED"
            )
            assert archived["comment"]["archived"] is True
            # A thread about another model is not this subscriber's business.
            elsewhere = await asyncio.to_thread(
                start_thread, client, project.id, f"{other_model.id}@{other.id}", "Elsewhere"
            )
            await asyncio.sleep(1.0)
            assert elsewhere["id"] not in [m["id"] for m in messages]
            assert not task.done(), task
        finally:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass

    asyncio.run(scenario())


def test_strangers_cannot_subscribe_to_a_private_projects_comments(url, user, second_client):
    # The second user's private project: the first user (the server's admin) is a stranger to it.
    theirs = create_project(second_client)

    async def scenario():
        messages: list = []
        _, run = subscribe(url, user.token, theirs.id, "", messages)
        with pytest.raises(Exception) as refused:
            await asyncio.wait_for(run(), timeout=10)
        assert "FORBIDDEN" in str(refused.value) or "not a member" in str(refused.value), refused.value

    asyncio.run(scenario())
