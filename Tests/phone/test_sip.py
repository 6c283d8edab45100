"""The SIP bridge against the real hub: calls placed by a scripted UDP caller, by sipp and by
baresip (a WAV as its microphone), answered with a spoken reply; calling back resumes; barge-in,
RFC 4733 DTMF; malformed SIP and RTP garbage change nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import time
import urllib.request
import wave
from pathlib import Path

import pytest

from audio import SILENCE_FRAME, mulaw_to_linear, rms, spoken_mulaw
from conftest import ADMIN_HEADERS, ARTIFACTS, free_port, session_ready, start_hub, stop_hub
import pcm_level as pcm
from sip_peer import SIPCallee, SIPCaller

QUESTION = "Is my flight on time"


@pytest.fixture(scope="module")
def sip_hub(tmp_path_factory: pytest.TempPathFactory):
    port = free_port(socket.SOCK_DGRAM)
    # Numbers the hub calls itself (a transfer it bridges) go to the trunk: a SIPCallee there.
    trunk = free_port(socket.SOCK_DGRAM)
    instance = start_hub(tmp_path_factory.mktemp("sip-hub"), "sip", ["--sip-port", str(port), "--sip-trunk", f"127.0.0.1:{trunk}"])
    instance.sip_port = port
    instance.trunk_port = trunk
    yield instance
    stop_hub(instance)


def metric(hub, name: str, label: str) -> float:
    with urllib.request.urlopen(f"{hub.http_base}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name) and label in line:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_for_answer(caller: SIPCaller, since: float, timeout: float = 20, quiet: float = 1.2) -> bytes:
    """The agent's audio after `since`: waits until it started and then went quiet."""
    deadline = time.monotonic() + timeout
    started = None
    while time.monotonic() < deadline:
        time.sleep(0.1)
        loud = [t for t, p in caller.received if t >= since and rms(p) > 200]
        if loud:
            started = started or loud[0]
            if time.monotonic() - loud[-1] > quiet:
                return b"".join(p for t, p in caller.received if loud[0] <= t <= loud[-1])
    raise AssertionError(f"no complete answer within {timeout} s (answer started: {started is not None})")


def call_and_ask(hub, number: str, text: str) -> bytes:
    caller = SIPCaller(hub.sip_port, number)
    response = caller.invite()
    assert response.startswith("SIP/2.0 200"), response
    start = time.monotonic()
    caller.speak(spoken_mulaw(text) + SILENCE_FRAME * 60)
    answer = wait_for_answer(caller, start)
    assert caller.bye().startswith("SIP/2.0 200")
    return answer


def test_a_sip_call_hears_a_spoken_answer_and_calling_back_resumes(sip_hub):
    number = "+15550200001"
    answer = call_and_ask(sip_hub, number, QUESTION)
    assert len(answer) / 8000 > 1.5, f"only {len(answer) / 8000:.2f} s of answer"
    ready = session_ready(sip_hub, number)
    assert ready["agent"] == "flight"
    assert "flight" in ready["history"][-1]["user"].lower()
    assert "flight number" in ready["history"][-1]["assistant"].lower()

    again = call_and_ask(sip_hub, number, "It is flight S B 2 0 4")
    assert len(again) > 0
    ready = session_ready(sip_hub, number)
    assert ready["agent"] == "flight" and len(ready["history"]) == 2
    # The flight number given on the second call answers the question the first call ended on.
    assert "Flight SB204 from SFO to JFK" in ready["history"][-1]["assistant"], ready["history"][-1]


def test_talking_over_the_agent_stops_its_audio_at_once(sip_hub):
    caller = SIPCaller(sip_hub.sip_port, "+15550200002")
    assert caller.invite().startswith("SIP/2.0 200")
    before = metric(sip_hub, "switchboard_call_barge_ins_total", 'channel="sip"')
    caller.speak(spoken_mulaw("What is the status of my hotel reservation H 2 0 4 5 1 8") + SILENCE_FRAME * 40)
    deadline = time.monotonic() + 20
    while not any(rms(p) > 200 for _, p in caller.received) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert time.monotonic() < deadline, "the agent never answered"
    time.sleep(0.6)
    barge = time.monotonic()
    caller.speak(spoken_mulaw("no wait", lead_ms=0, tail_ms=0))
    time.sleep(1.0)
    after = metric(sip_hub, "switchboard_call_barge_ins_total", 'channel="sip"')
    # Once the hub heard the caller, the agent's audio stopped: a stretch of silence follows
    # within a second and a half of the caller starting to talk.
    packets = [(t, p) for t, p in caller.received if barge <= t <= barge + 1.5]
    quiet = [t for t, p in packets if rms(p) < 50]
    caller.bye()
    assert after == before + 1
    assert len(quiet) >= 10, "the agent kept talking over the caller"


def test_dtmf_keys_reach_the_conversation(sip_hub):
    number = "+15550200003"
    caller = SIPCaller(sip_hub.sip_port, number)
    assert caller.invite().startswith("SIP/2.0 200")
    caller.speak(SILENCE_FRAME * 10)
    for digit in "2040#":
        caller.press(digit)
    start = time.monotonic()
    wait_for_answer(caller, start)
    caller.bye()
    assert session_ready(sip_hub, number)["history"][-1]["user"] == "2040"


