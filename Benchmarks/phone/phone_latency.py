"""Phone latency on the embedded model: end of the caller's speech to the first audible packet of
the answer, over SIP (a scripted UDP caller sending real-time RTP) and over a Twilio media stream
(20 ms frames at real-time pace). Both include the 500 ms of silence the VAD waits for.

    SWITCHBOARD_BIN=.build/release/switchboard .venv/bin/python Benchmarks/phone/phone_latency.py [N]
"""
import asyncio, base64, socket, statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "phone"))
import conftest
from sip_peer import SIPCaller
from twilio_peer import TwilioPeer
from audio import spoken_mulaw, rms, SILENCE_FRAME

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5
port = conftest.free_port(socket.SOCK_DGRAM)
hub = conftest.start_hub(Path(tempfile.mkdtemp()), "latency", ["--sip-port", str(port)])
hub.sip_port = port
speech = spoken_mulaw("Is my flight on time", lead_ms=300, tail_ms=0)
sip, tw = [], []
try:
    for i in range(N):
        c = SIPCaller(port, f"+1555030{i:04d}")
        c.invite()
        c.speak(speech)
        end = time.monotonic()
        c.speak(SILENCE_FRAME * 150)
        first = next((t for t, p in c.received if t >= end and rms(p) > 200), None)
        c.bye()
        sip.append((first - end) * 1000)
    async def twilio(i):
        peer = await TwilioPeer.connect(hub.ws_base, f"+1555031{i:04d}")
        for off in range(0, len(speech), 160):
            await peer.send({"event": "media", "media": {"track": "inbound", "payload": base64.b64encode(speech[off:off+160].ljust(160, b"\xff")).decode()}})
            await asyncio.sleep(0.02)
        end = time.monotonic()
        for _ in range(150):
            await peer.send({"event": "media", "media": {"track": "inbound", "payload": base64.b64encode(SILENCE_FRAME).decode()}})
            await asyncio.sleep(0.02)
            if peer.heard.first_audio_at: break
        first = peer.heard.first_audio_at
        await peer.stop()
        return (first - end) * 1000
    for i in range(N):
        tw.append(asyncio.run(twilio(i)))
finally:
    conftest.stop_hub(hub)
def q(v, p): v = sorted(v); return v[min(len(v)-1, int(round(p/100*(len(v)-1))))]
print(f"SIP    end of speech -> first answer audio: n={len(sip)} p50 {statistics.median(sip):.0f} ms, max {max(sip):.0f} ms; all {[round(x) for x in sip]}")
print(f"Twilio end of speech -> first answer media: n={len(tw)} p50 {statistics.median(tw):.0f} ms, max {max(tw):.0f} ms; all {[round(x) for x in tw]}")
