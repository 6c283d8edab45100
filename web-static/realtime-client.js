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

  open() {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.attempt, delayMs: 0 });
    let socket;
    try {
      socket = new WebSocket(this.url, ['realtime']);
    } catch (error) {
      this.scheduleReconnect({ code: 0, reason: String(error) });
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
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
