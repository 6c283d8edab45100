"""SIP over UDP for the hostile suite: INVITEs built from parts that tests replace with extreme
values, sent raw; the hub's statuses are collected, and any call that got 200 is ACKed and hung up."""

from __future__ import annotations

import re
import socket
import struct
import time
import uuid
from dataclasses import dataclass, field
from typing import Optional


def sdp(port: str = "{rtp}", pts: str = "0 101", rtpmaps: Optional[list[str]] = None, ptime: str = "20",
        c: str = "IN IP4 127.0.0.1", o: str = "caller 1 1 IN IP4 127.0.0.1", extra: Optional[list[str]] = None,
        media: Optional[str] = None) -> str:
    rtpmaps = ["a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"] if rtpmaps is None else rtpmaps
    lines = ["v=0", f"o={o}", "s=call", f"c={c}", "t=0 0", media or f"m=audio {port} RTP/AVP {pts}", *rtpmaps]
    if ptime is not None:
        lines.append(f"a=ptime:{ptime}")
    lines += ["a=sendrecv", *(extra or [])]
    return "\r\n".join(lines) + "\r\n"


@dataclass
class Request:
    method: str = "INVITE"
    uri: str = "sip:agent@127.0.0.1:{hub}"
    version: str = "SIP/2.0"
    number: str = "+15550300001"
    body: Optional[str] = None  # None: an SDP offer for an INVITE, empty otherwise
    headers: dict = field(default_factory=dict)  # name → value (None drops the header); replaces defaults
    extra: list = field(default_factory=list)  # raw header lines added at the end
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex + "@127.0.0.1")
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    cseq: str = "1"

    def encode(self, hub_port: int, sip_port: int, rtp_port: int) -> bytes:
        body = self.body if self.body is not None else (sdp() if self.method == "INVITE" else "")
        body = body.replace("{rtp}", str(rtp_port))
        fields = {
            "Via": f"SIP/2.0/UDP 127.0.0.1:{sip_port};branch=z9hG4bK{uuid.uuid4().hex[:12]};rport",
            "Max-Forwards": "70",
            "From": f"\"Hostile\" <sip:{self.number}@127.0.0.1>;tag={self.tag}",
            "To": f"<sip:agent@127.0.0.1:{hub_port}>",
            "Call-ID": self.call_id,
            "CSeq": f"{self.cseq} {self.method}",
            "Contact": f"<sip:{self.number}@127.0.0.1:{sip_port}>",
        }
        if body:
            fields["Content-Type"] = "application/sdp"
        fields["Content-Length"] = str(len(body.encode()))
        fields.update(self.headers)
        lines = [f"{self.method} {self.uri.replace('{hub}', str(hub_port))} {self.version}"]
        lines += [f"{k}: {v}" for k, v in fields.items() if v is not None]
        lines += self.extra
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


class Peer:
    """A UDP SIP endpoint plus an RTP socket, for one case."""

    def __init__(self, hub_port: int):
        self.hub = ("127.0.0.1", hub_port)
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))

    @property
    def sip_port(self) -> int:
        return self.sip.getsockname()[1]

    @property
    def rtp_port(self) -> int:
        return self.rtp.getsockname()[1]

    def close(self) -> None:
        self.sip.close()
        self.rtp.close()

    def send(self, data: bytes) -> Optional[str]:
        try:
            self.sip.sendto(data, self.hub)
            return None
        except OSError as error:  # e.g. a datagram over 64 KiB
            return f"not sent ({error.strerror or type(error).__name__})"

    def responses(self, wait_final: float = 6.0, quiet: float = 1.0) -> list[str]:
        """Responses until a final one; gives up `quiet` s after the last datagram (or after
        `wait_final` s once a provisional response came)."""
        out: list[str] = []
        deadline = time.monotonic() + quiet
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            self.sip.settimeout(left)
            try:
                data, _ = self.sip.recvfrom(65535)
            except socket.timeout:
                return out
            text = data.decode(errors="replace")
            if not text.startswith("SIP/2.0 "):
                continue  # a request from the hub (a BYE of its own): answer nothing
            out.append(text)
            status = int(text.split(" ", 2)[1])
            if status >= 200:
                return out
            deadline = time.monotonic() + wait_final

    def exchange(self, request: Request) -> tuple[str, list[str]]:
        """Sends `request`; returns a short answer ("100 180 200", "400 Bad Request", "no answer") and
        the responses. A 200 to an INVITE is ACKed and the call hung up with BYE."""
        problem = self.send(request.encode(self.hub[1], self.sip_port, self.rtp_port))
        if problem:
            return problem, []
        responses = self.responses()
        if request.method == "INVITE" and responses and responses[-1].startswith("SIP/2.0 200"):
            self.hang_up(request, responses[-1])
        return describe(responses), responses

    def hang_up(self, request: Request, ok: str) -> str:
        to = header(ok, "To") or f"<sip:agent@127.0.0.1:{self.hub[1]}>"
        for method, cseq in (("ACK", "1"), ("BYE", "2")):
            follow = Request(method=method, number=request.number, body="", call_id=header(ok, "Call-ID") or request.call_id,
                             tag=request.tag, cseq=cseq, headers={"To": to})
            self.send(follow.encode(self.hub[1], self.sip_port, self.rtp_port))
        return describe(self.responses(quiet=2.0))


def header(message: str, name: str) -> Optional[str]:
    m = re.search(rf"^{re.escape(name)}\s*:\s*(.*?)\r?$", message, re.M | re.I)
    return m.group(1).strip() if m else None


def describe(responses: list[str]) -> str:
    if not responses:
        return "no answer"
    statuses = [r.split("\r\n", 1)[0].split(" ", 2) for r in responses]
    final = statuses[-1]
    text = " ".join(s[1] for s in statuses[:-1])
    reason = final[2][:40] if len(final) > 2 and not final[1].startswith("2") else ""
    return (text + " " if text else "") + final[1] + (f" {reason}" if reason else "")


def rtp_header(pt: int, seq: int, ts: int, ssrc: int, marker: bool = False, version: int = 2, padding: bool = False,
               extension: bool = False, cc: int = 0) -> bytes:
    b0 = (version << 6) | (0x20 if padding else 0) | (0x10 if extension else 0) | (cc & 0x0F)
    return struct.pack("!BBHII", b0, (0x80 if marker else 0) | (pt & 0x7F), seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc & 0xFFFFFFFF)
