"""A caller's conversation through the official `openai` SDK: a flight question, then a hotel
question, then back to flights. The router hands over between agents, the hub runs their tools
against the demo data, and every event the SDK receives is strictly valid for its protocol.

The SDK client declares no tools, so it must never see a function call: the hub runs them.
With `hub_events=1` (an extra query parameter) it also hears `hub.agent.switched` and
`hub.tool.result`, which carry the tool outputs the answers are checked against.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List, Tuple

from test_openai_sdk import (
    BETA,
    GA,
    RawLog,
    check_raw_messages,
    collect_until,
    message_text,
    run,
    sdk_client,
)

CONVERSATION = [
    ("Is flight SB204 on time tomorrow?", "flight", "check_flight_status"),
    ("What is the status of my hotel reservation H204518?", "hotel", "check_reservation_status"),
    ("And which gate does flight SB204 leave from tomorrow?", "flight", "check_flight_status"),
]


def user_item(text: str) -> Dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def hub_events(raw: List[bytes]) -> List[Dict[str, Any]]:
    out = []
    for message in raw:
        event = json.loads(message)
        if event.get("type", "").startswith("hub."):
            out.append(event)
    return out


async def converse(hub, protocol: str) -> List[Tuple[List[bytes], List[Any]]]:
    client = sdk_client(hub)
    query = {"hub_events": "1", "session_state_key": str(uuid.uuid4())}
    turns = []
    try:
        if protocol == GA:
            manager = client.realtime.connect(model="gpt-realtime", extra_query=query)
        else:
            manager = client.beta.realtime.connect(model="gpt-4o-realtime-preview", extra_query=query)
        async with manager as conn:
            raw = RawLog(conn)
            if protocol == GA:
                await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            else:
                await conn.session.update(session={"modalities": ["text"]})
            await collect_until(conn, "session.updated")
            for text, _, _ in CONVERSATION:
                raw.messages.clear()
                await conn.conversation.item.create(item=user_item(text))
                await conn.response.create()
                events = await collect_until(conn, "response.done")
                turns.append((list(raw.messages), events))
    finally:
        await client.close()
    return turns


def check_conversation(turns: List[Tuple[List[bytes], List[Any]]], protocol: str) -> None:
    previous = "concierge"
    for (raw, events), (text, agent, tool) in zip(turns, CONVERSATION):
        sdk_events = [e for e in events if not getattr(e, "type", "").startswith("hub.")]
        raw_sdk = [m for m in raw if not json.loads(m).get("type", "").startswith("hub.")]
        check_raw_messages(raw_sdk, sdk_events, protocol)
        types = [e.type for e in sdk_events]
        assert not [t for t in types if "function_call" in t], f"{text!r}: the SDK saw a function call: {types}"
        assert types.count("response.created") == 1, f"{text!r}: {types}"

        hub = hub_events(raw)
        switched = [e for e in hub if e["type"] == "hub.agent.switched"]
        if agent != previous:
            assert switched and switched[0]["from"] == previous and switched[0]["to"] == agent, f"{text!r}: {hub}"
        else:
            assert not switched, f"{text!r}: unexpected switch {switched}"
        previous = agent

        results = [e for e in hub if e["type"] == "hub.tool.result"]
        assert results and results[0]["tool"] == tool, f"{text!r}: {hub}"
        output = results[0]["output"]
        assert output["outcome"] == "found", f"{text!r}: {output}"

        final = sdk_events[-1]
        assert final.response.status == "completed", final.model_dump_json()
        answer = " ".join(message_text(i) for i in (final.response.output or []) if getattr(i, "role", None) == "assistant")
        # Grounded: the facts in the answer come from the tool's output.
        if tool == "check_flight_status":
            assert output["status"] in answer and output["gate"] in answer, f"{answer!r} vs {output}"
        else:
            assert output["hotel"] in answer, f"{answer!r} vs {output}"


def test_ga_agents_conversation(hub) -> None:
    turns = run(lambda: converse(hub, GA))
    hub.assert_running()
    check_conversation(turns, GA)


def test_beta_agents_conversation(hub) -> None:
    turns = run(lambda: converse(hub, BETA))
    hub.assert_running()
    check_conversation(turns, BETA)
