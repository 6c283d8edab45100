// The voice client: connects the page, the microphone and the speaker to one Switchboard
// session, and keeps that session across reloads.

import { RealtimeClient } from './realtime-client.js';
import { Microphone, Player, base64ToPcm16, pcm16ToBase64, SOURCE_RATE } from './audio.js';
import { View, agentLabel } from './ui.js';
import { loadSessionKey, newSessionKey } from './session-store.js';

const SESSION_CONFIG = {
  type: 'realtime',
  output_modalities: ['audio'],
  audio: {
    input: {
      format: { type: 'audio/pcm', rate: SOURCE_RATE },
      transcription: { model: 'whisper-1' },
      turn_detection: {
        type: 'server_vad',
        create_response: true,
        interrupt_response: true,
        silence_duration_ms: 500,
      },
    },
    output: { format: { type: 'audio/pcm', rate: SOURCE_RATE } },
  },
};

/** Counters the page keeps about itself; tests and curious users read them. */
const stats = {
  connects: 0,
  events: 0,
  capturedSamples: 0,
  sentChunks: 0,
  droppedChunks: 0,
  receivedSamples: 0,
  playedSamples: 0,
  truncations: [],
  truncated: [],
  switches: [],
  errors: [],
  resumed: null,
};

class VoiceSession {
  constructor() {
    this.view = new View();
    this.mic = new Microphone();
    this.player = new Player({ onProgress: (progress) => this.onPlayback(progress) });
    this.key = loadSessionKey();
    this.client = null;
    this.agent = null;
    this.items = new Map();
    this.cutItems = new Set();
    this.pendingGrounding = [];
    this.answering = null;
    this.userSpeaking = false;
    this.hasConnected = false;
  }

  start() {
    this.view.setSessionKey(this.key);
    this.bindControls();
    this.connect();
  }

  connect() {
    const client = new RealtimeClient({ sessionKey: this.key });
    client.addEventListener('state', (event) => this.onState(event.detail));
    client.addEventListener('server-event', (event) => this.onServerEvent(event.detail));
    this.client = client;
    client.connect();
  }

  bindControls() {
    document.getElementById('mic').addEventListener('click', () => {
      if (this.mic.active) this.stopMicrophone();
      else this.startMicrophone();
    });
    document.getElementById('composer').addEventListener('submit', (event) => {
      event.preventDefault();
      this.sendText();
    });
    document.getElementById('new-conversation').addEventListener('click', () => this.newConversation());
    window.addEventListener('online', () => this.client.retryNow());
    window.addEventListener('pagehide', () => this.client.close());
    window.addEventListener('pageshow', (event) => {
      if (event.persisted) this.client.connect();
    });
  }

  // Connection

  onState({ state, attempt, delayMs }) {
    const view = this.view;
    switch (state) {
      case 'connecting':
        view.setConnection('Connecting…', state);
        break;
      case 'open':
        stats.connects += 1;
        view.setConnection(this.hasConnected ? 'Reconnected' : 'Connected', state);
        view.clearAlert('connection');
        this.client.send({ type: 'session.update', session: SESSION_CONFIG });
        if (this.hasConnected) view.note('Reconnected to the hub.');
        this.hasConnected = true;
        break;
      case 'reconnecting': {
        const when = delayMs > 0 ? `in ${Math.max(1, Math.round(delayMs / 1000))} s` : 'now';
        const lead = this.hasConnected ? 'Connection lost, reconnecting' : 'Cannot reach the hub, retrying';
        view.setConnection(`${lead} ${when} (attempt ${attempt})…`, state);
        if (delayMs > 0) {
          view.showAlert(this.hasConnected
            ? 'The connection to the hub was lost. Reconnecting automatically; your conversation will resume.'
            : 'Cannot reach the hub. Retrying automatically.',
          { kind: 'connection', actionLabel: 'Retry now', action: () => this.client.retryNow() });
        }
        this.endAnswer();
        break;
      }
      case 'taken-over':
        view.setConnection('Paused: open in another tab', state);
        view.showAlert('This conversation was opened in another tab or window, so this one has stopped.',
          { kind: 'connection', actionLabel: 'Continue here', action: () => this.client.connect() });
        this.stopMicrophone();
        this.endAnswer();
        break;
      case 'refused':
        view.setConnection('Refused by the hub', state);
        view.showAlert('The hub refused this session. Start a new conversation to continue.',
          { kind: 'connection', actionLabel: 'New conversation', action: () => this.newConversation() });
        break;
      default:
        view.setConnection('Disconnected', state);
        break;
    }
  }

  newConversation() {
    this.client.close();
    this.player.interrupt();
    this.key = newSessionKey();
    this.items.clear();
    this.cutItems.clear();
    this.pendingGrounding = [];
    this.answering = null;
    this.hasConnected = false;
    this.view.clear();
    this.view.clearAlert();
    this.view.setSessionKey(this.key);
    this.connect();
  }

  // Server events

