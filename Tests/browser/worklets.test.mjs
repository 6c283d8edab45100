// The audio worklets outside the browser: what the playback worklet counts as played, what an
// interruption reports, and what the capture worklet sends.
//
//   node --test Tests/browser/

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const web = fileURLToPath(new URL('../../web-static/audio/', import.meta.url));

/** Loads a worklet file into a fresh AudioWorkletGlobalScope stand-in at a given rate. */
function loadProcessor(file, rate) {
  const registered = {};
  class AudioWorkletProcessor {
    constructor() {
      const sent = [];
      this.sent = sent;
      this.port = { postMessage: (message) => sent.push(message), onmessage: null };
    }
  }
  const scope = {
    AudioWorkletProcessor,
    sampleRate: rate,
    registerProcessor: (name, processor) => { registered[name] = processor; },
  };
  vm.runInNewContext(readFileSync(web + file, 'utf8'), scope);
  return Object.values(registered)[0];
}

function playback(rate, options = {}) {
  const Processor = loadProcessor('playback-worklet.js', rate);
  const node = new Processor({ processorOptions: { sourceRate: 24000, prebufferMs: 80, ...options } });
  node.deliver = (message) => node.port.onmessage({ data: message });
  node.render = (quanta) => {
    const out = [];
    for (let i = 0; i < quanta; i += 1) {
      const frame = [new Float32Array(128)];
      node.process([], [frame]);
      out.push(...frame[0]);
    }
    return out;
  };
  node.audio = (item, samples, value = 1000) => {
    const pcm = new Int16Array(samples).fill(value);
    node.deliver({ type: 'audio', item, pcm: pcm.buffer });
  };
  node.flush = () => {
    node.deliver({ type: 'flush', id: 7 });
    return node.sent.filter((m) => m.type === 'flushed').at(-1);
  };
  return node;
}

test('waits for the jitter buffer, then plays and counts every sample', () => {
  const node = playback(24000);
  node.audio('a', 1000); // 41 ms: less than the 80 ms prebuffer
  assert.ok(node.render(4).every((v) => v === 0), 'nothing plays before the buffer fills');
  node.audio('a', 2000);
  const out = node.render(10);
  assert.ok(out.slice(0, 128).every((v) => Math.abs(v - 1000 / 0x8000) < 1e-6));
  assert.equal(node.flush().totalPlayed, 1280);
});

test('a complete short answer plays without waiting for the buffer', () => {
  const node = playback(24000);
  node.audio('a', 300);
  node.deliver({ type: 'end', item: 'a' });
  node.render(4);
  const cut = node.flush();
  assert.equal(cut.totalPlayed, 300);
  assert.equal(cut.remaining, 0);
});

test('an interruption reports what was heard of the current item and drops the rest', () => {
  const node = playback(24000);
  node.audio('a', 2400);
  node.deliver({ type: 'end', item: 'a' });
  node.audio('b', 4800);
  node.render(25); // 3200 samples: all of a, 800 of b
  const cut = node.flush();
  assert.equal(cut.item, 'b');
  assert.equal(cut.played, 800);
  assert.equal(cut.remaining, 4000);
  assert.ok(node.render(3).every((v) => v === 0), 'silence right after the interruption');
});

test('at a 48 kHz context each source sample plays twice and is counted once', () => {
  const node = playback(48000);
  node.audio('a', 4800);
  node.deliver({ type: 'end', item: 'a' });
  node.render(20); // 2560 output frames = 1280 source samples
  const cut = node.flush();
  assert.equal(cut.played, 1280);
  assert.equal(cut.remaining, 4800 - 1280);
});

test('at 44.1 kHz the count never passes what was received', () => {
  const node = playback(44100);
  node.audio('a', 2400);
  node.deliver({ type: 'end', item: 'a' });
  node.render(100);
  assert.equal(node.flush().played, 2400);
});

test('capture sends 50 ms PCM16 chunks at 24 kHz from a 48 kHz microphone', () => {
  const Processor = loadProcessor('capture-worklet.js', 48000);
  const node = new Processor({ processorOptions: { targetRate: 24000, chunkMs: 50 } });
  const input = new Float32Array(128).fill(0.5);
  for (let i = 0; i < 40; i += 1) node.process([[input]]); // 5120 input samples → 2560 output
  const chunks = node.sent.filter((m) => m.type === 'chunk');
  assert.equal(chunks.length, 2);
  const pcm = new Int16Array(chunks[0].pcm);
  assert.equal(pcm.length, 1200);
  assert.ok(pcm.every((v) => v === Math.trunc(0.5 * 0x7fff)));
  assert.ok(Math.abs(chunks[0].peak - 0.5) < 1e-6);
});
