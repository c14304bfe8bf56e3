// Shared by the object loader tests: signs a user up the way Speckle's own tests do, creates a
// project over GraphQL and uploads a tree of objects through `POST /objects/{projectId}` as the
// JavaScript and .NET senders do (one gzip part named batch-1), for the loaders to fetch back.
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';

if (!process.env.FLECK_URL) {
  throw new Error(
    'FLECK_URL is not set: give the base URL of a running `fleck serve`, ' +
      'e.g. FLECK_URL=http://127.0.0.1:3000 npm test',
  );
}

/** The server under test, without a trailing slash. */
export const SERVER_URL = process.env.FLECK_URL.replace(/\/+$/, '');

const WEB_APP = { appId: 'spklwebapp', appSecret: 'spklwebapp' };

async function bodyOf(response) {
  return `${response.status} ${response.statusText}: ${await response.text()}`;
}

/**
 * Registers a fresh user through the local strategy (`/auth/local/register?challenge=…`, whose
 * 302 carries an access code) and exchanges the code at `/auth/token` on behalf of the web app.
 * Returns the access token.
 */
export async function registerUser(prefix = 'objectloader') {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  const challenge = randomUUID().replaceAll('-', '');
  const response = await fetch(`${SERVER_URL}/auth/local/register?challenge=${challenge}`, {
    method: 'POST',
    body: new URLSearchParams({
      email: `${prefix}-${suffix}@example.org`,
      password: `Pw-${randomUUID()}`,
      name: `Objectloader Tester ${suffix}`,
      company: 'Fleck Test Co',
    }),
    redirect: 'manual',
  });
  if (response.status !== 302) throw new Error(`registering a user: ${await bodyOf(response)}`);
  const location = new URL(response.headers.get('location'), SERVER_URL);
  const accessCode = location.searchParams.get('access_code');
  if (!accessCode) throw new Error(`no access_code in the register redirect ${location}`);

  const tokens = await fetch(`${SERVER_URL}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...WEB_APP, accessCode, challenge }),
  });
  if (tokens.status !== 200) throw new Error(`exchanging the access code: ${await bodyOf(tokens)}`);
  const { token } = await tokens.json();
  if (typeof token !== 'string' || !token) throw new Error('/auth/token gave no token');
  return token;
}

export async function graphql(token, query, variables = {}) {
  const response = await fetch(`${SERVER_URL}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status !== 200) throw new Error(`GraphQL: ${await bodyOf(response)}`);
  const result = await response.json();
  if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

/** A new private project of the token's user; returns its id. */
export async function createProject(token, name) {
  const data = await graphql(
    token,
    'mutation($input: ProjectCreateInput){projectMutations{create(input:$input){id}}}',
    { input: { name, description: 'made by the objectloader tests', visibility: 'PRIVATE' } },
  );
  return data.projectMutations.create.id;
}

/**
 * The object with a Speckle-style id for its content: 32 hex digits (here the md5 of its JSON),
 * as the JSON text the upload sends parses back (so -0 is 0, as any reader sees it).
 */
function withId(body) {
  const json = JSON.stringify(body);
  return JSON.parse(JSON.stringify({ id: createHash('md5').update(json).digest('hex'), ...body }));
}

const reference = (id) => ({ referencedId: id, speckle_type: 'reference' });

/**
 * A tree of `groups` collections under one root, each holding `perGroup` leaves, shaped the way
 * Speckle senders shape it: children referenced by `referencedId`, every parent's `__closure`
 * mapping each descendant id to its depth below that parent, `totalChildrenCount` on each parent.
 * The leaves carry values whose JSON text is easy to get wrong (escapes, tabs and newlines in
 * strings, non-ASCII unless `asciiOnly`, numbers at the edges of precision). Returns
 * `{ root, objects }`, `objects` being every object of the tree, the root first, each with an `id`.
 */
export function buildTree({ groups = 40, perGroup = 49, tag = randomUUID(), asciiOnly = false } = {}) {
  const text = asciiOnly ? 'plain ascii' : 'ünïcödé ✓ 🚀 \u2028';
  const objects = [];
  const rootClosure = {};
  const groupRefs = [];
  for (let g = 0; g < groups; g++) {
    const leafRefs = [];
    const groupClosure = {};
    for (let l = 0; l < perGroup; l++) {
      const n = g * perGroup + l;
      const leaf = withId({
        speckle_type: 'Objects.Geometry.Point',
        applicationId: `${tag}-leaf-${n}`,
        name: `leaf ${n}: tab\there, newline\nthere, "quotes", back\\slash, ${text}`,
        index: n,
        x: n * 0.1,
        y: -n / 3,
        z: n % 2 === 0 ? 1e-7 : 12345678901234,
        units: 'm',
        flags: [true, false, null],
        nested: { depth: 2, list: [n, `${n}`, { inner: n % 7 }], empty: {}, none: [] },
      });
      objects.push(leaf);
      leafRefs.push(reference(leaf.id));
      groupClosure[leaf.id] = 1;
      rootClosure[leaf.id] = 2;
    }
    const group = withId({
      speckle_type: 'Speckle.Core.Models.Collection',
      name: `group ${g}`,
      collectionType: 'layer',
      '@elements': leafRefs,
      totalChildrenCount: perGroup,
      __closure: groupClosure,
    });
    objects.push(group);
    groupRefs.push(reference(group.id));
    rootClosure[group.id] = 1;
  }
  const root = withId({
    speckle_type: 'Base',
    name: `objectloader tree ${tag}`,
    '@elements': groupRefs,
    totalChildrenCount: objects.length,
    __closure: rootClosure,
  });
  objects.unshift(root);
  return { root, objects };
}

/**
 * Uploads the objects in one multipart part named batch-1, gzipped JSON array, typed
 * application/gzip; the server must answer 201.
 */
export async function uploadObjects(token, projectId, objects) {
  const batch = gzipSync(`[${objects.map((o) => JSON.stringify(o)).join(',')}]`);
  const form = new FormData();
  form.append('batch-1', new Blob([batch], { type: 'application/gzip' }), 'batch-1');
  const response = await fetch(`${SERVER_URL}/objects/${projectId}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  });
  if (response.status !== 201) throw new Error(`uploading objects: ${await bodyOf(response)}`);
}

/** A user, a project and an uploaded tree: everything a loader test needs. */
export async function uploadedTree(prefix, treeOptions = {}) {
  const token = await registerUser(prefix);
  const projectId = await createProject(token, `${prefix} ${randomUUID().slice(0, 8)}`);
  const tree = buildTree(treeOptions);
  await uploadObjects(token, projectId, tree.objects);
  return { token, projectId, ...tree };
}

/** `{ id: object }` for a list of objects, failing on a repeated id. */
export function byId(objects, what) {
  const map = new Map();
  for (const object of objects) {
    if (map.has(object.id)) throw new Error(`${what}: object ${object.id} arrived twice`);
    map.set(object.id, object);
  }
  return map;
}

/** The object with only the top-level keys a mask keeps (upstream's lodash pick/omit). */
export function masked(object, mask) {
  const keep = mask.include
    ? (key) => mask.include.includes(key)
    : (key) => !mask.exclude.includes(key);
  return Object.fromEntries(Object.entries(object).filter(([key]) => keep(key)));
}
