"""Class 6: SIP over UDP: INVITEs with extreme SDP numbers and extreme header numbers, re-INVITEs of a
live call with extreme SDP, seeded random mutations of valid requests, then RTP garbage to a live
call's RTP port. After each: the SIP port still answers OPTIONS, /healthz answers, a text turn."""

from __future__ import annotations

import os
import random
import socket
import time

import pytest

from hostile_sip import Peer, Request, describe, header, rtp_header, sdp
from mutate import mutate

NEEDS_SIP = True
# Every INVITE comes from 127.0.0.1: without this the admission control's per-source rate (5/s)
# answers most of them 503 before their SDP is read.
HUB_ARGS = ["--sip-invites-per-second", "0"]
CLASS = "6 SIP and RTP"
SEED = int(os.environ.get("HOSTILE_SEED", "20250611"))

BIG = {"2^64": str(2**64), "1e19": "1e19", "-1": "-1", "2^63": str(2**63), "99999999999999999999999": "9" * 23}

SDP_CASES: list[tuple[str, str]] = []
for label, v in {"300": "300", "-1": "-1", "2^64": str(2**64), "128": "128", "65536": "65536", "1e19": "1e19",
                 "abc": "abc", "2^32": str(2**32), "255": "255"}.items():
    SDP_CASES.append((f"pt={label}", sdp(pts=f"{v} 101")))
    SDP_CASES.append((f"pt={label} only", sdp(pts=v, rtpmaps=[f"a=rtpmap:{v} PCMU/8000"])))
    SDP_CASES.append((f"pt={label} with PCMU", sdp(pts=f"0 {v} 101", rtpmaps=["a=rtpmap:0 PCMU/8000", f"a=rtpmap:{v} PCMU/8000",
                                                                          "a=rtpmap:101 telephone-event/8000", f"a=fmtp:{v} 0-16"])))
    SDP_CASES.append((f"rtpmap pt={label}", sdp(pts="0 101", rtpmaps=[f"a=rtpmap:{v} PCMU/8000", "a=rtpmap:101 telephone-event/8000",
                                                                      f"a=fmtp:{v} 0-16"])))
for label, v in {"99999": "99999", "-1": "-1", "2^64": str(2**64), "0": "0", "65536": "65536", "1e19": "1e19",
                 "count-huge": "{rtp}/99999999999999999999", "count-0": "{rtp}/0"}.items():
    SDP_CASES.append((f"m-port={label}", sdp(port=v)))
for label, v in {"1e19": "1e19", "-1": "-1", "0": "0", "2^64": str(2**64), "1.5": "1.5", "99999999": "99999999", "abc": "abc"}.items():
    SDP_CASES.append((f"ptime={label}", sdp(ptime=v)))
    SDP_CASES.append((f"maxptime={label}", sdp(extra=[f"a=maxptime:{v}"])))
for label, v in {"rate-2^64": "PCMU/" + str(2**64), "rate-1e19": "PCMU/1e19", "rate-neg": "PCMU/-8000", "rate-0": "PCMU/0",
                 "rate-1.5": "PCMU/1.5", "channels-huge": "PCMU/8000/99999999999", "channels-0": "PCMU/8000/0",
                 "no-rate": "PCMU", "rate-digits": "PCMU/" + "9" * 5000}.items():
    SDP_CASES.append((f"rtpmap {label}", sdp(rtpmaps=[f"a=rtpmap:0 {v}", "a=rtpmap:101 telephone-event/8000"])))
    SDP_CASES.append((f"dyn rtpmap {label}", sdp(pts="96 101", rtpmaps=[f"a=rtpmap:96 {v}", "a=rtpmap:101 telephone-event/" + v.split("/", 1)[-1]])))
