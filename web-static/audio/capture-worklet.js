// Microphone capture: turns the audio graph's float samples (at the context's rate) into
// PCM16 mono at the target rate and hands it over in fixed-size chunks.

class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetRate = 24000, chunkMs = 50 } = options.processorOptions || {};
    // Input samples per output sample; each output sample is the mean of the input samples it
    // covers, a box filter that keeps most aliasing out when the context runs faster.
    this.step = sampleRate / targetRate;
    this.chunk = new Int16Array(Math.round((targetRate * chunkMs) / 1000));
    this.filled = 0;
    this.sum = 0;
    this.count = 0;
    this.phase = 0;
    this.peak = 0;
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data && event.data.type === 'stop') this.running = false;
    };
  }

  process(inputs) {
    if (!this.running) return false;
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i += 1) {
      this.sum += channel[i];
      this.count += 1;
      this.phase += 1;
      if (this.phase >= this.step) {
        this.phase -= this.step;
        this.emit(this.sum / this.count);
        this.sum = 0;
        this.count = 0;
      }
    }
    return true;
  }

  emit(value) {
    const clamped = Math.max(-1, Math.min(1, value));
    const magnitude = Math.abs(clamped);
    if (magnitude > this.peak) this.peak = magnitude;
    this.chunk[this.filled] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    this.filled += 1;
    if (this.filled === this.chunk.length) {
      const size = this.chunk.length;
      this.port.postMessage({ type: 'chunk', pcm: this.chunk.buffer, peak: this.peak }, [this.chunk.buffer]);
      this.chunk = new Int16Array(size);
      this.filled = 0;
      this.peak = 0;
    }
  }
}

registerProcessor('switchboard-capture', CaptureProcessor);
