// What the page shows: connection status, the active agent, the microphone, alerts, and the
// transcript of both sides with the sources behind each answer.

const $ = (id) => document.getElementById(id);

/** "flight" → "Flight", "hotel_desk" → "Hotel desk". */
export function agentLabel(name) {
  if (!name) return 'Agent';
  const words = String(name).replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class View {
  constructor() {
    this.log = $('log');
    this.turns = new Map();
    this.alertAction = null;
    $('alert-dismiss').addEventListener('click', () => this.clearAlert());
    $('alert-action').addEventListener('click', () => {
      const action = this.alertAction;
      this.clearAlert();
      if (action) action();
    });
  }

  // Status bar

  setConnection(text, state) {
    $('connection').textContent = text;
    document.body.dataset.connection = state;
  }

  setAgent(name, { switched = false } = {}) {
    const badge = $('agent');
    $('agent-name').textContent = agentLabel(name);
    badge.dataset.agent = name || '';
    if (switched) {
      badge.classList.remove('switched');
      void badge.offsetWidth;
      badge.classList.add('switched');
    }
  }

  setAgentSpeaking(speaking) {
    $('agent-speaking').hidden = !speaking;
    $('agent').classList.toggle('speaking', speaking);
    document.body.dataset.agentSpeaking = speaking ? 'yes' : 'no';
  }

  setSessionKey(key) {
    $('session-key').textContent = key.slice(0, 8);
    $('session-key').title = key;
  }

  setPlayedSamples(count) {
    document.body.dataset.playedSamples = String(count);
  }

  // Microphone

  setMic(state, detail) {
    const button = $('mic');
    document.body.dataset.mic = state;
    button.setAttribute('aria-pressed', state === 'on' ? 'true' : 'false');
    button.disabled = state === 'starting';
    $('mic-label').textContent = state === 'on' ? 'Stop talking' : 'Start talking';
    const text = {
      off: 'Microphone off',
      starting: 'Starting the microphone…',
      on: 'Listening — just talk',
      hearing: 'Hearing you…',
      denied: 'Microphone blocked',
    }[state];
    $('mic-state').textContent = detail || text || '';
    if (state !== 'on' && state !== 'hearing') this.setLevel(0);
  }

  setHearing(hearing) {
    if (document.body.dataset.mic !== 'on') return;
    $('mic-state').textContent = hearing ? 'Hearing you…' : 'Listening — just talk';
    document.body.dataset.hearing = hearing ? 'yes' : 'no';
  }

  setLevel(peak) {
    const percent = Math.min(100, Math.round(Math.sqrt(peak) * 100));
    $('level-bar').style.width = `${percent}%`;
  }

  // Alerts

  showAlert(text, { kind = 'error', actionLabel, action } = {}) {
    const box = $('alert');
    box.dataset.kind = kind;
    $('alert-text').textContent = text;
    const button = $('alert-action');
    this.alertAction = action || null;
    button.hidden = !action;
    if (action) button.textContent = actionLabel;
    box.hidden = false;
  }

  clearAlert(kind) {
    const box = $('alert');
    if (kind && box.dataset.kind !== kind) return;
    box.hidden = true;
    box.dataset.kind = '';
    this.alertAction = null;
  }

  // Transcript

  clear() {
    this.log.replaceChildren();
    this.turns.clear();
    $('empty-hint').hidden = false;
  }

  isEmpty() {
    return this.log.children.length === 0;
  }

  append(node) {
    const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
    this.log.append(node);
    $('empty-hint').hidden = true;
    if (nearBottom) node.scrollIntoView({ block: 'end', behavior: 'smooth' });
  }

  turn(role, id, { who, text = '', pending = false, earlier = false } = {}) {
    const item = element('li', `turn ${role}`);
    if (id) item.dataset.item = id;
    if (earlier) item.classList.add('earlier');
    const bubble = element('div', 'bubble');
    bubble.append(element('p', 'who', who));
    const body = element('p', 'text', text);
    bubble.append(body);
    item.append(bubble);
    if (pending) item.classList.add('pending');
    item.setAttribute('aria-busy', pending ? 'true' : 'false');
    if (id) this.turns.set(id, item);
    this.append(item);
    return item;
  }

  /** The user's words: a placeholder while they speak, filled in as the transcript arrives. */
  userTurn(id, text, { pending = false, earlier = false } = {}) {
    const existing = id && this.turns.get(id);
    if (existing) return existing;
    return this.turn('user', id, { who: 'You', text: pending ? '…' : text, pending, earlier });
  }

  userTranscript(id, text, { final }) {
    const item = this.turns.get(id) || this.userTurn(id, '', { pending: true });
    const body = item.querySelector('.text');
    if (final) {
      body.textContent = text.trim() ? text : 'Nothing recognised — please say it again.';
      item.classList.toggle('unheard', !text.trim());
      item.classList.remove('pending');
      item.setAttribute('aria-busy', 'false');
    } else {
      body.textContent = item.classList.contains('pending') && body.textContent === '…' ? text : body.textContent + text;
    }
  }

  assistantTurn(id, agent, { text = '', pending = true, earlier = false } = {}) {
    const existing = this.turns.get(id);
    if (existing) return existing;
    const item = this.turn('assistant', id, { who: agentLabel(agent), text, pending, earlier });
    item.dataset.agent = agent || '';
    return item;
  }

  assistantDelta(id, delta) {
    const item = this.turns.get(id);
    if (item) item.querySelector('.text').textContent += delta;
  }

  assistantDone(id, text) {
    const item = this.turns.get(id);
    if (!item) return;
    if (text) item.querySelector('.text').textContent = text;
    item.classList.remove('pending');
    item.setAttribute('aria-busy', 'false');
  }

  markInterrupted(id, heardMs) {
    const item = this.turns.get(id);
    if (!item || item.classList.contains('interrupted')) return;
    item.classList.add('interrupted');
    const flag = element('p', 'flag', `Interrupted after ${(heardMs / 1000).toFixed(1)} s`);
    item.querySelector('.bubble').append(flag);
  }

  /** An answer from the history that the user talked over: only the words heard are shown. */
  markEarlierInterrupted(id, heardMs) {
    const item = this.turns.get(id);
    if (!item || item.classList.contains('interrupted')) return;
    item.classList.add('interrupted');
    const after = Number.isFinite(heardMs) && heardMs > 0 ? ` after ${(heardMs / 1000).toFixed(1)} s` : '';
    const heard = item.querySelector('.text').textContent ? '' : ' before any of it was heard';
    item.querySelector('.bubble').append(element('p', 'flag', `(interrupted${after || heard})`));
  }

  note(text, kind = 'info') {
    const item = element('li', `note ${kind}`, text);
    this.append(item);
    return item;
  }

  /** The tool results an answer rests on, shown beside it. */
  sources(id, grounding) {
    const item = this.turns.get(id);
    if (!item || grounding.length === 0) return;
    let aside = item.querySelector('.sources');
    if (!aside) {
      aside = element('aside', 'sources');
      aside.setAttribute('aria-label', 'Sources for this answer');
      aside.append(element('h3', 'sources-title', 'Sources'));
      aside.append(element('ul', 'sources-list'));
      item.append(aside);
      item.classList.add('grounded');
    }
    const list = aside.querySelector('ul');
    for (const result of grounding) {
      const entry = element('li', `source outcome-${String(result.outcome || '').replace(/[^a-z_]/gi, '')}`);
      entry.append(element('span', 'tool', `${result.tool} → ${result.outcome}`));
      const documents = Array.isArray(result.sources) ? result.sources : [];
      if (documents.length > 0) {
        const docs = element('ul', 'documents');
        for (const doc of documents) {
          const line = element('li', 'document');
          if (doc.title) {
            line.append(element('span', 'doc-title', doc.title));
            line.append(element('span', 'doc-source', ` ${doc.source || ''}`));
          } else {
            line.append(element('span', 'doc-source', [doc.source, doc.id].filter(Boolean).join(' · ')));
          }
          docs.append(line);
        }
        entry.append(docs);
      }
      list.append(entry);
    }
  }
}