SDP_CASES += [
    ("te rate 2^64", sdp(rtpmaps=["a=rtpmap:0 PCMU/8000", f"a=rtpmap:101 telephone-event/{2**64}", "a=fmtp:101 0-16"])),
    ("fmtp huge range", sdp(rtpmaps=["a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", f"a=fmtp:101 0-{2**64}"])),
    ("fmtp reversed", sdp(rtpmaps=["a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 16-0,999-,-5"])),
    ("c=999.999.999.999", sdp(c="IN IP4 999.999.999.999")),
    ("c=IP6", sdp(c="IN IP6 ::1")),
    ("c=empty", sdp(c="")),
    ("c=10k", sdp(c="IN IP4 " + "1" * 10_000)),
    ("c=ttl", sdp(c=f"IN IP4 224.2.1.1/{2**64}/{2**64}")),
    ("o=huge ids", sdp(o=f"caller {2**64} -1 IN IP4 127.0.0.1")),
    ("o=1e19", sdp(o="caller 1e19 1e19 IN IP4 127.0.0.1")),
    ("1000 payload types", sdp(pts=" ".join(str(i % 128) for i in range(1000)))),
    ("100 m-sections", sdp() + "".join(f"m=audio {2000 + i} RTP/AVP 0\r\na=ptime:{2**64}\r\n" for i in range(100))),
    ("video only", sdp(media="m=video {rtp} RTP/AVP 96", rtpmaps=["a=rtpmap:96 H264/90000"])),
    ("SAVP", sdp(media="m=audio {rtp} RTP/SAVP 0")),
    ("m-line short", sdp(media="m=audio")),
    ("m-line empty pts", sdp(media="m=audio {rtp} RTP/AVP")),
    ("b=AS 2^64", sdp(extra=[f"b=AS:{2**64}"])),
    ("t=2^64", sdp(extra=[f"t={2**64} {2**64}"])),
    ("2k attributes", sdp(extra=[f"a=x{i}:{2**64}" for i in range(2000)])),
    ("no SDP version", sdp().replace("v=0\r\n", "")),
    ("sdp nul bytes", sdp().replace("PCMU", "PC\x00MU")),
    ("sdp bare LF", sdp().replace("\r\n", "\n")),
]

HEADER_CASES: list[tuple[str, Request]] = []
for label, v in {"2^40": str(2**40), "2^64": str(2**64), "2^32": str(2**32), "-1": "-1", "1e19": "1e19", "abc": "abc",
                 "0": "0", "digits": "9" * 5000}.items():
    HEADER_CASES.append((f"CSeq={label}", Request(cseq=v)))
    HEADER_CASES.append((f"Max-Forwards={label}", Request(headers={"Max-Forwards": v})))
    HEADER_CASES.append((f"Content-Length={label}", Request(headers={"Content-Length": v})))
    HEADER_CASES.append((f"Expires={label}", Request(extra=[f"Expires: {v}", f"Session-Expires: {v};refresher=uac", f"Min-SE: {v}"])))
    HEADER_CASES.append((f"Via port={label}", Request(headers={"Via": f"SIP/2.0/UDP 127.0.0.1:{v};branch=z9hG4bKx{label};rport={v}"})))
    HEADER_CASES.append((f"Contact port={label}", Request(headers={"Contact": f"<sip:+15550300001@127.0.0.1:{v}>;expires={v}"})))
