"""Calls routed by the dialled number on the real hub: two tenants with a number each, over
Twilio (the signed voice webhook, then the media stream) and SIP; each call reaches its
tenant's agent and lands in its tenant's records only; a number no tenant has is refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import websockets

from conftest import start_hub, stop_hub

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "phone"))
from sip_peer import SIPCaller  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from hub_process import free_port  # noqa: E402

AUTH_TOKEN = "platform-routing-auth-token"


def twilio_signature(url: str, params: dict[str, str]) -> str:
    text = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(AUTH_TOKEN.encode(), text.encode(), hashlib.sha1).digest()).decode()


class DialledCaller(SIPCaller):
    """A SIP caller dialling a number (the Request-URI's user), not the hub's agent address."""

    def __init__(self, hub_port: int, number: str, dialled: str):
        super().__init__(hub_port, number)
        self.dialled = dialled

    def _request(self, method, body="", cseq=None, branch=None, extra=None, to=None, content_type="application/sdp", uri=None):
        address = f"sip:{self.dialled}@127.0.0.1:{self.hub[1]}"
        return super()._request(method, body, cseq, branch, extra, to or self.to_header or f"<{address}>", content_type, uri or address)


@pytest.fixture(scope="module")
def routed(tmp_path_factory):
    port = free_port(socket.SOCK_DGRAM)
    hub = start_hub(tmp_path_factory.mktemp("routed"), "routed", ["--sip-port", str(port), "--twilio-auth-token", AUTH_TOKEN])
    hub.sip_port = port
    tenants = {}
    for name, packs, agent, number, reaches in (("Alpha Air", ["travel"], "concierge", "+15550300001", "flight"),
                                                 ("Beta Hotels", ["travel"], "concierge", "+15550300002", "hotel")):
        status, tenant, _ = hub.call("POST", "/admin/v1/tenants", {"name": name, "packs": packs, "default_agent": agent})
        assert status == 201, tenant
        assert hub.call("POST", f"/admin/v1/tenants/{tenant['id']}/numbers", {"number": number, "agent": reaches})[0] == 201
        tenants[name] = (tenant["id"], number, reaches)
    time.sleep(2.2)  # the number table is re-read within 2 s
    yield hub, tenants
    stop_hub(hub)


def tenant_calls(hub, tenant: str, seconds: float = 15) -> list[dict]:
    deadline = time.monotonic() + seconds
    while True:
        status, page, _ = hub.call("GET", f"/admin/v1/tenants/{tenant}/calls")
        assert status == 200, page
        if [r for r in page["data"] if r["ended_at"]] or time.monotonic() > deadline:
            return page["data"]
        time.sleep(0.2)


def voice_webhook(hub, to: str, caller: str) -> ET.Element:
    url = f"{hub.http_base}/twilio/voice"
    params = {"CallSid": "CA" + "7" * 32, "AccountSid": "AC" + "0" * 32, "From": caller, "To": to, "CallStatus": "ringing", "Direction": "inbound"}
    request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": twilio_signature(url, params)})
    with urllib.request.urlopen(request, timeout=10) as response:
        return ET.fromstring(response.read().decode())


def test_a_twilio_call_reaches_the_dialled_numbers_tenant_and_agent(routed):
    hub, tenants = routed
    alpha, number, agent = tenants["Alpha Air"]
    twiml = voice_webhook(hub, number, "+15550399001")
    stream = twiml.find("./Connect/Stream")
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert parameters["tenant"] == alpha and parameters["agent"] == agent, parameters

    async def call():
        url = f"{hub.http_base.replace('http', 'ws')}/twilio/media"
        async with websockets.connect(url, additional_headers={"X-Twilio-Signature": twilio_signature(url, {})}) as ws:
            await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
            await ws.send(json.dumps({"event": "start", "streamSid": "MZ" + "1" * 32, "start": {
                "streamSid": "MZ" + "1" * 32, "callSid": "CA" + "7" * 32, "customParameters": parameters, "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))
            await asyncio.sleep(1.5)
            await ws.send(json.dumps({"event": "stop", "streamSid": "MZ" + "1" * 32}))
    asyncio.run(call())
    records = tenant_calls(hub, alpha)
    assert records and records[0]["tenant"] == alpha and records[0]["agents"][0]["agent"] == agent, records[:1]
    # A number no tenant has: Twilio is told to reject the call.
    assert voice_webhook(hub, "+15550300009", "+15550399001").find("./Reject") is not None


def test_a_sip_call_reaches_the_dialled_numbers_tenant_and_an_unknown_number_gets_404(routed):
    hub, tenants = routed
    beta, number, agent = tenants["Beta Hotels"]
    caller = DialledCaller(hub.sip_port, "+15550399002", number)
    assert caller.invite().startswith("SIP/2.0 200")
    caller.start_media()
    time.sleep(1.5)
    assert caller.bye().startswith("SIP/2.0 200")
    records = tenant_calls(hub, beta)
    assert records and records[0]["tenant"] == beta and records[0]["agents"][0]["agent"] == agent, records[:1]
    assert records[0]["channel"] == "sip" and records[0]["from"] == "+15550399002"
    # Nothing of Beta's calls is in Alpha's records.
    alpha = tenants["Alpha Air"][0]
    assert all(r["tenant"] == alpha for r in hub.call("GET", f"/admin/v1/tenants/{alpha}/calls")[1]["data"])
    stranger = DialledCaller(hub.sip_port, "+15550399003", "+15550300009")
    response = stranger.invite()
    assert response.startswith("SIP/2.0 404"), response
    stranger.close()
