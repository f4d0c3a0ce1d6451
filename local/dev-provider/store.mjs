/** Where the development provider keeps its tokens, grants and sessions: in memory, until they expire. */

/**
 * In-memory adapter. oidc-provider's bundled one is an LRU of ~1000 entries, so a long `npm start` session or a
 * benchmark would silently evict live refresh tokens; this one keeps everything until it expires, and can list
 * the grants of an account (for /__control/revoke-grants).
 */
const store = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const grantMembers = new Map(); // grantId -> Set of store keys
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

function live(key) {
  const entry = store.get(key);
  if (entry && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry?.payload;
}

export class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(key, { payload, expiresAt });
    if (this.model === 'Session') store.set(`sessionUid:${payload.uid}`, { payload: id, expiresAt });
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, { payload: id, expiresAt });
    if (GRANTABLE.has(this.model) && payload.grantId) {
      if (!grantMembers.has(payload.grantId)) grantMembers.set(payload.grantId, new Set());
      grantMembers.get(payload.grantId).add(key);
    }
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUid(uid) {
    const id = live(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = live(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) store.delete(key);
    grantMembers.delete(grantId);
  }
}

/** Ids of the live grants of one account. */
export function grantIdsOf(accountId) {
  const ids = [];
  for (const key of store.keys()) {
    if (!key.startsWith('Grant:')) continue;
    const grant = live(key);
    if (grant?.accountId === accountId) ids.push(key.slice('Grant:'.length));
  }
  return ids;
}

// Sweep expired entries now and then so a long-running dev server does not grow without bound.
setInterval(() => {
  for (const key of store.keys()) live(key);
  for (const [grantId, keys] of grantMembers) {
    for (const key of keys) if (!store.has(key)) keys.delete(key);
    if (keys.size === 0) grantMembers.delete(grantId);
  }
}, 60_000).unref();
