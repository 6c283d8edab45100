"""A scripted SIP caller over UDP for the SIP bridge tests: INVITE with an SDP offer, ACK,
RTP both ways on its own socket (20 ms μ-law packets), DTMF as RFC 4733 events, BYE,
and the transferee's side of a transfer by REFER (202, NOTIFY with sipfrag); and a scripted
callee, the person a transfer reaches (answers or refuses the hub's INVITE)."""

from __future__ import annotations

import hashlib
import random
import re
import socket
import struct
import threading
import time
import uuid


class SIPCaller:
    def __init__(self, hub_port: int, number: str, codec: str = "PCMU"):
        self.hub = ("127.0.0.1", hub_port)
        self.number = number
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        self.sip.settimeout(5)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.settimeout(0.2)
        self.call_id = uuid.uuid4().hex + "@127.0.0.1"
        self.tag = uuid.uuid4().hex[:8]
        self.cseq = 1
        self.codec = codec
        self.remote_rtp: tuple[str, int] | None = None
        self.to_header = ""
        self.received: list[tuple[float, bytes]] = []  # (arrival time, payload) of audio packets
        self.packets: list[bytes] = []
        self.signalling: list[str] = []  # SIP messages received while waiting for something else
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self.seq = random.randint(0, 1000)
        self.ts = random.randint(0, 100000)
        self.ssrc = random.getrandbits(32)

    @property
    def sip_port(self) -> int:
        return self.sip.getsockname()[1]

    def _request(self, method: str, body: str = "", cseq: int | None = None, branch: str | None = None,
                 extra: list[str] | None = None, to: str | None = None, content_type: str = "application/sdp",
                 uri: str | None = None) -> str:
        branch = branch or "z9hG4bK" + uuid.uuid4().hex[:12]
        to = to or self.to_header or f"<sip:agent@127.0.0.1:{self.hub[1]}>"
        lines = [
            f"{method} {uri or f'sip:agent@127.0.0.1:{self.hub[1]}'} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.sip_port};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: \"Test Caller\" <sip:{self.number}@127.0.0.1>;tag={self.tag}",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq or self.cseq} {method}",
            f"Contact: <sip:{self.number}@127.0.0.1:{self.sip_port}>",
            *(extra or []),
        ]
        if body:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def send_raw(self, data: bytes) -> None:
        self.sip.sendto(data, self.hub)

    def receive(self, timeout: float = 5) -> str:
        self.sip.settimeout(timeout)
        data, _ = self.sip.recvfrom(65535)
        return data.decode(errors="replace")

    def offer(self, connection: str = "127.0.0.1", media: str | None = None, attributes: str | None = None) -> str:
        """The caller's SDP offer; `connection`, the `m=` line and the attributes can be replaced."""
        pt = 0 if self.codec == "PCMU" else 8
        port = self.rtp.getsockname()[1]
        media = media or f"m=audio {port} RTP/AVP {pt} 101"
        if attributes is None:
            attributes = (f"a=rtpmap:{pt} {self.codec}/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                          "a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")
        return (f"v=0\r\no=caller 1 1 IN IP4 {connection}\r\ns=call\r\nc=IN IP4 {connection}\r\nt=0 0\r\n"
                f"{media}\r\n{attributes}")

    @property
    def request_uri(self) -> str:
        return f"sip:agent@127.0.0.1:{self.hub[1]}"

    def invite(self, sdp: str | None = None, extra: list[str] | None = None) -> str:
        """Sends INVITE (with `sdp`, or the usual offer) and returns the final response; a 2xx is
        acknowledged and the RTP listener started, a 3xx-6xx acknowledged in its transaction."""
        branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        self.send_raw(self._request("INVITE", sdp or self.offer(), branch=branch, extra=extra).encode())
        while True:
            response = self.receive(10)
            status = int(response.split(" ", 2)[1])
            if status < 200:
                continue
            if status >= 300:
                to = re.search(r"^To: (.*)$", response, re.M).group(1).strip()
                self.send_raw(self._request("ACK", cseq=self.cseq, branch=branch, to=to).encode())
                return response
            self.to_header = re.search(r"^To: (.*)$", response, re.M).group(1).strip()
            m = re.search(r"^m=audio (\d+)", response, re.M)
            c = re.search(r"^c=IN IP4 (\S+)", response, re.M)
            self.remote_rtp = (c.group(1), int(m.group(1)))
            self.send_raw(self._request("ACK", cseq=self.cseq).encode())
            self._listener = threading.Thread(target=self._listen, daemon=True)
            self._listener.start()
            return response

    def invite_with_digest(self, user: str, password: str, algorithm: str = "MD5") -> tuple[str, str]:
        """INVITE, then, when challenged, INVITE again with digest credentials (RFC 7616, qop=auth)
        for the challenge of `algorithm`. Returns the challenge and the final response."""
        challenge = self.invite()
        if not challenge.startswith("SIP/2.0 401"):
            return challenge, challenge
        offered = [v for v in re.findall(r"^WWW-Authenticate: (.*)$", challenge, re.M) if f"algorithm={algorithm}" in v]
        self.cseq += 1
        authorization = digest_authorization(offered[0].strip(), user, password, "INVITE", self.request_uri)
        return challenge, self.invite(extra=[f"Authorization: {authorization}"])

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self.rtp.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            self.packets.append(data)
            if len(data) >= 12 and data[1] & 0x7F in (0, 8):
                self.received.append((time.monotonic(), data[12:]))

    def send_rtp(self, payload: bytes, pt: int | None = None, marker: bool = False) -> None:
        pt = (0 if self.codec == "PCMU" else 8) if pt is None else pt
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, self.seq & 0xFFFF, self.ts & 0xFFFFFFFF, self.ssrc)
        self.rtp.sendto(header + payload, self.remote_rtp)
        self.seq += 1
        if pt in (0, 8):
            self.ts += len(payload)

    def speak(self, mulaw: bytes, pace: float = 0.02) -> None:
        """Sends `mulaw` as 20 ms packets, one every `pace` seconds."""
        next_at = time.monotonic()
        for offset in range(0, len(mulaw), 160):
            self.send_rtp(mulaw[offset:offset + 160].ljust(160, b"\xff"))
            next_at += pace
            time.sleep(max(0, next_at - time.monotonic()))

    def press(self, digit: str) -> None:
        """One RFC 4733 key press: three event packets, the end packet sent three times."""
        event = "0123456789*#ABCD".index(digit)
        for duration, end in ((160, False), (320, False), (480, True), (480, True), (480, True)):
            payload = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
            header = struct.pack("!BBHII", 0x80, 101, self.seq & 0xFFFF, self.ts, self.ssrc)
            self.rtp.sendto(header + payload, self.remote_rtp)
            self.seq += 1
            time.sleep(0.02)
        self.ts += 480

    def start_media(self) -> None:
        """Sends silence every 20 ms until `close`, as a real phone does (keeps --rtp-timeout away)."""
        def run() -> None:
            while not self._stop.wait(0.02):
                try:
                    self.send_rtp(b"\xff" * 160)
                except OSError:
                    return
        self._media = threading.Thread(target=run, daemon=True)
        self._media.start()

    def ok(self, request: str) -> None:
        """Answers a request from the hub (a BYE) with 200 OK."""
        keep = [line for line in request.split("\r\n") if line.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
        self.send_raw(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n").encode())

    def respond(self, request: str, status: int, reason: str, extra: list[str] | None = None) -> None:
        """Answers a request from the hub (REFER, BYE, …) with `status`."""
        keep = [line for line in request.split("\r\n") if line.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
        self.send_raw((f"SIP/2.0 {status} {reason}\r\n" + "\r\n".join(keep + (extra or [])) + "\r\nContent-Length: 0\r\n\r\n").encode())

    def wait_for_request(self, method: str, timeout: float = 30) -> tuple[str, float]:
        """The next request `method` from the hub (other messages are kept in `self.signalling`),
        and when it arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.receive(max(0.1, min(2, deadline - time.monotonic())))
            except socket.timeout:
                continue
            self.signalling.append(message)
            if message.startswith(method + " "):
                return message, time.monotonic()
        raise AssertionError(f"no {method} from the hub within {timeout} s; got {[m.split(chr(13))[0] for m in self.signalling]}")

    def notify(self, refer: str, sipfrag: str, state: str = "active;expires=60") -> str:
        """Sends a NOTIFY for `refer`'s implicit subscription (RFC 3515) carrying `sipfrag` as
        the transfer's progress, and returns the hub's response to it (requests the hub sends
        meanwhile, such as its BYE, are kept in `self.signalling`)."""
        refer_cseq = int(re.search(r"^CSeq: (\d+) REFER", refer, re.M).group(1))
        contact = re.search(r"^Contact: <([^>]+)>", refer, re.M).group(1)
        self.cseq += 1
        branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        body = sipfrag + "\r\n"
        self.send_raw(self._request("NOTIFY", body, cseq=self.cseq, branch=branch, content_type="message/sipfrag", uri=contact,
                                    extra=[f"Event: refer;id={refer_cseq}", f"Subscription-State: {state}"]).encode())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message = self.receive(max(0.1, deadline - time.monotonic()))
            if message.startswith("SIP/2.0 ") and branch in message:
                return message
            self.signalling.append(message)
        raise AssertionError("no response to the NOTIFY")

    def audio_since(self, start: float) -> bytes:
        return b"".join(p for t, p in self.received if t >= start)

    def bye(self) -> str:
        self.cseq += 1
        self.send_raw(self._request("BYE", cseq=self.cseq).encode())
        response = self.receive(5)
        self.close()
        return response

    def close(self) -> None:
        self._stop.set()
        if self._listener:
            self._listener.join(2)
        if getattr(self, "_media", None):
            self._media.join(2)
        self.rtp.close()
        self.sip.close()


def digest_authorization(challenge: str, user: str, password: str, method: str, uri: str, nc: str = "00000001") -> str:
    """The `Authorization` value answering a `WWW-Authenticate: Digest …` challenge (RFC 7616, qop=auth)."""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge.split(" ", 1)[1]))
    algorithm = params.get("algorithm", "MD5")
    h = (lambda text: hashlib.md5(text.encode()).hexdigest()) if algorithm == "MD5" else \
        (lambda text: hashlib.sha256(text.encode()).hexdigest())
    cnonce = uuid.uuid4().hex[:16]
    ha1 = h(f"{user}:{params['realm']}:{password}")
    response = h(f"{ha1}:{params['nonce']}:{nc}:{cnonce}:auth:{h(f'{method}:{uri}')}")
    return (f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", uri="{uri}", '
            f'response="{response}", algorithm={algorithm}, cnonce="{cnonce}", qop=auth, nc={nc}')


class SIPCallee:
    """A SIP phone the hub calls (a person taking a transfer): answers the hub's INVITE with its
    own SDP, keeps every RTP payload it hears, sends RTP, and answers or sends BYE."""

    def __init__(self, codec: str = "PCMU", port: int = 0):
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sip.bind(("127.0.0.1", port))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.rtp.settimeout(0.2)
        self.codec = codec
        self.pt = 0 if codec == "PCMU" else 8
        self.invite: str | None = None
        self.hub: tuple[str, int] | None = None
        self.remote_rtp: tuple[str, int] | None = None
        self.tag = uuid.uuid4().hex[:8]
        self.cseq = 1
        self.received: list[tuple[float, bytes]] = []  # (arrival time, payload) of audio packets
        self.events: list[int] = []  # RFC 4733 event codes heard
        self.signalling: list[str] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.seq = random.randint(0, 1000)
        self.ts = random.randint(0, 100000)
        self.ssrc = random.getrandbits(32)
        self.speaking = threading.Lock()

    @property
    def sip_port(self) -> int:
        return self.sip.getsockname()[1]

    def receive(self, timeout: float = 5) -> tuple[str, tuple[str, int]]:
        self.sip.settimeout(timeout)
        data, address = self.sip.recvfrom(65535)
        return data.decode(errors="replace"), address

    def _reply(self, request: str, status: int, reason: str, body: str = "", to_tag: bool = True) -> None:
        lines = []
        for line in request.split("\r\n"):
            name = line.split(":", 1)[0].lower()
            if name in ("via", "from", "call-id", "cseq"):
                lines.append(line)
            elif name == "to":
                lines.append(line if ";tag=" in line or not to_tag else f"{line};tag={self.tag}")
        lines.append(f"Contact: <sip:person@127.0.0.1:{self.sip_port}>")
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        self.sip.sendto((f"SIP/2.0 {status} {reason}\r\n" + "\r\n".join(lines) + "\r\n\r\n" + body).encode(), self.hub)

    def wait_for_invite(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message, address = self.receive(max(0.1, deadline - time.monotonic()))
            except socket.timeout:
                continue
            if message.startswith("INVITE "):
                self.invite, self.hub = message, address
                m = re.search(r"^m=audio (\d+)", message, re.M)
                c = re.search(r"^c=IN IP4 (\S+)", message, re.M)
                self.remote_rtp = (c.group(1), int(m.group(1)))
                return message
            self.signalling.append(message)
        raise AssertionError(f"no INVITE from the hub within {timeout} s")

    def answer(self) -> None:
        """Rings, answers with 200 OK and its SDP, waits for the ACK, and starts hearing RTP."""
        self._reply(self.invite, 180, "Ringing")
        port = self.rtp.getsockname()[1]
        sdp = (f"v=0\r\no=person 1 1 IN IP4 127.0.0.1\r\ns=call\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {port} RTP/AVP {self.pt} 101\r\na=rtpmap:{self.pt} {self.codec}/8000\r\n"
               "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")
        self._reply(self.invite, 200, "OK", sdp)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message, _ = self.receive(max(0.1, deadline - time.monotonic()))
            if message.startswith("ACK "):
                break
            self.signalling.append(message)
        else:
            raise AssertionError("no ACK for the 200 OK")
        for target in (self._listen, self._media):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def ring(self) -> None:
        self._reply(self.invite, 180, "Ringing")

    def refuse(self, status: int = 486, reason: str = "Busy Here") -> None:
        self._reply(self.invite, status, reason)

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self.rtp.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) < 12:
                continue
            pt = data[1] & 0x7F
            if pt in (0, 8):
                self.received.append((time.monotonic(), data[12:]))
            elif pt == 101 and len(data) >= 16 and data[13] & 0x80:
                if not self.events or self.events[-1] != data[12]:
                    self.events.append(data[12])

    def _media(self) -> None:
        """Silence every 20 ms (a phone keeps sending), unless `say` is sending."""
        while not self._stop.wait(0.02):
            if self.speaking.acquire(blocking=False):
                try:
                    self.send_rtp(b"\xff" * 160 if self.pt == 0 else b"\xd5" * 160)
                except OSError:
                    return
                finally:
                    self.speaking.release()

    def send_rtp(self, payload: bytes) -> None:
        header = struct.pack("!BBHII", 0x80, self.pt, self.seq & 0xFFFF, self.ts & 0xFFFFFFFF, self.ssrc)
        self.rtp.sendto(header + payload, self.remote_rtp)
        self.seq += 1
        self.ts += len(payload)

    def say(self, audio: bytes) -> None:
        """Sends `audio` (in the callee's codec) as 20 ms packets in place of its silence."""
        with self.speaking:
            next_at = time.monotonic()
            for offset in range(0, len(audio), 160):
                self.send_rtp(audio[offset:offset + 160].ljust(160, b"\xff"))
                next_at += 0.02
                time.sleep(max(0, next_at - time.monotonic()))

    def wait_for_request(self, method: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message, _ = self.receive(max(0.1, min(2, deadline - time.monotonic())))
            except socket.timeout:
                continue
            self.signalling.append(message)
            if message.startswith(method + " "):
                return message
        raise AssertionError(f"no {method} from the hub within {timeout} s")

    def ok(self, request: str) -> None:
        self._reply(request, 200, "OK")

    def bye(self) -> str:
        """Hangs up: BYE in the hub's dialog (its From is our To), and the hub's answer."""
        invite = self.invite
        contact = re.search(r"^Contact: <([^>]+)>", invite, re.M).group(1)
        hub_from = re.search(r"^From: (.*)$", invite, re.M).group(1).strip()
        our_to = re.search(r"^To: (.*)$", invite, re.M).group(1).strip()
        call_id = re.search(r"^Call-ID: (.*)$", invite, re.M).group(1).strip()
        self.cseq += 1
        request = "\r\n".join([
            f"BYE {contact} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.sip_port};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport",
            "Max-Forwards: 70",
            f"From: {our_to};tag={self.tag}",
            f"To: {hub_from}",
            f"Call-ID: {call_id}",
            f"CSeq: {self.cseq} BYE",
            "Content-Length: 0",
        ]) + "\r\n\r\n"
        self.sip.sendto(request.encode(), self.hub)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message, _ = self.receive(max(0.1, deadline - time.monotonic()))
            if message.startswith("SIP/2.0 "):
                return message
            self.signalling.append(message)
        raise AssertionError("no answer to the BYE")

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        self.rtp.close()
        self.sip.close()
