#!/usr/bin/env python3
"""Uploads a model written by viewer_model.py to a running Fleck as a new public project's
`main` model, the way specklepy sends (gzip multipart batches of 1,000 objects, root last), and
prints `<projectId> <modelId> <versionId>`.

usage: viewer_upload.py URL MODEL.json
"""
import json
import sys

from objects import authenticate, expect, graphql, make_batch, new_session

CREATE = """mutation($input: ProjectCreateInput!) { projectMutations { create(input: $input) { id } } }"""
# A new project has no models, as on Speckle's current server: the client creates the one it sends to.
CREATE_MODEL = """mutation($input: CreateModelInput!) { modelMutations { create(input: $input) { id } } }"""
VERSION = """mutation($input: CreateVersionInput!) { versionMutations { create(input: $input) { id } } }"""


def main():
    url, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        objects = json.load(f)
    root, children = objects[0], objects[1:]
    token = authenticate(url)
    project = graphql(url, token, CREATE, {"input": {"name": f"viewer bench: {root.get('name')}", "visibility": "PUBLIC"}})
    project = project["projectMutations"]["create"]
    model = graphql(url, token, CREATE_MODEL, {"input": {"projectId": project["id"], "name": "main"}})
    model_id = model["modelMutations"]["create"]["id"]
    session = new_session(token)
    items = [(o["id"], json.dumps(o, separators=(",", ":"))) for o in children]
    batches = [make_batch(items[i : i + 1000]) for i in range(0, len(items), 1000)]
    batches.append(make_batch([(root["id"], json.dumps(root, separators=(",", ":")))]))
    from objects import MULTIPART_TYPE

    for batch in batches:
        r = session.post(f"{url}/objects/{project['id']}", data=batch.body, headers={"Content-Type": MULTIPART_TYPE}, timeout=300)
        expect(r, 201, "POST /objects")
    version = graphql(
        url, token, VERSION,
        {"input": {"projectId": project["id"], "modelId": model_id, "objectId": root["id"], "sourceApplication": "bench"}},
    )
    print(project["id"], model_id, version["versionMutations"]["create"]["id"])


if __name__ == "__main__":
    main()