HEADER_CASES += [
    ("Max-Forwards=1e9", Request(headers={"Max-Forwards": "1000000000"})),
    ("Content-Length=99999", Request(headers={"Content-Length": "99999"})),
    ("Content-Length twice", Request(extra=["Content-Length: 5", "Content-Length: -5"])),
    ("CSeq method mismatch", Request(headers={"CSeq": f"{2**64} BYE"})),
    ("CSeq no method", Request(headers={"CSeq": "1"})),
    ("OPTIONS CSeq 2^64", Request(method="OPTIONS", cseq=str(2**64))),
    ("BYE unknown CSeq -1", Request(method="BYE", cseq="-1")),
    ("CANCEL unknown CSeq 2^64", Request(method="CANCEL", cseq=str(2**64))),
    ("ACK unknown 1e19", Request(method="ACK", cseq="1e19")),
    ("Retry-After/RSeq/Timestamp huge", Request(extra=[f"Retry-After: {2**64}", f"RSeq: {2**64}", f"Timestamp: 1e19 {2**64}"])),
    ("request-URI port huge", Request(uri=f"sip:agent@127.0.0.1:{2**64}")),
    ("request-URI tel", Request(uri="tel:+1" + "5" * 3000)),
    ("request-URI sips", Request(uri="sips:agent@127.0.0.1")),
    ("version SIP/99.99", Request(version="SIP/99.99")),
    ("version huge", Request(version="SIP/" + str(2**64) + "." + str(2**64))),
    ("method lowercase", Request(method="invite")),
    ("method 10k", Request(method="X" * 10_000)),
    ("PAI huge number", Request(extra=["P-Asserted-Identity: <sip:+" + "9" * 10_000 + "@127.0.0.1>"])),
    ("PAI 1e19", Request(extra=["P-Asserted-Identity: <tel:+1e19>"])),
    ("From number huge", Request(number="+" + "1" * 20_000)),
    ("tags 30k", Request(tag="t" * 30_000)),
    ("Call-ID empty", Request(call_id="")),
    ("Call-ID 40k", Request(call_id="c" * 40_000)),
    ("1000 headers", Request(extra=[f"X-H{i}: {2**64}" for i in range(1000)])),
    ("folded headers", Request(extra=["Subject: a", " folded", "\tmore", "NoColonHere"])),
    ("no Via", Request(headers={"Via": None})),
    ("no Call-ID", Request(headers={"Call-ID": None})),
    ("Via no branch", Request(headers={"Via": "SIP/2.0/UDP 127.0.0.1:5060"})),
    ("Via 100 hops", Request(extra=[f"Via: SIP/2.0/UDP 10.0.0.{i % 250}:{2**64};branch=z9hG4bK{i}" for i in range(100)])),
    ("body over 64k", Request(body=sdp(extra=["a=x:" + "y" * 70_000]))),
]

RE_INVITE_SDP = [
    ("pt=300", sdp(pts="0 300 101", rtpmaps=["a=rtpmap:0 PCMU/8000", "a=rtpmap:300 PCMU/8000"])), ("m-port=99999", sdp(port="99999")), ("ptime=1e19", sdp(ptime="1e19")),
    ("rtpmap rate 2^64", sdp(rtpmaps=["a=rtpmap:0 PCMU/" + str(2**64)])), ("c=IP6", sdp(c="IN IP6 ::1")),
    ("video only", sdp(media="m=video {rtp} RTP/AVP 96")), ("hold", sdp(extra=["a=sendonly"], c="IN IP4 0.0.0.0")),
]


def sip_answers_options(hub) -> None:
    peer = Peer(hub.sip_port)
    try:
        answer, _ = peer.exchange(Request(method="OPTIONS"))
    finally:
        peer.close()
    assert answer.startswith("200"), f"the SIP port answered OPTIONS with {answer!r}"


def check(hub, case: str, answer: str, reproducer: str, record: bool = True) -> None:
    """The SIP port still answers OPTIONS with 200, then the hub's usual checks."""
    problem = None
    if hub.alive():
        try:
            sip_answers_options(hub)
        except (AssertionError, OSError) as error:
            problem = str(error)
    hub.survives(CLASS, case, answer, reproducer, record=record, problem=problem)


@pytest.mark.parametrize("body", [pytest.param(b, id=name) for name, b in SDP_CASES])
def test_invite_extreme_sdp(hub, body, request: pytest.FixtureRequest):
    peer = Peer(hub.sip_port)
    try:
        answer, _ = peer.exchange(Request(body=body))
    finally:
        peer.close()
    check(hub, "sdp:" + request.node.callspec.id, answer, f"INVITE with SDP {body[:400]!r}")


@pytest.mark.parametrize("req", [pytest.param(r, id=name) for name, r in HEADER_CASES])
def test_request_extreme_headers(hub, req: Request, request: pytest.FixtureRequest):
    peer = Peer(hub.sip_port)
    try:
        answer, _ = peer.exchange(req)
        data = req.encode(hub.sip_port, peer.sip_port, peer.rtp_port)
    finally:
        peer.close()
    check(hub, "header:" + request.node.callspec.id, answer, f"{data[:400]!r}")


