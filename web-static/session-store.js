// What the browser remembers between visits: the session key. Everything else (the words of
// earlier turns, whether an answer was interrupted, the sources behind it) comes back from the
// hub's history in hub.session.ready.

const KEY_ITEM = 'switchboard.sessionKey';
/** Sources earlier versions of the page cached here; the hub's history carries them now. */
const OLD_GROUNDING_PREFIX = 'switchboard.grounding.';
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

function forgetOldGrounding(store) {
  for (let index = store.length - 1; index >= 0; index -= 1) {
    const name = store.key(index);
    if (name && name.startsWith(OLD_GROUNDING_PREFIX)) store.removeItem(name);
  }
}

/** The session key kept in localStorage; a new one is made when there is none. */
export function loadSessionKey() {
  const store = storage();
  if (store) forgetOldGrounding(store);
  const saved = store && store.getItem(KEY_ITEM);
  if (saved && UUID.test(saved)) return saved;
  return newSessionKey();
}

/** Starts a new conversation: a fresh key replaces the saved one. */
export function newSessionKey() {
  const key = randomUUID();
  const store = storage();
  if (store) store.setItem(KEY_ITEM, key);
  return key;
}