def test_malformed_sip_is_answered_400_or_dropped_and_the_bridge_goes_on(sip_hub):
    probe = SIPCaller(sip_hub.sip_port, "+15550200004")
    for garbage in (b"\x00\xff\x10 not sip at all", b"\r\n\r\n", b"INVITE\r\n", bytes(range(256)) * 4):
        probe.send_raw(garbage)
    with pytest.raises(socket.timeout):
        probe.receive(1)
    # A request that can be answered but lacks its mandatory headers gets 400 with the reason.
    probe.send_raw((f"INVITE sip:agent@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{probe.sip_port};branch=z9hG4bKbad1\r\n"
                    "Content-Length: 0\r\n\r\n").encode())
    response = probe.receive(5)
    assert response.startswith("SIP/2.0 400"), response
    # A Content-Length longer than the datagram.
    probe.send_raw((f"OPTIONS sip:agent@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{probe.sip_port};branch=z9hG4bKbad2\r\n"
                    "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 500\r\n\r\nshort").encode())
    response = probe.receive(5)
    assert response.startswith("SIP/2.0 400"), response
    # A well-formed OPTIONS is still answered.
    probe.send_raw(probe._request("OPTIONS").encode())
    response = probe.receive(5)
    assert response.startswith("SIP/2.0 200"), response
    assert "INVITE" in re.search(r"^Allow: (.*)$", response, re.M).group(1)
    probe.close()


def test_rtp_garbage_is_dropped_and_the_call_goes_on(sip_hub):
    number = "+15550200005"
    caller = SIPCaller(sip_hub.sip_port, number)
    assert caller.invite().startswith("SIP/2.0 200")
    before = metric(sip_hub, "switchboard_call_messages_dropped_total", 'reason="rtp_malformed"')
    for garbage in (b"", b"\x00", b"\x40" + bytes(20), bytes(11), b"\x80\x00\x00\x01" + bytes(4), os.urandom(200)):
        caller.rtp.sendto(garbage, caller.remote_rtp)
    caller.send_rtp(bytes(160), pt=96)  # a payload type nobody negotiated
    start = time.monotonic()
    caller.speak(spoken_mulaw(QUESTION) + SILENCE_FRAME * 60)
    answer = wait_for_answer(caller, start)
    caller.bye()
    assert len(answer) / 8000 > 1.0
    assert metric(sip_hub, "switchboard_call_messages_dropped_total", 'reason="rtp_malformed"') >= before + 4


@pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp (Debian sip-tester) is not installed")
def test_sipp_calls_are_answered_and_hung_up(sip_hub, tmp_path):
    result = subprocess.run(
        ["sipp", "-sn", "uac", f"127.0.0.1:{sip_hub.sip_port}", "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)),
         "-m", "5", "-r", "5", "-d", "1000", "-timeout", "30", "-timeout_error", "-trace_err", "-nostdin"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    errors = "".join(p.read_text() for p in tmp_path.glob("*_errors.log"))
    assert result.returncode == 0, f"sipp exit {result.returncode}\n{result.stdout[-2000:]}\n{errors}"


def baresip(tmp_path: Path, number: str, wav: Path, seconds: int, commands: list[str], answer: bool = False,
            account: str = "", port: int | None = None):
    """Runs baresip as `number` with `wav` as its microphone (`account`: more account parameters,
    e.g. `;auth_user=…;auth_pass=…`; `port`: where it listens); returns its log and the received audio."""
    config = tmp_path / "baresip"
    dumps = tmp_path / "dumps"
    config.mkdir()
    dumps.mkdir()
    port = port or free_port(socket.SOCK_DGRAM)
    (config / "config").write_text("\n".join([
        "poll_method epoll", f"sip_listen 127.0.0.1:{port}",
        "audio_player aubridge,nowhere", f"audio_source aufile,{wav}", "audio_alert aubridge,nowhere",
        "audio_srate 8000", "audio_channels 1", "module_path /usr/lib/baresip/modules",
        "module g711.so", "module aufile.so", "module aubridge.so", "module sndfile.so",
        "module_app account.so", "module_app menu.so", f"snd_path {dumps}", ""]))
    mode = ";answermode=auto" if answer else ""
    (config / "accounts").write_text(f"<sip:{number}@127.0.0.1>;regint=0;audio_codecs=PCMU{mode}{account}\n")
    (config / "contacts").write_text("\n")
    argv = ["baresip", "-f", str(config), "-t", str(seconds)]
    for command in commands:
        argv += ["-e", command]
    log = ARTIFACTS / f"baresip-{number.lstrip('+')}.log"
    process = subprocess.Popen(argv, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    return process, port, log, dumps


def heard(dumps: Path, name: str) -> float:
    decoded = list(dumps.glob("*-dec.wav"))
    assert decoded, "baresip dumped no received audio"
    shutil.copy(decoded[0], ARTIFACTS / name)
    with wave.open(str(decoded[0])) as received:
        frames = received.readframes(received.getnframes())
        rate = received.getframerate()
    return pcm.loud_seconds(frames, rate)


@pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed")
def test_a_baresip_call_with_a_wav_microphone_hears_the_answer(sip_hub, tmp_path):
    number = "+15550200006"
    wav = tmp_path / "question.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(tmp_path / "q.wav"), QUESTION], check=True)
    subprocess.run(["sox", str(tmp_path / "q.wav"), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(wav),
                    "pad", "0.5", "9"], check=True)
    process, _, log, dumps = baresip(tmp_path, number, wav, 16, [f"/dial sip:agent@127.0.0.1:{sip_hub.sip_port}"])
    process.wait(timeout=40)
    text = log.read_text(errors="replace")
    assert "Call established" in text, text[-2000:]
    seconds_loud = heard(dumps, "baresip-heard.wav")
    assert seconds_loud > 1.5, f"baresip heard {seconds_loud:.2f} s of answer"
    ready = session_ready(sip_hub, number)
    assert ready["agent"] == "flight"
    assert "flight" in ready["history"][-1]["user"].lower()


@pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed")
def test_the_hub_calls_a_sip_phone_and_its_agent_opens_with_the_purpose(sip_hub, tmp_path):
    number = "+15550200007"
    wav = tmp_path / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(wav), "trim", "0", "12"], check=True)
    process, port, log, dumps = baresip(tmp_path, number, wav, 12, [], answer=True)
    time.sleep(1.5)  # baresip is listening
    request = urllib.request.Request(f"{sip_hub.http_base}/calls", method="POST", headers={"Content-Type": "application/json", **ADMIN_HEADERS},
                                     data=json.dumps({"to": f"sip:{number}@127.0.0.1:{port}", "agent": "flight",
                                                      "purpose": "a change to your flight SB204"}).encode())
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 202
        answer = json.loads(response.read())
    assert answer["via"] == "sip" and answer["session_key"] == number
    process.wait(timeout=40)
    text = log.read_text(errors="replace")
    assert "Call established" in text, text[-2000:]
    assert heard(dumps, "baresip-called.wav") > 1.5
    ready = session_ready(sip_hub, number)
    assert ready["agent"] == "flight"
    assert "calling about a change to your flight SB204" in ready["history"][-1]["assistant"]


# Hostile input and limits: nothing a phone network sends may crash, hang or exhaust the hub.

def final_response(caller: SIPCaller, timeout: float = 5) -> str:
    while True:
        response = caller.receive(timeout)
        if int(response.split(" ", 2)[1]) >= 200:
            return response


def header(response: str, name: str) -> str | None:
    found = re.search(rf"^{name}: (.*)$", response, re.M | re.I)
    return found.group(1).strip() if found else None


def test_impossible_numbers_are_refused_and_the_hub_lives_on(sip_hub):
    # Payload type 300 once stopped the process ("Not enough bits to represent the passed value").
    # (Each offer from its own socket: the hub retransmits a 488 until it is acknowledged.)
    for media, attributes in (("m=audio 4000 RTP/AVP 300", "a=rtpmap:300 PCMU/8000\r\n"), ("m=audio 4000 RTP/AVP -1", ""),
                              ("m=audio 99999 RTP/AVP 0", ""), ("m=audio 4000 RTP/AVP 0", "a=ptime:0\r\n")):
        offerer = SIPCaller(sip_hub.sip_port, "+15550200010")
        response = offerer.invite(offerer.offer(media=media, attributes=attributes))
        offerer.close()
        assert response.startswith("SIP/2.0 488"), response
        assert header(response, "Warning").startswith("305 "), response
    probe = SIPCaller(sip_hub.sip_port, "+15550200010")
    dialog = f"From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: hostile-h@127.0.0.1\r\n"
    for n, line in enumerate(("CSeq: 1099511627776 OPTIONS", "CSeq: 1 OPTIONS\r\nMax-Forwards: 18446744073709551616",
                              "CSeq: 1 OPTIONS\r\nContent-Length: 18446744073709551616", "CSeq: -1 OPTIONS")):
        probe.send_raw((f"OPTIONS sip:agent@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{probe.sip_port};branch=z9hG4bKh{n}\r\n"
                        f"{dialog}{line}\r\n\r\n").encode())
        response = probe.receive(5)
        assert response.startswith("SIP/2.0 400"), response
    probe.close()
    assert sip_hub.process.poll() is None
    assert metric(sip_hub, "switchboard_sip_rejected_total", 'status="488"') >= 4
    # A normal call still works.
    caller = SIPCaller(sip_hub.sip_port, "+15550200011")
    assert caller.invite().startswith("SIP/2.0 200")
    assert caller.bye().startswith("SIP/2.0 200")


@pytest.fixture(scope="module")
def limits_hub(tmp_path_factory: pytest.TempPathFactory):
    port = free_port(socket.SOCK_DGRAM)
    instance = start_hub(tmp_path_factory.mktemp("sip-limits-hub"), "sip-limits",
                         ["--sip-port", str(port), "--sip-max-calls", "2", "--sip-invites-per-second", "1", "--rtp-timeout", "2"])
    instance.sip_port = port
    yield instance
    stop_hub(instance)


def test_max_calls_refuses_with_503_and_retry_after(limits_hub):
    first, second, third = (SIPCaller(limits_hub.sip_port, f"+1555020002{n}") for n in range(3))
    assert first.invite().startswith("SIP/2.0 200")
    first.start_media()
    time.sleep(1.1)  # one INVITE a second is allowed here
    assert second.invite().startswith("SIP/2.0 200")
    second.start_media()
    time.sleep(1.1)
    refused = third.invite()
    assert refused.startswith("SIP/2.0 503 Service Unavailable (Too Many Calls)"), refused
    assert int(header(refused, "Retry-After")) > 0
    assert metric(limits_hub, "switchboard_sip_refused_total", 'reason="max_calls"') == 1
    assert first.bye().startswith("SIP/2.0 200")
    time.sleep(1.1)
    again = SIPCaller(limits_hub.sip_port, "+15550200023")
    assert again.invite().startswith("SIP/2.0 200")
    for caller in (second, again):
        caller.bye()
    third.close()


def test_invite_flood_from_one_address_gets_503(limits_hub):
    time.sleep(2.5)  # the bucket refills (two INVITEs of burst)
    callers = [SIPCaller(limits_hub.sip_port, f"+1555020003{n}") for n in range(3)]
    responses = [caller.invite() for caller in callers]
    assert responses[0].startswith("SIP/2.0 200") and responses[1].startswith("SIP/2.0 200"), responses
    assert responses[2].startswith("SIP/2.0 503 Service Unavailable (Too Many Call Attempts)"), responses[2]
    assert int(header(responses[2], "Retry-After")) >= 1
    assert metric(limits_hub, "switchboard_sip_refused_total", 'reason="invite_rate"') >= 1
    for caller in callers[:2]:
        caller.bye()
    callers[2].close()
    time.sleep(1.1)
    later = SIPCaller(limits_hub.sip_port, "+15550200034")
    assert later.invite().startswith("SIP/2.0 200")
    later.bye()


def test_rtp_from_a_stranger_is_dropped_and_media_goes_to_the_signalling_ip(limits_hub):
    time.sleep(1.1)
    caller = SIPCaller(limits_hub.sip_port, "+15550200040")
    port = caller.rtp.getsockname()[1]
    # The SDP names another address (127.0.0.2) than the SIP came from: media still goes to 127.0.0.1.
    decoy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    decoy.bind(("127.0.0.2", port))
    decoy.settimeout(1.5)
    assert caller.invite(caller.offer(connection="127.0.0.2")).startswith("SIP/2.0 200")
    caller.start_media()
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger.bind(("127.0.0.2", 0))
    before = metric(limits_hub, "switchboard_sip_rtp_foreign_packets_total", "")
    time.sleep(0.3)
    for n in range(5):
        stranger.sendto(bytes([0x80, 101, 0, n, 0, 0, 0, 1, 0, 0, 0, 9, 1, 0x8A, 3, 0x20]), caller.remote_rtp)
    time.sleep(0.5)
    assert metric(limits_hub, "switchboard_sip_rtp_foreign_packets_total", "") >= before + 5
    assert len(caller.packets) > 5
    with pytest.raises(socket.timeout):
        decoy.recvfrom(2048)
    assert metric(limits_hub, "switchboard_sip_media_address_confined_total", "") >= 1
    assert caller.bye().startswith("SIP/2.0 200")
    stranger.close()
    decoy.close()


def test_a_call_without_rtp_is_hung_up_with_bye(limits_hub):
    time.sleep(1.1)
    silent = SIPCaller(limits_hub.sip_port, "+15550200050")
    assert silent.invite().startswith("SIP/2.0 200")
    bye = silent.receive(8)  # --rtp-timeout 2
    assert bye.startswith("BYE "), bye
    silent.ok(bye)
    silent.close()
    assert metric(limits_hub, "switchboard_sip_rtp_timeouts_total", "") >= 1
    time.sleep(1.1)
    talking = SIPCaller(limits_hub.sip_port, "+15550200051")
    assert talking.invite().startswith("SIP/2.0 200")
    talking.start_media()
    with pytest.raises(socket.timeout):
        talking.receive(3.5)  # still talking: no BYE
    assert talking.bye().startswith("SIP/2.0 200")


# ---- Who is calling: trusted peers and digest authentication ----

AUTH_USER, AUTH_PASSWORD, AUTH_NUMBER = "alice", "correct horse", "+15550300001"
BARESIP_USER, BARESIP_PASSWORD, BARESIP_NUMBER = "bob", "staple-battery", "+15550300002"


@pytest.fixture(scope="module")
def auth_hub(tmp_path_factory: pytest.TempPathFactory):
    """A hub that trusts only 10.255.255.255: loopback callers are strangers who must authenticate."""
    tmp = tmp_path_factory.mktemp("sip-auth-hub")
    users = tmp / "sip-users.txt"
    users.write_text(f"# SIP callers from untrusted addresses\n{AUTH_USER}:{AUTH_PASSWORD}:{AUTH_NUMBER}\n"
                     f"{BARESIP_USER}:{BARESIP_PASSWORD}:{BARESIP_NUMBER}\n")
    port = free_port(socket.SOCK_DGRAM)
    instance = start_hub(tmp, "sip-auth", ["--sip-port", str(port), "--sip-trust", "10.255.255.255/32", "--sip-users", str(users)])
    instance.sip_port = port
    yield instance
    stop_hub(instance)


def test_an_untrusted_caller_is_challenged_and_called_in_as_the_users_number(auth_hub):
    # Claiming a number in From without credentials: 401 with a digest challenge, and no call.
    spoofer = SIPCaller(auth_hub.sip_port, "+15550300099")
    challenge = spoofer.invite()
    assert challenge.startswith("SIP/2.0 401 Unauthorized"), challenge
    assert re.search(r'^WWW-Authenticate: Digest realm="127.0.0.1", nonce="[0-9a-f]{64}", algorithm=MD5, qop="auth"\r?$',
                     challenge, re.M), challenge
    assert re.search(r'^WWW-Authenticate: Digest .*algorithm=SHA-256', challenge, re.M), challenge
    spoofer.close()

    # A wrong password: challenged again, no call.
    guesser = SIPCaller(auth_hub.sip_port, "+15550300099")
    _, refused = guesser.invite_with_digest(AUTH_USER, "incorrect horse")
    assert refused.startswith("SIP/2.0 401"), refused
    guesser.close()

    # The right password (SHA-256), with From and P-Asserted-Identity naming someone else: the
    # call is the users file's number.
    caller = SIPCaller(auth_hub.sip_port, "+15550300099")
    _, answered = caller.invite_with_digest(AUTH_USER, AUTH_PASSWORD, algorithm="SHA-256")
    assert answered.startswith("SIP/2.0 200"), answered
    start = time.monotonic()
    caller.speak(spoken_mulaw(QUESTION) + SILENCE_FRAME * 60)
    assert len(wait_for_answer(caller, start)) > 0
    assert caller.bye().startswith("SIP/2.0 200")

    log = auth_hub.log()
    offered = [line for line in log.splitlines() if "call offered" in line]
    assert len(offered) == 1, offered  # the spoofed and the wrong-password INVITEs started nothing
    assert "call.caller_proof=digest" in offered[0] and "session.key=+155…01" in offered[0], offered[0]
    assert metric(auth_hub, "switchboard_sip_auth_total", 'outcome="challenged"') >= 2
    assert metric(auth_hub, "switchboard_sip_auth_total", 'outcome="failed"') >= 1
    assert metric(auth_hub, "switchboard_sip_auth_total", 'outcome="accepted"') == 1


def test_a_replayed_authorization_is_refused(auth_hub):
    time.sleep(0.5)
    caller = SIPCaller(auth_hub.sip_port, AUTH_NUMBER)
    challenge = caller.invite()
    assert challenge.startswith("SIP/2.0 401"), challenge
    offered = re.search(r"^WWW-Authenticate: (.*algorithm=MD5.*)$", challenge, re.M).group(1).strip()
    from sip_peer import digest_authorization
    authorization = digest_authorization(offered, AUTH_USER, AUTH_PASSWORD, "INVITE", caller.request_uri)
    caller.cseq += 1
    assert caller.invite(extra=[f"Authorization: {authorization}"]).startswith("SIP/2.0 200")
    caller.start_media()
    # The same credentials in a new call (a captured INVITE replayed): refused.
    replayer = SIPCaller(auth_hub.sip_port, "+15550300098")
    replayed = replayer.invite(extra=[f"Authorization: {authorization}"])
    assert replayed.startswith("SIP/2.0 401"), replayed
    assert metric(auth_hub, "switchboard_sip_auth_total", 'outcome="replayed"') >= 1
    replayer.close()
    assert caller.bye().startswith("SIP/2.0 200")


@pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp (Debian sip-tester) is not installed")
def test_sipp_authenticates_with_digest_and_is_answered(auth_hub, tmp_path):
    time.sleep(1)
    scenario = Path(__file__).parent / "sipp_uac_auth.xml"
    base = ["sipp", "-sf", str(scenario), "-s", "agent", f"127.0.0.1:{auth_hub.sip_port}", "-i", "127.0.0.1",
            "-p", str(free_port(socket.SOCK_DGRAM)), "-m", "1", "-au", AUTH_USER,
            "-auth_uri", f"agent@127.0.0.1:{auth_hub.sip_port}", "-trace_err", "-nostdin"]
    accepted = metric(auth_hub, "switchboard_sip_auth_total", 'outcome="accepted"')
    result = subprocess.run(base + ["-ap", AUTH_PASSWORD, "-timeout", "20", "-timeout_error"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    errors = "".join(p.read_text() for p in tmp_path.glob("*_errors.log"))
    assert result.returncode == 0, f"sipp exit {result.returncode}\n{result.stdout[-2000:]}\n{errors}"
    assert metric(auth_hub, "switchboard_sip_auth_total", 'outcome="accepted"') == accepted + 1
    # Without the right password sipp never gets its 200.
    wrong = subprocess.run(base + ["-ap", "wrong", "-timeout", "6", "-timeout_error"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    assert wrong.returncode != 0
    assert metric(auth_hub, "switchboard_sip_auth_total", 'outcome="accepted"') == accepted + 1


@pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed")
def test_baresip_answers_the_digest_challenge_and_hears_the_answer(tmp_path):
    # baresip 1.x (re) refuses a challenge set that names SHA-256: this hub offers MD5 only.
    users = tmp_path / "sip-users.txt"
    users.write_text(f"{BARESIP_USER}:{BARESIP_PASSWORD}:{BARESIP_NUMBER}\n")
    sip_port = free_port(socket.SOCK_DGRAM)
    (tmp_path / "hub").mkdir()
    auth_hub = start_hub(tmp_path / "hub", "sip-auth-md5", ["--sip-port", str(sip_port), "--sip-trust", "10.255.255.255/32",
                                                           "--sip-users", str(users), "--sip-digest-algorithms", "MD5"])
    auth_hub.sip_port = sip_port
    try:
        baresip_digest_call(auth_hub, tmp_path)
    finally:
        stop_hub(auth_hub)


def baresip_digest_call(auth_hub, tmp_path: Path) -> None:
    wav = tmp_path / "question.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(tmp_path / "q.wav"), QUESTION], check=True)
    subprocess.run(["sox", str(tmp_path / "q.wav"), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(wav),
                    "pad", "0.5", "9"], check=True)
    accepted = metric(auth_hub, "switchboard_sip_auth_total", 'outcome="accepted"')
    # baresip calls as a number of its own choosing; the hub takes bob's from the users file.
    process, _, log, dumps = baresip(tmp_path, "+15550300097", wav, 16, [f"/dial sip:agent@127.0.0.1:{auth_hub.sip_port}"],
                                     account=f";auth_user={BARESIP_USER};auth_pass={BARESIP_PASSWORD}")
    process.wait(timeout=40)
    text = log.read_text(errors="replace")
    assert "Call established" in text, text[-2000:]
    assert heard(dumps, "baresip-digest-heard.wav") > 1.5
    assert metric(auth_hub, "switchboard_sip_auth_total", 'outcome="accepted"') == accepted + 1
    offered = [line for line in auth_hub.log().splitlines() if "call offered" in line and "session.key=+155…02" in line]
    assert offered and "call.caller_proof=digest" in offered[-1], offered


def test_the_agent_hangs_up_a_sip_call_after_its_goodbye(sip_hub):
    number = "+15550200071"
    caller = SIPCaller(sip_hub.sip_port, number)
    assert caller.invite().startswith("SIP/2.0 200")
    start = time.monotonic()
    caller.speak(spoken_mulaw("Goodbye") + SILENCE_FRAME * 60)
    caller.start_media()
    bye = ""
    deadline = time.monotonic() + 30
    while not bye.startswith("BYE ") and time.monotonic() < deadline:
        try:
            bye = caller.receive(2)
        except socket.timeout:
            continue
    bye_at = time.monotonic()
    assert bye.startswith("BYE "), "the hub hung up"
    caller.ok(bye)
    goodbye = [t for t, p in caller.received if t >= start and rms(p) > 200]
    assert goodbye and (goodbye[-1] - goodbye[0]) > 0.6, "the goodbye was spoken"
    assert bye_at >= goodbye[-1], "the BYE came after the goodbye had played"
    caller.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with urllib.request.urlopen(urllib.request.Request(
                f"{sip_hub.http_base}/v1/calls?number={urllib.parse.quote(number)}", headers=ADMIN_HEADERS), timeout=5) as response:
            records = json.loads(response.read())["data"]
        if records and records[0]["ended_at"]:
            break
        time.sleep(0.2)
    record = records[0]
    assert record["channel"] == "sip" and record["from"] == number and record["end_reason"] == "agent_ended", record
    assert any(call["name"] == "end_call" for call in record["tool_calls"])


# ---- Transfers by REFER (RFC 3515, RFC 5589) ----

TRANSFER_PHRASE = "I want to talk to a person"


def call_record(hub, number: str, timeout: float = 15) -> dict:
    """The latest call record of `number`, once it has ended."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(urllib.request.Request(
                f"{hub.http_base}/v1/calls?number={urllib.parse.quote(number)}", headers=ADMIN_HEADERS), timeout=5) as response:
            records = json.loads(response.read())["data"]
        if (records and records[0]["ended_at"]) or time.monotonic() > deadline:
            assert records, f"no call record for {number}"
            return records[0]
        time.sleep(0.2)


def ask_for_a_person(hub, number: str) -> tuple[SIPCaller, str, float, float]:
    """A call whose caller asks for a person: returns the caller, the hub's REFER, when the
    caller started speaking and when the REFER arrived."""
    caller = SIPCaller(hub.sip_port, number)
    assert caller.invite().startswith("SIP/2.0 200")
    start = time.monotonic()
    caller.speak(spoken_mulaw(TRANSFER_PHRASE) + SILENCE_FRAME * 60)
    caller.start_media()
    refer, refer_at = caller.wait_for_request("REFER", 40)
    return caller, refer, start, refer_at


def test_a_caller_asking_for_a_person_is_transferred_by_refer(sip_hub):
    number = "+15550200081"
    caller, refer, start, refer_at = ask_for_a_person(sip_hub, number)
    assert re.search(r"^Refer-To: <sip:\+15550100199@127\.0\.0\.1[:>]", refer, re.M), refer
    assert header(refer, "Referred-By"), refer
    assert header(refer, "Call-ID") == caller.call_id
    # The agent's message was heard before the REFER went out.
    spoken = [t for t, p in caller.received if t >= start and rms(p) > 200]
    assert spoken and spoken[-1] - spoken[0] > 1.0, "the agent said it was putting the caller through"
    assert refer_at >= spoken[-1], "the REFER came after the agent's message had played"
    caller.respond(refer, 202, "Accepted")
    assert caller.notify(refer, "SIP/2.0 100 Trying").startswith("SIP/2.0 200")
    assert not any(m.startswith("BYE ") for m in caller.signalling), "no BYE before the target answered"
    assert caller.notify(refer, "SIP/2.0 200 OK", state="terminated;reason=noresource").startswith("SIP/2.0 200")
    bye = next((m for m in caller.signalling if m.startswith("BYE ")), None) or caller.wait_for_request("BYE", 5)[0]
    caller.ok(bye)
    caller.close()
    record = call_record(sip_hub, number)
    assert record["end_reason"] == "transferred", record
    assert record["transfers"][0]["outcome"] == "completed", record
    assert record["transfers"][0]["to"] == "+15550100199", record
    assert any(call["name"] == "transfer_call" for call in record["tool_calls"])


def test_a_refer_the_caller_refuses_falls_back_to_a_bridge_and_a_busy_person_leaves_the_call_up(sip_hub):
    """The caller's side does not take REFER (405): the hub calls the person itself; they are
    busy (486), so the caller stays with the agent, who says so."""
    number = "+15550200082"
    person = SIPCallee(port=sip_hub.trunk_port)
    try:
        caller, refer, _, _ = ask_for_a_person(sip_hub, number)
        caller.respond(refer, 405, "Method Not Allowed", extra=["Allow: INVITE, ACK, BYE, CANCEL"])
        invite = person.wait_for_invite(10)
        assert invite.startswith("INVITE sip:+15550100199@127.0.0.1"), invite
        person.refuse(486, "Busy Here")
        refused_at = time.monotonic()
        sorry = wait_for_answer(caller, refused_at, timeout=20)
        assert len(sorry) / 8000 > 1.0, "the agent said it could not transfer the call"
        # The call stays up: no BYE, and the caller can go on and hang up.
        with pytest.raises(socket.timeout):
            caller.receive(2)
        assert not any(m.startswith("BYE ") for m in caller.signalling)
        assert caller.bye().startswith("SIP/2.0 200")
    finally:
        person.close()
    record = call_record(sip_hub, number)
    assert record["transfers"][0]["outcome"] == "failed", record
    assert "486" in record["transfers"][0]["error"], record
    assert record["end_reason"] == "caller_hung_up", record


def distinct_frames(count: int, seed: int) -> list[bytes]:
    """`count` 20 ms μ-law payloads no codec path would produce by chance (no silence bytes)."""
    import random
    generator = random.Random(seed)
    return [bytes(generator.randrange(0x10, 0x7F) for _ in range(160)) for _ in range(count)]


def assert_patched(caller: SIPCaller, person: SIPCallee) -> None:
    """Each side hears the other's RTP payloads byte for byte (forwarded, not re-encoded)."""
    from_caller = distinct_frames(50, 1)
    heard_before = len(person.received)
    caller.speak(b"".join(from_caller))
    time.sleep(0.5)
    heard = {p for _, p in person.received[heard_before:]}
    arrived = sum(frame in heard for frame in from_caller)
    assert arrived >= 25, f"the person heard {arrived} of the caller's 50 packets unchanged"
    from_person = distinct_frames(50, 2)
    heard_before = len(caller.received)
    person.say(b"".join(from_person))
    time.sleep(0.5)
    heard = {p for _, p in caller.received[heard_before:]}
    arrived = sum(frame in heard for frame in from_person)
    assert arrived >= 40, f"the caller heard {arrived} of the person's 50 packets unchanged"


def test_a_refer_the_caller_refuses_falls_back_to_a_bridge_the_hub_patches(sip_hub):
    number = "+15550200083"
    person = SIPCallee(port=sip_hub.trunk_port)
    try:
        caller, refer, _, _ = ask_for_a_person(sip_hub, number)
        caller.respond(refer, 501, "Not Implemented")
        invite = person.wait_for_invite(10)
        assert re.search(r"^From: .*<sip:switchboard@", invite, re.M), invite
        person.answer()
        # Nothing is announced on a cold transfer: the calls are patched at once.
        assert_patched(caller, person)
        # The person hangs up: the hub ends the caller's call too.
        assert person.bye().startswith("SIP/2.0 200")
        bye = next((m for m in caller.signalling if m.startswith("BYE ")), None) or caller.wait_for_request("BYE", 10)[0]
        caller.ok(bye)
        caller.close()
    finally:
        person.close()
    record = call_record(sip_hub, number)
    assert record["end_reason"] == "transferred", record
    assert record["transfers"][0]["outcome"] == "completed", record
    assert record["transfers"][0]["method"] == "bridge", record


# ---- Warm transfers: the hub calls the person, tells them about the call, then patches ----

@pytest.fixture(scope="module")
def warm_hub(tmp_path_factory: pytest.TempPathFactory):
    """A hub whose travel desk puts callers through warm, to a number on its trunk."""
    tmp = tmp_path_factory.mktemp("warm-hub")
    packs = tmp / "Personas"
    shutil.copytree(Path(__file__).resolve().parents[2] / "Personas", packs)
    tool = packs / "travel" / "tools" / "transfer_call.yaml"
    tool.write_text(tool.read_text().replace("      message:", "      mode: warm\n      message:"))
    port = free_port(socket.SOCK_DGRAM)
    trunk = free_port(socket.SOCK_DGRAM)
    instance = start_hub(tmp, "warm", ["--sip-port", str(port), "--sip-trunk", f"127.0.0.1:{trunk}"], packs=packs)
    instance.sip_port = port
    instance.trunk_port = trunk
    yield instance
    stop_hub(instance)


def test_a_warm_transfer_tells_the_person_about_the_call_then_puts_the_caller_through(warm_hub):
    number = "+15550200084"
    person = SIPCallee(port=warm_hub.trunk_port)
    try:
        caller = SIPCaller(warm_hub.sip_port, number)
        assert caller.invite().startswith("SIP/2.0 200")
        start = time.monotonic()
        caller.speak(spoken_mulaw(TRANSFER_PHRASE) + SILENCE_FRAME * 60)
        caller.start_media()
        invite = person.wait_for_invite(40)
        invited_at = time.monotonic()
        # The agent told the caller first; no REFER is sent on a warm transfer.
        told = [t for t, p in caller.received if start <= t <= invited_at and rms(p) > 200]
        assert told and told[-1] - told[0] > 1.0, "the agent said it was putting the caller through"
        assert invite.startswith("INVITE sip:+15550100199@127.0.0.1"), invite
        person.answer()
        answered_at = time.monotonic()
        # The person hears the announcement; the caller hears none of it.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            loud = [t for t, p in person.received if rms(p) > 200]
            if loud and time.monotonic() - loud[-1] > 1.5:
                break
            time.sleep(0.2)
        loud = [t for t, p in person.received if rms(p) > 200]
        assert loud and loud[-1] - loud[0] > 3.0, f"the person heard {len(loud) * 0.02:.1f} s of announcement"
        announcement = b"".join(p for t, p in person.received if loud[0] <= t <= loud[-1])
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with wave.open(str(ARTIFACTS / "warm-transfer-announcement.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(struct.pack(f"<{len(announcement)}h", *(mulaw_to_linear(b) for b in announcement)))
        leaked = [t - answered_at for t, p in caller.received if t > answered_at and rms(p) > 200]
        assert not leaked, f"the caller heard the announcement: {len(leaked)} packets from {leaked[0]:.2f} s to {leaked[-1]:.2f} s after the answer, loud {loud[0]-answered_at:.2f}..{loud[-1]-answered_at:.2f}"
        assert not any(m.startswith("REFER ") for m in caller.signalling)
        assert_patched(caller, person)
        # The caller hangs up: the hub ends the person's call too.
        assert caller.bye().startswith("SIP/2.0 200")
        bye = person.wait_for_request("BYE", 10)
        person.ok(bye)
    finally:
        person.close()
    record = call_record(warm_hub, number)
    assert record["end_reason"] == "transferred", record
    transfer = record["transfers"][0]
    assert (transfer["mode"], transfer["method"], transfer["outcome"]) == ("warm", "bridge", "completed"), record


@pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip is not installed")
def test_a_baresip_phone_hears_the_announcement_and_then_talks_with_the_caller(warm_hub, tmp_path):
    """The person is a real SIP phone (baresip, answering by itself, a WAV as its voice): it hears
    the hub's announcement; once the calls are patched the caller hears its voice; its hang-up
    ends the caller's call."""
    number = "+15550200087"
    voice = tmp_path / "person.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(tmp_path / "p.wav"), "Customer service, Dana speaking. How can I help you today?"],
                   check=True)
    # Its voice starts 16 s after it answers: after the announcement, so only a patched call carries it.
    subprocess.run(["sox", str(tmp_path / "p.wav"), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(voice),
                    "pad", "16", "4"], check=True)
    process, _, log, dumps = baresip(tmp_path, "+15550100199", voice, 40, [], answer=True, port=warm_hub.trunk_port)
    try:
        time.sleep(1.5)  # baresip is listening
        caller = SIPCaller(warm_hub.sip_port, number)
        assert caller.invite().startswith("SIP/2.0 200")
        asked = time.monotonic()
        caller.speak(spoken_mulaw(TRANSFER_PHRASE) + SILENCE_FRAME * 60)
        caller.start_media()
        bye, _ = caller.wait_for_request("BYE", 60)
        caller.ok(bye)
        caller.close()
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    text = log.read_text(errors="replace")
    assert "Call established" in text, text[-2000:]
    assert heard(dumps, "baresip-warm-announcement.wav") > 4, "the person heard the announcement"
    loud = [t - asked for t, p in caller.received if rms(p) > 200]
    # The agent's message, then nothing while the person is told, then the person's voice.
    gaps = [b - a for a, b in zip(loud, loud[1:])]
    assert loud and max(gaps) > 8, f"the caller heard no pause for the announcement: {loud[:3]}…{loud[-3:]}"
    assert loud[-1] - loud[gaps.index(max(gaps)) + 1] > 1.5, "the caller heard the person once the calls were patched"
    record = call_record(warm_hub, number)
    assert record["end_reason"] == "transferred" and record["transfers"][0]["method"] == "bridge", record


def test_a_warm_transfer_nobody_answers_returns_the_caller_to_the_agent(warm_hub):
    number = "+15550200085"
    person = SIPCallee(port=warm_hub.trunk_port)
    try:
        caller = SIPCaller(warm_hub.sip_port, number)
        assert caller.invite().startswith("SIP/2.0 200")
        caller.speak(spoken_mulaw(TRANSFER_PHRASE) + SILENCE_FRAME * 60)
        caller.start_media()
        person.wait_for_invite(40)
        person.refuse(480, "Temporarily Unavailable")
        refused_at = time.monotonic()
        sorry = wait_for_answer(caller, refused_at, timeout=20)
        assert len(sorry) / 8000 > 1.0, "the agent said it could not put the caller through"
        assert not any(m.startswith("BYE ") for m in caller.signalling)
        assert caller.bye().startswith("SIP/2.0 200")
    finally:
        person.close()
    record = call_record(warm_hub, number)
    assert record["transfers"][0]["outcome"] == "failed" and "480" in record["transfers"][0]["error"], record
    assert record["end_reason"] == "caller_hung_up", record

# ---- Placed calls are records from the moment they are dialled ----

def place_call(hub, body: dict) -> dict:
    request = urllib.request.Request(f"{hub.http_base}/calls", method="POST", headers={"Content-Type": "application/json", **ADMIN_HEADERS},
                                     data=json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 202
        return json.loads(response.read())


def record_by_id(hub, record_id: str, timeout: float = 15, ended: bool = True) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(urllib.request.Request(f"{hub.http_base}/v1/calls/{record_id}", headers=ADMIN_HEADERS), timeout=5) as response:
            record = json.loads(response.read())
        if bool(record["ended_at"]) == ended or time.monotonic() > deadline:
            return record
        time.sleep(0.2)


def test_a_placed_call_that_is_busy_or_never_answered_is_a_record_that_says_so(sip_hub):
    # Busy: the phone refuses the INVITE with 486.
    person = SIPCallee()
    try:
        answer = place_call(sip_hub, {"to": f"sip:+15550200091@127.0.0.1:{person.sip_port}", "agent": "flight"})
        invite = person.wait_for_invite(10)
        assert header(invite, "Call-ID") == answer["call_id"]
        person.refuse(486, "Busy Here")
        record = record_by_id(sip_hub, answer["record_id"])
        assert record["end_reason"] == "busy" and record["answered_at"] is None, record
        assert record["direction"] == "outbound" and record["provider_call_id"] == answer["call_id"], record
    finally:
        person.close()
    # Nobody answers: after its ring timeout the hub gives up (CANCEL) and the record says no_answer.
    person = SIPCallee()
    try:
        placed_at = time.monotonic()
        answer = place_call(sip_hub, {"to": f"sip:+15550200092@127.0.0.1:{person.sip_port}", "ring_timeout": 5})
        person.wait_for_invite(10)
        person.ring()
        ringing = record_by_id(sip_hub, answer["record_id"], timeout=0, ended=False)
        assert ringing["ended_at"] is None and ringing["answered_at"] is None, ringing
        cancel = person.wait_for_request("CANCEL", 15)
        assert time.monotonic() - placed_at >= 4.5, "the call rang for its ring timeout"
        person.ok(cancel)
        record = record_by_id(sip_hub, answer["record_id"])
        assert record["end_reason"] == "no_answer", record
    finally:
        person.close()


def test_an_answered_placed_call_goes_on_with_its_record(sip_hub):
    person = SIPCallee()
    try:
        answer = place_call(sip_hub, {"to": f"sip:+15550200093@127.0.0.1:{person.sip_port}", "agent": "flight",
                                      "purpose": "a change to your flight SB204"})
        person.wait_for_invite(10)
        time.sleep(0.5)
        person.answer()
        deadline = time.monotonic() + 20
        while not [t for t, p in person.received if rms(p) > 200] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [t for t, p in person.received if rms(p) > 200], "the agent spoke first"
        assert person.bye().startswith("SIP/2.0 200")
    finally:
        person.close()
    record = record_by_id(sip_hub, answer["record_id"])
    assert record["end_reason"] == "caller_hung_up", record
    assert record["started_at"] < record["answered_at"] <= record["ended_at"], "rang from dialling to answering"
    assert record["to"] == "+15550200093" and record["agents"][0]["agent"] == "flight", record
