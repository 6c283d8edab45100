// Agent speech playback with a small jitter buffer.
//
// Audio arrives as PCM16 at the source rate (24 kHz), tagged with the conversation item it
// belongs to. Playback starts once a little audio is queued (or the item's audio is complete),
// and pauses to refill when the queue runs dry. The processor counts the source samples it has
// actually played, per item, so an interruption can report exactly how much of an answer was
// heard.

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { sourceRate = 24000, prebufferMs = 80, reportMs = 50 } = options.processorOptions || {};
    this.ratio = sourceRate / sampleRate;
    this.prebuffer = Math.round((sourceRate * prebufferMs) / 1000);
    this.reportEvery = Math.round((sampleRate * reportMs) / 1000);
    this.queue = [];
    this.queued = 0;
    this.position = 0;
    this.buffering = true;
    this.complete = new Set();
    this.playedByItem = new Map();
    this.currentItem = null;
    this.totalPlayed = 0;
    this.sinceReport = 0;
    this.wasPlaying = false;
    this.port.onmessage = (event) => this.receive(event.data);
  }

  receive(message) {
    switch (message.type) {
      case 'audio': {
        const pcm = new Int16Array(message.pcm);
        const samples = new Float32Array(pcm.length);
        for (let i = 0; i < pcm.length; i += 1) samples[i] = pcm[i] / 0x8000;
        this.queue.push({ item: message.item, samples });
        this.queued += samples.length;
        break;
      }
      case 'end':
        if (this.queue.some((chunk) => chunk.item === message.item)) this.complete.add(message.item);
        break;
      case 'flush': {
        const item = this.queue.length > 0 ? this.queue[0].item : this.currentItem;
        const remaining = this.queued - Math.floor(this.position);
        this.port.postMessage({
          type: 'flushed',
          id: message.id,
          item,
          played: item ? this.playedByItem.get(item) || 0 : 0,
          remaining: Math.max(0, remaining),
          totalPlayed: this.totalPlayed,
        });
        this.queue = [];
        this.queued = 0;
        this.position = 0;
        this.buffering = true;
        this.complete.clear();
        this.report(true);
        break;
      }
      default:
        break;
    }
  }

  headIsComplete() {
    const head = this.queue[0];
    return head !== undefined && this.complete.has(head.item);
  }

  process(_inputs, outputs) {
    const output = outputs[0];
    const left = output[0];
    if (this.buffering && (this.queued >= this.prebuffer || this.headIsComplete())) {
      this.buffering = false;
    }
    for (let frame = 0; frame < left.length; frame += 1) {
      if (this.buffering || this.queue.length === 0) {
        left[frame] = 0;
        continue;
      }
      const head = this.queue[0];
      const index = Math.floor(this.position);
      const fraction = this.position - index;
      const current = head.samples[index];
      const next = index + 1 < head.samples.length ? head.samples[index + 1] : current;
      left[frame] = current + (next - current) * fraction;
      this.currentItem = head.item;
      const before = index;
      this.position += this.ratio;
      const consumed = Math.min(Math.floor(this.position), head.samples.length) - before;
      if (consumed > 0) {
        this.playedByItem.set(head.item, (this.playedByItem.get(head.item) || 0) + consumed);
        this.totalPlayed += consumed;
      }
      if (this.position >= head.samples.length) {
        this.position -= head.samples.length;
        this.queued -= head.samples.length;
        this.queue.shift();
        if (this.queue.length === 0 || this.queue[0].item !== head.item) this.complete.delete(head.item);
        if (this.queue.length === 0) {
          this.position = 0;
          this.buffering = true;
        }
      }
    }
    for (let channel = 1; channel < output.length; channel += 1) output[channel].set(left);
    this.sinceReport += left.length;
    if (this.sinceReport >= this.reportEvery) this.report(false);
    return true;
  }

  report(force) {
    const playing = !this.buffering && this.queue.length > 0;
    if (!force && !playing && !this.wasPlaying) {
      this.sinceReport = 0;
      return;
    }
    this.wasPlaying = playing;
    this.sinceReport = 0;
    this.port.postMessage({
      type: 'progress',
      playing,
      item: this.currentItem,
      itemPlayed: this.currentItem ? this.playedByItem.get(this.currentItem) || 0 : 0,
      totalPlayed: this.totalPlayed,
      queued: Math.max(0, this.queued - Math.floor(this.position)),
    });
  }
}

registerProcessor('switchboard-playback', PlaybackProcessor);
