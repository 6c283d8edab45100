// What the browser remembers between visits: the session key, and the sources behind recent
// answers (the hub's history carries the words but not the sources).

const KEY_ITEM = 'switchboard.sessionKey';
const GROUNDING_PREFIX = 'switchboard.grounding.';
const GROUNDING_KEPT = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function randomUUID() {
  if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The session key kept in localStorage; a new one is made when there is none. */
export function loadSessionKey() {
  const store = storage();
  const saved = store && store.getItem(KEY_ITEM);
  if (saved && UUID.test(saved)) return saved;
  return newSessionKey();
}

/** Starts a new conversation: a fresh key replaces the saved one. */
export function newSessionKey() {
  const key = randomUUID();
  const store = storage();
  if (store) {
    const old = store.getItem(KEY_ITEM);
    if (old) store.removeItem(GROUNDING_PREFIX + old);
    store.setItem(KEY_ITEM, key);
  }
  return key;
}

function readGrounding(key) {
  const store = storage();
  try {
    const list = JSON.parse((store && store.getItem(GROUNDING_PREFIX + key)) || '[]');
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

/** Remembers the tool results behind an answer, keyed by the answer's words. */
export function rememberGrounding(key, answer, grounding) {
  const store = storage();
  if (!store || !answer || grounding.length === 0) return;
  const list = readGrounding(key).filter((entry) => entry.answer !== answer);
  list.push({ answer, grounding });
  try {
    store.setItem(GROUNDING_PREFIX + key, JSON.stringify(list.slice(-GROUNDING_KEPT)));
  } catch {
    // Storage full or disabled: sources simply won't come back after a reload.
  }
}

/** The tool results remembered for an answer, or an empty list. */
export function recallGrounding(key, answer) {
  const entry = readGrounding(key).find((candidate) => candidate.answer === answer);
  return entry ? entry.grounding : [];
}
