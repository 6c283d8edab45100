// Audio in and out of the browser: the microphone as PCM16 24 kHz chunks, and the agent's
// PCM16 24 kHz speech played through a worklet that counts what was actually heard.

export const SOURCE_RATE = 24000;
const CHUNK_MS = 50;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes base64 PCM16 little-endian into an Int16Array. */
export function base64ToPcm16(text) {
  const binary = atob(text);
  const count = binary.length >> 1;
  const pcm = new Int16Array(count);
  if (LITTLE_ENDIAN) {
    const bytes = new Uint8Array(pcm.buffer);
    for (let i = 0; i < count * 2; i += 1) bytes[i] = binary.charCodeAt(i);
  } else {
    for (let i = 0; i < count; i += 1) {
      const value = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
      pcm[i] = value > 0x7fff ? value - 0x10000 : value;
    }
  }
  return pcm;
}

/** Encodes an Int16Array as base64 PCM16 little-endian. */
export function pcm16ToBase64(pcm) {
  let bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  if (!LITTLE_ENDIAN) {
    bytes = new Uint8Array(pcm.length * 2);
    const view = new DataView(bytes.buffer);
    pcm.forEach((value, i) => view.setInt16(2 * i, value, true));
  }
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

function audioContextClass() {
  return window.AudioContext || window.webkitAudioContext;
}

/** A microphone that could not be opened, with a reason the page can explain. */
export class MicrophoneError extends Error {
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

function explainMicrophoneFailure(error) {
  const name = error && error.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return new MicrophoneError('denied',
      'Microphone access was denied. Allow the microphone for this site in your browser settings, then press Start talking again. You can still type your question below.');
  }
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return new MicrophoneError('missing', 'No microphone was found. Connect one and press Start talking again, or type your question below.');
  }
  if (name === 'NotReadableError' || name === 'AbortError') {
    return new MicrophoneError('busy', 'The microphone is in use by another application or could not be started. Close it there and try again.');
  }
  return new MicrophoneError('failed', `The microphone could not be started (${(error && error.message) || error}).`);
}

/** Captures the microphone and delivers PCM16 mono 24 kHz chunks of about 50 ms. */
export class Microphone {
  constructor() {
    this.stream = null;
    this.context = null;
    this.node = null;
  }

  get active() {
    return this.stream !== null;
  }

  async start({ onChunk, onLevel }) {
    if (this.active) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new MicrophoneError('insecure',
        'This browser only allows the microphone on https:// pages or on localhost. Open the hub at 127.0.0.1 or behind https, or type your question below.');
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
    } catch (error) {
      throw explainMicrophoneFailure(error);
    }
    try {
      const Context = audioContextClass();
      const context = new Context({ latencyHint: 'interactive' });
      await context.audioWorklet.addModule(new URL('./audio/capture-worklet.js', import.meta.url));
      const source = context.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(context, 'switchboard-capture', {
        numberOfInputs: 1,
        numberOfOutputs: 0,
        channelCount: 1,
        channelCountMode: 'explicit',
        processorOptions: { targetRate: SOURCE_RATE, chunkMs: CHUNK_MS },
      });
      node.port.onmessage = (event) => {
        if (event.data.type !== 'chunk') return;
        onChunk(new Int16Array(event.data.pcm));
        if (onLevel) onLevel(event.data.peak);
      };
      source.connect(node);
      if (context.state === 'suspended') await context.resume();
      this.stream = stream;
      this.context = context;
      this.node = node;
    } catch (error) {
      stream.getTracks().forEach((track) => track.stop());
      throw new MicrophoneError('failed', `The microphone could not be started (${error.message || error}).`);
    }
  }

  stop() {
    if (this.node) {
      this.node.port.postMessage({ type: 'stop' });
      this.node.disconnect();
    }
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    if (this.context) this.context.close().catch(() => {});
    this.stream = null;
    this.context = null;
    this.node = null;
  }
}

/**
 * Plays the agent's speech. `progress` reports samples actually played (at 24 kHz);
 * `interrupt()` stops at once and says how much of the current item was heard.
 */
export class Player {
  constructor({ onProgress } = {}) {
    this.onProgress = onProgress || (() => {});
    this.context = null;
    this.node = null;
    this.starting = null;
    this.pendingFlushes = new Map();
    this.nextFlushId = 1;
    this.waiting = [];
  }

  get ready() {
    return this.node !== null;
  }

  /** Creates the audio output; call it from a user gesture so the browser lets it play. */
  start() {
    if (this.starting) return this.starting;
    this.starting = (async () => {
      const Context = audioContextClass();
      let context;
      try {
        context = new Context({ sampleRate: SOURCE_RATE, latencyHint: 'interactive' });
      } catch {
        context = new Context({ latencyHint: 'interactive' });
      }
      await context.audioWorklet.addModule(new URL('./audio/playback-worklet.js', import.meta.url));
      const node = new AudioWorkletNode(context, 'switchboard-playback', {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        processorOptions: { sourceRate: SOURCE_RATE, prebufferMs: 80 },
      });
      node.port.onmessage = (event) => this.receive(event.data);
      node.connect(context.destination);
      if (context.state === 'suspended') await context.resume();
      this.context = context;
      this.node = node;
      this.waiting.forEach((message) => this.post(message));
      this.waiting = [];
    })();
    this.starting.catch(() => {
      this.starting = null;
    });
    return this.starting;
  }

  receive(message) {
    if (message.type === 'progress') {
      this.onProgress(message);
    } else if (message.type === 'flushed') {
      const resolve = this.pendingFlushes.get(message.id);
      this.pendingFlushes.delete(message.id);
      if (resolve) resolve(message);
    }
  }

  post(message) {
    if (message.pcm) this.node.port.postMessage(message, [message.pcm]);
    else this.node.port.postMessage(message);
  }

  /** Queues PCM16 samples of one item; false when there is no audio output to play them. */
  enqueue(item, pcm) {
    const message = { type: 'audio', item, pcm: pcm.buffer };
    if (this.node) this.post(message);
    else if (this.starting) this.waiting.push(message);
    else return false;
    return true;
  }

  /** Says an item's audio is complete, so its tail plays without waiting for more. */
  end(item) {
    const message = { type: 'end', item };
    if (this.node) this.post(message);
    else if (this.starting) this.waiting.push(message);
  }

  /** Stops playback now and drops what is queued; resolves with what was heard of the item. */
  interrupt() {
    this.waiting = [];
    if (!this.node) return Promise.resolve(null);
    const id = this.nextFlushId;
    this.nextFlushId += 1;
    return new Promise((resolve) => {
      this.pendingFlushes.set(id, resolve);
      this.node.port.postMessage({ type: 'flush', id });
    });
  }
}
