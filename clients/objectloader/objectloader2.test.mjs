// Speckle's current viewer loader, @speckle/objectloader2, against Fleck: the root from
// `GET /objects/{p}/{id}/single`, the ~2,000 children from `POST /api/v2/projects/{p}/object-stream/`
// (one batch: the loader asks for up to 15,000 ids at once), with and without an attribute mask.
// The loader's IndexedDB cache is switched off (`useCache: false`, its in-memory database instead),
// so every object comes from the server.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectLoader2Factory } from '@speckle/objectloader2';
import { SERVER_URL, uploadedTree, byId, masked } from './support.mjs';

const TIMEOUT = 120_000;
// The factory logs "[debug] Disabled persistent caching…" through this on every createFromUrl.
ObjectLoader2Factory.logger = () => {};
let tree;

before(async () => {
  tree = await uploadedTree('objectloader2');
});

function loader({ attributeMask, token = tree.token } = {}) {
  return ObjectLoader2Factory.createFromUrl({
    serverUrl: SERVER_URL,
    streamId: tree.projectId,
    objectId: tree.root.id,
    token,
    attributeMask,
    options: { useCache: false },
  });
}

/** Every object the loader's iterator yields, then the loader disposed. */
async function loadAll(ol2) {
  const loaded = [];
  try {
    for await (const object of ol2.getObjectIterator()) loaded.push(object);
  } finally {
    await ol2.disposeAsync();
  }
  return loaded;
}

function assertSameObjects(loaded, expected) {
  assert.equal(loaded.length, expected.length, 'number of objects the iterator yielded');
  const got = byId(loaded, 'objectloader2');
  for (const object of expected) {
    assert.ok(got.has(object.id), `object ${object.id} never arrived`);
    assert.deepStrictEqual(got.get(object.id), object, `object ${object.id} differs`);
  }
}

test('objectloader2 loads every object of a 2,000-child tree exactly as uploaded', { timeout: TIMEOUT }, async () => {
  const ol2 = loader();
  const root = await ol2.getRootObject();
  assert.deepStrictEqual(root.base, tree.root, 'the root from /single');
  assert.equal(await ol2.getTotalObjectCount(), tree.objects.length, 'root + every __closure entry');
  assert.equal(Object.keys(root.base.__closure).length, 2000);
  assertSameObjects(await loadAll(ol2), tree.objects);
});

test('objectloader2 fetches single objects on demand', { timeout: TIMEOUT }, async () => {
  const ol2 = loader();
  try {
    const leaf = tree.objects.at(-1);
    const group = tree.objects.find((o) => o['@elements']?.some((r) => r.referencedId === leaf.id));
    // getObject waits for the object to come through the download pipeline the iterator starts.
    const iterating = (async () => { for await (const _ of ol2.getObjectIterator()); })();
    assert.deepStrictEqual(await ol2.getObject({ id: leaf.id }), leaf);
    assert.deepStrictEqual(await ol2.getObject({ id: group.id }), group);
    await iterating;
  } finally {
    await ol2.disposeAsync();
  }
});

test('objectloader2 with an include mask gets only the kept top-level keys', { timeout: TIMEOUT }, async () => {
  const mask = { include: ['id', 'name', 'index', 'nested', '@elements'] };
  const loaded = await loadAll(loader({ attributeMask: mask }));
  // The root comes whole from /single; the mask applies to the streamed children.
  const [root, ...children] = tree.objects;
  assertSameObjects(loaded, [root, ...children.map((o) => masked(o, mask))]);
});

test('objectloader2 with an exclude mask gets all but the dropped top-level keys', { timeout: TIMEOUT }, async () => {
  const mask = { exclude: ['nested', 'flags', '__closure', 'totalChildrenCount'] };
  const loaded = await loadAll(loader({ attributeMask: mask }));
  const [root, ...children] = tree.objects;
  assertSameObjects(loaded, [root, ...children.map((o) => masked(o, mask))]);
});

test('objectloader2 without a token is refused the private project', { timeout: TIMEOUT }, async () => {
  const ol2 = loader({ token: '' });
  try {
    await assert.rejects(ol2.getRootObject(), /You do not have access!/);
  } finally {
    await ol2.disposeAsync();
  }
});