def _call(hub, peer: Peer, number: str) -> tuple[Request, str]:
    invite = Request(number=number)
    peer.send(invite.encode(hub.sip_port, peer.sip_port, peer.rtp_port))
    responses = peer.responses()
    assert responses and responses[-1].startswith("SIP/2.0 200"), f"a valid INVITE got {describe(responses)}"
    ok = responses[-1]
    ack = Request(method="ACK", number=number, body="", call_id=invite.call_id, tag=invite.tag, headers={"To": header(ok, "To")})
    peer.send(ack.encode(hub.sip_port, peer.sip_port, peer.rtp_port))
    return invite, ok


def _rtp_port(ok: str) -> int:
    import re
    return int(re.search(r"^m=audio (\d+)", ok, re.M).group(1))


@pytest.mark.parametrize("body", [pytest.param(b, id=name) for name, b in RE_INVITE_SDP])
def test_reinvite_extreme_sdp(hub, body, request: pytest.FixtureRequest):
    peer = Peer(hub.sip_port)
    try:
        invite, ok = _call(hub, peer, "+15550300002")
        reinvite = Request(number=invite.number, call_id=invite.call_id, tag=invite.tag, cseq="2", body=body,
                           headers={"To": header(ok, "To")})
        answer, responses = peer.exchange(reinvite)
        if responses and responses[-1].startswith("SIP/2.0 200"):
            pass  # exchange() hung the call up
        else:
            bye = Request(method="BYE", number=invite.number, call_id=invite.call_id, tag=invite.tag, cseq="3", body="",
                          headers={"To": header(ok, "To")})
            peer.send(bye.encode(hub.sip_port, peer.sip_port, peer.rtp_port))
            answer += "; BYE " + describe(peer.responses(quiet=2.0))
    finally:
        peer.close()
    check(hub, "re-INVITE:" + request.node.callspec.id, answer, f"re-INVITE of a live call with SDP {body[:300]!r}")


def _mutation_corpus(hub_port: int, peer: Peer) -> list[bytes]:
    return [
        Request().encode(hub_port, peer.sip_port, peer.rtp_port),
        Request(method="OPTIONS").encode(hub_port, peer.sip_port, peer.rtp_port),
        Request(method="BYE", cseq="2").encode(hub_port, peer.sip_port, peer.rtp_port),
        Request(method="CANCEL").encode(hub_port, peer.sip_port, peer.rtp_port),
        Request(body=sdp(pts="8 0 101", rtpmaps=["a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000",
                                                 "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"])).encode(
            hub_port, peer.sip_port, peer.rtp_port),
    ]


@pytest.mark.parametrize("index", range(5))
def test_mutated_sip_batch(hub, index):
    rng = random.Random(f"{SEED}:sip:{index}")
    case = f"seed {SEED} SIP batch {index}"
    for n in range(20):
        peer = Peer(hub.sip_port)
        try:
            base = rng.choice(_mutation_corpus(hub.sip_port, peer))
            data, how = mutate(rng, base)
            problem = peer.send(data)
            responses = [] if problem else peer.responses(quiet=0.3)
            if responses and responses[-1].startswith("SIP/2.0 200") and base.startswith(b"INVITE"):
                ok = responses[-1]
                for method, cseq in (("ACK", "1"), ("BYE", "2")):
                    follow = Request(method=method, body="", call_id=header(ok, "Call-ID") or "", cseq=cseq,
                                     tag=(header(ok, "From") or "tag=").split("tag=")[-1], headers={"To": header(ok, "To"), "From": header(ok, "From")})
                    peer.send(follow.encode(hub.sip_port, peer.sip_port, peer.rtp_port))
            answer = problem or describe(responses)
        finally:
            peer.close()
        if hub.down():
            hub.survives(CLASS, f"{case} #{n}", answer, reproducer=f"UDP datagram {data[:400]!r} ({how})")
        hub.note(CLASS, f"{case} #{n}", "mutant: " + answer)
    _batch_check(hub, case)


def _batch_check(hub, case: str) -> None:
    check(hub, case, "", f"HOSTILE_SEED={SEED}, {case}", record=False)