  onServerEvent(event) {
    stats.events += 1;
    const handler = SERVER_EVENTS[event.type];
    if (handler) handler.call(this, event);
  }

  onReady(event) {
    stats.resumed = event.resumed;
    this.agent = event.agent;
    this.view.setAgent(event.agent);
    const history = Array.isArray(event.history) ? event.history : [];
    if (this.view.isEmpty() && history.length > 0) {
      this.view.note('Earlier in this conversation', 'history');
      for (const turn of history) this.renderHistoryTurn(turn);
      this.view.note(`Resumed with ${agentLabel(event.agent)}.`, 'history');
    }
  }

  // A turn of the hub's history: the words heard of the answer (cut where the user talked over
  // it, and marked so) and the tool results with their sources.
  renderHistoryTurn(turn) {
    const id = `history-${Math.random().toString(36).slice(2)}`;
    const tools = Array.isArray(turn.tools) ? turn.tools : [];
    if (turn.user) this.view.userTurn(null, turn.user, { earlier: true });
    if (!turn.assistant && !turn.interrupted && tools.length === 0) return;
    this.view.assistantTurn(id, turn.agent, { text: turn.assistant || '', pending: false, earlier: true });
    this.view.sources(id, tools);
    if (turn.interrupted) this.view.markEarlierInterrupted(id, turn.heard_ms);
  }

  onError(event) {
    const error = event.error || {};
    stats.errors.push(error);
    if (error.code === 'session_taken_over') return;
    const code = error.code ? ` (${error.code})` : '';
    this.view.showAlert(`The hub reported an error: ${error.message || 'unknown error'}${code}`, { kind: 'server' });
  }

  onSpeechStarted(event) {
    this.userSpeaking = true;
    this.view.setHearing(true);
    this.view.userTurn(event.item_id, '', { pending: true });
    this.bargeIn();
  }

  onSpeechStopped() {
    this.userSpeaking = false;
    this.view.setHearing(false);
  }

  onAgentSwitched(event) {
    stats.switches.push({ from: event.from, to: event.to, reason: event.reason });
    this.agent = event.to;
    this.view.setAgent(event.to, { switched: true });
    const reason = event.reason ? ` (${event.reason})` : '';
    this.view.note(`${agentLabel(event.from)} handed you over to ${agentLabel(event.to)}${reason}.`, 'switch');
  }

  onToolResult(event) {
    const result = { tool: event.tool, outcome: event.outcome, agent: event.agent, sources: event.sources || [] };
    if (this.answering) {
      this.items.get(this.answering).grounding.push(result);
      this.view.sources(this.answering, [result]);
    } else {
      this.pendingGrounding.push(result);
    }
  }

  onOutputItem(event) {
    const item = event.item || {};
    if (item.type !== 'message' || item.role !== 'assistant') return;
    const grounding = this.pendingGrounding;
    this.pendingGrounding = [];
    this.items.set(item.id, { grounding, audioDone: false, received: 0 });
    this.answering = item.id;
    this.view.assistantTurn(item.id, this.agent);
    this.view.sources(item.id, grounding);
  }

  ensureAnswer(id) {
    if (!this.items.has(id)) this.onOutputItem({ item: { id, type: 'message', role: 'assistant' } });
  }

  onTranscriptDelta(event) {
    this.ensureAnswer(event.item_id);
    this.view.assistantDelta(event.item_id, event.delta || '');
  }

  onTranscriptDone(event) {
    this.ensureAnswer(event.item_id);
    const text = event.transcript !== undefined ? event.transcript : event.text;
    this.view.assistantDone(event.item_id, text);
  }

  onAudioDelta(event) {
    if (this.cutItems.has(event.item_id) || !event.delta) return;
    this.ensureAnswer(event.item_id);
    const pcm = base64ToPcm16(event.delta);
    const info = this.items.get(event.item_id);
    info.received += pcm.length;
    stats.receivedSamples += pcm.length;
    this.player.enqueue(event.item_id, pcm);
  }

  onAudioDone(event) {
    const info = this.items.get(event.item_id);
    if (info) info.audioDone = true;
    this.player.end(event.item_id);
  }

  onResponseDone(event) {
    const response = event.response || {};
    const details = response.status_details;
    if (response.status === 'failed' && details && details.error) {
      this.view.showAlert(`The answer failed: ${details.error.message || details.error.code || 'unknown error'}`, { kind: 'server' });
    }
    this.endAnswer();
  }

  endAnswer() {
    if (this.answering) this.view.assistantDone(this.answering);
    this.answering = null;
  }

  // Barge-in: the caller started talking, so the agent stops at once and the hub learns how
  // much of the answer was actually heard.

