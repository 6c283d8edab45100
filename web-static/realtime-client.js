// The WebSocket to the hub's /realtime endpoint: one session key, hub events on, JSON events
// in and out, and reconnection with exponential backoff when the connection drops.
//
// Events dispatched:
//   'server-event'  detail: the parsed server event
//   'state'         detail: { state, attempt, delayMs, code, reason }
//     state is 'connecting' | 'open' | 'reconnecting' | 'taken-over' | 'refused' | 'closed'

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10000;
const TAKEN_OVER = 4000;
const POLICY_VIOLATION = 1008;

export class RealtimeClient extends EventTarget {
  constructor({ sessionKey, path = '/realtime' }) {
    super();
    this.sessionKey = sessionKey;
    this.path = path;
    this.socket = null;
    this.state = 'closed';
    this.attempt = 0;
    this.timer = null;
    this.wanted = false;
    this.takenOver = false;
  }

  get url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = new URLSearchParams({ session_state_key: this.sessionKey, hub_events: '1' });
    return `${scheme}//${location.host}${this.path}?${query}`;
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  /** Opens the connection and keeps it open until close(). */
  connect() {
    this.wanted = true;
    this.takenOver = false;
    clearTimeout(this.timer);
    this.open();
  }

  /** Closes the connection for good (until connect() is called again). */
  close() {
    this.wanted = false;
    clearTimeout(this.timer);
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close(1000, 'client closed');
    }
    this.setState('closed', {});
  }

  /** Sends one client event; false when the connection is not open. */
  send(event) {
    if (!this.isOpen) return false;
    this.socket.send(typeof event === 'string' ? event : JSON.stringify(event));
    return true;
  }

  /**
   * A client secret for the connection, as OpenAI's browser clients use: minted by the page's
   * origin (POST /v1/realtime/client_secrets; a loopback hub with no keys mints without one),
   * or by the site's own backend when the page names it in
   * <meta name="switchboard-client-secret-url" content="https://…">, answering { value, expires_at }.
   * Kept until 30 s before it expires; a started session outlives it.
   */
  async clientSecret() {
    const now = Date.now() / 1000;
    if (this.secret && this.secret.expires_at - 30 > now) return this.secret.value;
    const meta = document.querySelector('meta[name="switchboard-client-secret-url"]');
    const url = (meta && meta.content) || '/v1/realtime/client_secrets';
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ expires_after: { anchor: 'created_at', seconds: 600 } }),
      credentials: 'same-origin',
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok || typeof body.value !== 'string') {
      const message = (body.error && body.error.message) || `HTTP ${response.status}`;
      throw Object.assign(new Error(`could not get a client secret: ${message}`), { refused: response.status < 500 });
    }
    this.secret = body;
    return body.value;
  }

  async open() {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.attempt, delayMs: 0 });
    let secret;
    try {
      secret = await this.clientSecret();
    } catch (error) {
      if (error.refused) {
        this.wanted = false;
        this.setState('refused', { code: POLICY_VIOLATION, reason: error.message });
      } else {
        this.scheduleReconnect({ code: 0, reason: String(error) });
      }
      return;
    }
    if (!this.wanted) return;
    let socket;
    try {
      socket = new WebSocket(this.url, ['realtime', `openai-insecure-api-key.${secret}`]);
    } catch (error) {
      this.scheduleReconnect({ code: 0, reason: String(error) });
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.renewedSecret = false;
      this.setState('open', {});
    };
    socket.onmessage = (message) => {
      if (this.socket !== socket || typeof message.data !== 'string') return;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.type === 'hub.session.taken_over') this.takenOver = true;
      this.dispatchEvent(new CustomEvent('server-event', { detail: event }));
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (close.code === TAKEN_OVER || this.takenOver) {
        this.wanted = false;
        this.setState('taken-over', { code: close.code, reason: close.reason });
      } else if (close.code === POLICY_VIOLATION && close.reason === 'unauthorized' && this.secret && !this.renewedSecret) {
        // The secret was refused (the hub restarted with another key, or it expired): mint a new one, once.
        this.secret = null;
        this.renewedSecret = true;
        this.scheduleReconnect({ code: close.code, reason: close.reason });
      } else if (close.code === POLICY_VIOLATION) {
        this.wanted = false;
        this.setState('refused', { code: close.code, reason: close.reason });
      } else if (this.wanted) {
        this.scheduleReconnect({ code: close.code, reason: close.reason });
      } else {
        this.setState('closed', { code: close.code, reason: close.reason });
      }
    };
  }

  scheduleReconnect({ code, reason }) {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    const delayMs = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.setState('reconnecting', { attempt: this.attempt, delayMs, code, reason });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.wanted) this.open();
    }, delayMs);
  }

  /** Skips the wait before the next reconnection attempt. */
  retryNow() {
    if (!this.wanted || this.isOpen) return;
    clearTimeout(this.timer);
    if (this.socket) return;
    this.open();
  }

  setState(state, details) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...details } }));
  }
}