def _garbage(rng: random.Random) -> list[tuple[str, list[bytes]]]:
    ssrc = 0x1234
    mulaw = b"\xff" * 160
    return [
        ("random bytes", [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))) for _ in range(200)]),
        ("short packets", [b"", b"\x80", b"\x80\x00", bytes(11), rtp_header(0, 1, 0, ssrc)]),
        ("versions 0/1/3", [rtp_header(0, i, i * 160, ssrc, version=v) + mulaw for i, v in enumerate([0, 1, 3] * 5)]),
        ("15 CSRCs, short", [rtp_header(0, 1, 0, ssrc, cc=15) + b"\x00" * 8]),
        ("extension huge length", [rtp_header(0, 2, 160, ssrc, extension=True) + b"\xbe\xde\xff\xff" + b"\x00" * 8]),
        ("padding longer than packet", [rtp_header(0, 3, 320, ssrc, padding=True) + mulaw[:-1] + b"\xff"]),
        ("padding zero", [rtp_header(0, 4, 480, ssrc, padding=True) + mulaw[:-1] + b"\x00"]),
        ("padding only", [rtp_header(0, 5, 640, ssrc, padding=True) + b"\x01"]),
        ("every payload type", [rtp_header(pt, 100 + pt, pt * 160, ssrc) + mulaw for pt in range(128)]),
        ("dtmf garbage", [rtp_header(101, 300 + i, 9999, ssrc) + bytes([rng.choice([255, 16, 0]), rng.getrandbits(8), 0xFF, 0xFF])
                          for i in range(30)] + [rtp_header(101, 400, 1, ssrc) + b"\x05"]),
        ("seq and ts jumps", [rtp_header(0, s, t, ssrc) + mulaw for s, t in
                              [(65535, 2**32 - 160), (0, 0), (32768, 2**31), (1, 2**32 - 1), (65535, 0), (40000, 123)]]),
        ("ssrc every packet", [rtp_header(0, 500 + i, i * 160, rng.getrandbits(32)) + mulaw for i in range(50)]),
        ("marker flood", [rtp_header(0, 600 + i, 0, ssrc, marker=True) + mulaw for i in range(50)]),
        ("odd payload sizes", [rtp_header(0, 700 + i, i * 160, ssrc) + b"\x7f" * n for i, n in enumerate([0, 1, 159, 161, 1000, 8000, 60000])]),
        ("near 64 KiB", [rtp_header(0, 800, 0, ssrc) + b"\x00" * 65_000]),
        ("SIP on the RTP port", [b"INVITE sip:x SIP/2.0\r\nCSeq: 99999999999999999999 INVITE\r\n\r\n"]),
    ]


def test_rtp_garbage_to_a_live_call(hub):
    rng = random.Random(f"{SEED}:rtp")
    peer = Peer(hub.sip_port)
    answers = []
    try:
        invite, ok = _call(hub, peer, "+15550300003")
        target = ("127.0.0.1", _rtp_port(ok))
        for name, packets in _garbage(rng):
            for packet in packets:
                try:
                    peer.rtp.sendto(packet, target)
                except OSError:
                    pass
                time.sleep(0.0005)
            time.sleep(0.05)
            if hub.down():
                hub.survives(CLASS, f"rtp:{name}", "", reproducer=f"RTP packets to a live call's RTP port: {name} ({packets[0][:40]!r}…)")
            answers.append(name)
            hub.note(CLASS, f"rtp:{name}", "dropped or played (no reply expected)")
        bye = Request(method="BYE", number=invite.number, call_id=invite.call_id, tag=invite.tag, cseq="2", body="",
                      headers={"To": header(ok, "To")})
        peer.send(bye.encode(hub.sip_port, peer.sip_port, peer.rtp_port))
        bye_answer = describe(peer.responses(quiet=3.0))
    finally:
        peer.close()
    hub.note(CLASS, "rtp: BYE after the garbage", f"BYE {bye_answer}")
    assert bye_answer.startswith("200"), f"the call did not hang up cleanly after RTP garbage: BYE got {bye_answer}"
    _batch_check(hub, "rtp garbage")
