// Speckle's earlier loader, @speckle/objectloader 2.x (still what older viewers and scripts use),
// against Fleck: the root from `GET /objects/{p}/{id}/single`, the children from
// `POST /api/getobjects/{p}` with a JSON body whose `objects` is a JSON *string* of ids, split
// over four concurrent requests, read back as `id\tjson` lines. Its IndexedDB cache is off (Node
// has no IndexedDB; `enableCaching: false` says so explicitly). Kept in a file of its own: the
// package loads core-js, which polyfills globals for the rest of its process.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import ObjectLoader from '@speckle/objectloader';
import { SERVER_URL, uploadedTree, byId } from './support.mjs';

const TIMEOUT = 120_000;
let tree;

before(async () => {
  // ASCII only: this loader decodes every network chunk with `TextDecoder.decode(chunk)` and no
  // `{ stream: true }`, so a multi-byte character split between two chunks turns into U+FFFD.
  // That is the client's bug, seen against any server whenever a chunk happens to end mid-character
  // (here, on the PostgreSQL backend); objectloader2 decodes whole lines and is tested with non-ASCII.
  tree = await uploadedTree('objectloader', { asciiOnly: true });
});

function loader(token = tree.token) {
  return new ObjectLoader({
    serverUrl: SERVER_URL,
    streamId: tree.projectId,
    objectId: tree.root.id,
    token,
    options: {
      enableCaching: false,
      fullyTraverseArrays: false,
      excludeProps: [],
      customLogger: () => {},
      customWarner: () => {},
    },
  });
}

test('objectloader loads every object of a 2,000-child tree exactly as uploaded', { timeout: TIMEOUT }, async () => {
  const ol = loader();
  try {
    assert.deepStrictEqual(await ol.getRootObject(), tree.root, 'the root from /single');
    // objectloader counts the children only (objectloader2 counts the root too).
    assert.equal(await ol.getTotalObjectCount(), tree.objects.length - 1);
    const loaded = [];
    for await (const object of ol.getObjectIterator()) loaded.push(object);
    assert.equal(loaded.length, tree.objects.length, 'number of objects the iterator yielded');
    assert.deepStrictEqual(loaded[0], tree.root, 'the root comes first');
    const got = byId(loaded, 'objectloader');
    for (const object of tree.objects) {
      assert.ok(got.has(object.id), `object ${object.id} never arrived`);
      assert.deepStrictEqual(got.get(object.id), object, `object ${object.id} differs`);
    }
  } finally {
    ol.dispose();
  }
});

test('objectloader reassembles the tree, references resolved', { timeout: TIMEOUT }, async () => {
  const ol = loader();
  try {
    const progress = [];
    const root = await ol.getAndConstructObject((e) => progress.push(e));
    const objects = byId(tree.objects, 'the uploaded tree');
    const expected = tree.root['@elements'].map(({ referencedId }) => {
      const group = objects.get(referencedId);
      return {
        ...group,
        '@elements': group['@elements'].map((leaf) => objects.get(leaf.referencedId)),
      };
    });
    assert.equal(root.id, tree.root.id);
    assert.deepStrictEqual(root['@elements'], expected);
    const downloads = progress.filter((e) => e.stage === 'download');
    assert.equal(downloads.length, tree.objects.length, 'one download progress event per object');
    assert.equal(downloads.at(-1).total, tree.root.totalChildrenCount);
  } finally {
    ol.dispose();
  }
});

test('objectloader with an invalid token is refused the root', { timeout: TIMEOUT }, async () => {
  const ol = loader('not-a-valid-token');
  try {
    await assert.rejects(ol.getRootObject(), /You do not have access to the root object/);
  } finally {
    ol.dispose();
  }
});