  async bargeIn() {
    const cut = await this.player.interrupt();
    this.view.setAgentSpeaking(false);
    if (!cut || !cut.item) return;
    const info = this.items.get(cut.item);
    const unfinished = cut.remaining > 0 || (info !== undefined && !info.audioDone);
    if (!unfinished || this.cutItems.has(cut.item)) return;
    this.cutItems.add(cut.item);
    const received = info ? info.received : cut.played;
    const played = Math.min(cut.played, received);
    const audioEndMs = Math.floor((played * 1000) / SOURCE_RATE);
    this.client.send({ type: 'conversation.item.truncate', item_id: cut.item, content_index: 0, audio_end_ms: audioEndMs });
    stats.truncations.push({
      item_id: cut.item, audio_end_ms: audioEndMs, playedSamples: played, receivedSamples: received, remainingSamples: cut.remaining,
    });
    this.view.markInterrupted(cut.item, audioEndMs);
  }

  onPlayback(progress) {
    stats.playedSamples = progress.totalPlayed;
    this.view.setPlayedSamples(progress.totalPlayed);
    this.view.setAgentSpeaking(progress.playing);
  }

  // Talking and typing

  async startMicrophone() {
    this.view.setMic('starting');
    this.view.clearAlert('mic');
    this.player.start().catch((error) => this.audioOutputFailed(error));
    try {
      await this.mic.start({
        onChunk: (pcm) => this.sendAudio(pcm),
        onLevel: (peak) => this.view.setLevel(peak),
      });
      this.view.setMic('on');
    } catch (error) {
      const denied = error.reason === 'denied';
      this.view.setMic(denied ? 'denied' : 'off', denied ? 'Microphone blocked — you can still type' : undefined);
      this.view.showAlert(error.message, { kind: 'mic', actionLabel: 'Try again', action: () => this.startMicrophone() });
    }
  }

  stopMicrophone() {
    if (!this.mic.active) return;
    this.mic.stop();
    if (this.userSpeaking && this.client.isOpen) this.client.send({ type: 'input_audio_buffer.commit' });
    this.userSpeaking = false;
    this.view.setMic('off');
  }

  sendAudio(pcm) {
    stats.capturedSamples += pcm.length;
    if (this.client.send({ type: 'input_audio_buffer.append', audio: pcm16ToBase64(pcm) })) stats.sentChunks += 1;
    else stats.droppedChunks += 1;
  }

  sendText() {
    const input = document.getElementById('message');
    const text = input.value.trim();
    if (!text) return;
    if (!this.client.isOpen) {
      this.view.showAlert('Not connected to the hub, so the message was not sent. It is still in the box; send it again once reconnected.',
        { kind: 'connection', actionLabel: 'Retry now', action: () => this.client.retryNow() });
      return;
    }
    this.player.start().catch((error) => this.audioOutputFailed(error));
    this.bargeIn();
    this.view.userTurn(null, text);
    this.client.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    this.client.send({ type: 'response.create' });
    input.value = '';
  }

  audioOutputFailed(error) {
    this.view.showAlert(`Audio output could not start (${error.message || error}); answers are shown as text.`, { kind: 'audio' });
  }
}

const SERVER_EVENTS = {
  'hub.session.ready': VoiceSession.prototype.onReady,
  'hub.session.taken_over': () => {},
  'hub.agent.switched': VoiceSession.prototype.onAgentSwitched,
  'hub.tool.result': VoiceSession.prototype.onToolResult,
  error: VoiceSession.prototype.onError,
  'input_audio_buffer.speech_started': VoiceSession.prototype.onSpeechStarted,
  'input_audio_buffer.speech_stopped': VoiceSession.prototype.onSpeechStopped,
  'conversation.item.input_audio_transcription.delta': function onDelta(event) {
    this.view.userTranscript(event.item_id, event.delta || '', { final: false });
  },
  'conversation.item.input_audio_transcription.completed': function onCompleted(event) {
    this.view.userTranscript(event.item_id, event.transcript || '', { final: true });
  },
  'conversation.item.input_audio_transcription.failed': function onFailed(event) {
    this.view.userTranscript(event.item_id, '', { final: true });
  },
  'response.output_item.added': VoiceSession.prototype.onOutputItem,
  'response.output_audio_transcript.delta': VoiceSession.prototype.onTranscriptDelta,
  'response.output_audio_transcript.done': VoiceSession.prototype.onTranscriptDone,
  'response.output_text.delta': VoiceSession.prototype.onTranscriptDelta,
  'response.output_text.done': VoiceSession.prototype.onTranscriptDone,
  'response.output_audio.delta': VoiceSession.prototype.onAudioDelta,
  'response.output_audio.done': VoiceSession.prototype.onAudioDone,
  'response.done': VoiceSession.prototype.onResponseDone,
  'conversation.item.truncated': function onTruncated(event) {
    stats.truncated.push({ item_id: event.item_id, audio_end_ms: event.audio_end_ms });
  },
};

const session = new VoiceSession();

window.switchboardClient = {
  stats,
  get sessionKey() { return session.key; },
  get connection() { return session.client ? session.client.state : 'closed'; },
  get agent() { return session.agent; },
  /** Sends one raw client event (for debugging from the console). */
  send: (event) => session.client.send(event),
};

session.start();
