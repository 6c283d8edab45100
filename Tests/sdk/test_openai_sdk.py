"""The official `openai` Python SDK talks to the hub unmodified.

Each test drives the SDK's own realtime connection manager against the hub
and checks the raw server messages strictly against the SDK's pydantic
server-event models (see realtime_events.py), in both the GA protocol
(`client.realtime.connect`) and the beta one (`client.beta.realtime.connect`,
which adds the `OpenAI-Beta: realtime=v1` header).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Awaitable, Callable, List, Optional, Tuple

import pytest
from openai import AsyncOpenAI, OpenAIError
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK

from realtime_events import BETA, GA, REFERENCE_EVENTS, is_hub_event, validate_event

EVENT_TIMEOUT_S = 30.0
TEST_TIMEOUT_S = 120.0
MAX_EVENTS = 5000
USER_TEXT = "Hello, what can you help me with?"
USER_ITEM = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": USER_TEXT}],
}


def run(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro_fn(), TEST_TIMEOUT_S)

    return asyncio.run(bounded())


def sdk_client(hub) -> AsyncOpenAI:
    return AsyncOpenAI(api_key="sk-test", websocket_base_url=hub.ws_base)


class RawLog:
    """Keeps every raw message the SDK connection receives.

    The SDK's `recv()` reads frames through `recv_bytes()`, so wrapping that
    method on the connection object records the exact wire bytes while the
    SDK's own parsing path stays in use.
    """

    def __init__(self, conn: Any) -> None:
        self.messages: List[bytes] = []
        inner = conn.recv_bytes

        async def recv_bytes() -> bytes:
            message = await inner()
            self.messages.append(message)
            return message

        conn.recv_bytes = recv_bytes


def describe(events: List[Any]) -> str:
    return ", ".join(getattr(e, "type", "?") for e in events)


async def next_event(conn: Any) -> Any:
    return await asyncio.wait_for(conn.recv(), EVENT_TIMEOUT_S)


async def collect_until(conn: Any, final_type: str, seen: Optional[List[Any]] = None) -> List[Any]:
    events: List[Any] = [] if seen is None else seen
    while len(events) < MAX_EVENTS:
        try:
            event = await next_event(conn)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"no server event within {EVENT_TIMEOUT_S:.0f} s while waiting for {final_type}; got: {describe(events)}"
            ) from None
        events.append(event)
        if event.type == "error":
            raise AssertionError(f"unexpected error event: {event.model_dump_json()}\nevents so far: {describe(events)}")
        if event.type == final_type:
            return events
    raise AssertionError(f"{final_type} did not arrive within {MAX_EVENTS} events: {describe(events[:50])} ...")


def check_raw_messages(raw: List[bytes], events: List[Any], protocol: str, allow_hub_events: bool = False) -> None:
    """Every message validates against the protocol's union, and the SDK parsed it as the same model."""
    assert len(raw) == len(events), f"{len(raw)} raw messages but {len(events)} parsed events"
    for message, event in zip(raw, events):
        if is_hub_event(message):
            assert allow_hub_events, f"hub event sent without opt-in: {message[:500]!r}"
            continue
        model = validate_event(message, protocol)
        assert type(event) is type(model), (
            f"SDK parsed `{model.type}` as {type(event).__name__}, strict validation gives {type(model).__name__}"
        )


def only(events: List[Any], event_type: str) -> List[Any]:
    return [e for e in events if e.type == event_type]


def message_text(item: Any) -> str:
    return "".join((getattr(part, "text", None) or "") for part in (getattr(item, "content", None) or []))


# --- a text turn, GA and beta -------------------------------------------------


async def ga_text_turn(hub) -> Tuple[List[bytes], List[Any]]:
    client = sdk_client(hub)
    try:
        async with client.realtime.connect(model="gpt-realtime") as conn:
            raw = RawLog(conn)
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(item=USER_ITEM)
            await conn.response.create()
            events = await collect_until(conn, "response.done")
            return raw.messages, events
    finally:
        await client.close()


def test_ga_text_turn(hub) -> None:
    raw, events = run(lambda: ga_text_turn(hub))
    hub.assert_running()
    types = [e.type for e in events]

    assert not [t for t in types if t.startswith("hub.")], f"hub events without opt-in: {types}"
    check_raw_messages(raw, events, GA)

    first = events[0]
    assert first.type == "session.created", f"first event is {first.type}, expected session.created: {types}"
    assert first.session.type == "realtime"
    assert first.session.model == "gpt-realtime", f"session.created session.model = {first.session.model!r}"

    updated = only(events, "session.updated")
    assert updated, f"no session.updated after session.update: {types}"
    assert updated[-1].session.output_modalities == ["text"], updated[-1].model_dump_json()

    added = [e for e in only(events, "conversation.item.added") if getattr(e.item, "role", None) == "user"]
    assert added, f"no conversation.item.added for the user message: {types}"
    assert message_text(added[0].item) == USER_TEXT, added[0].model_dump_json()

    created = only(events, "response.created")
    assert len(created) == 1, f"expected one response.created: {types}"
    deltas = only(events, "response.output_text.delta")
    assert deltas, f"no response.output_text.delta: {types}"
    assert types.index("response.created") < types.index("response.output_text.delta")

    done_text = only(events, "response.output_text.done")
    assert len(done_text) == 1, f"expected one response.output_text.done: {types}"
    text = "".join(d.delta for d in deltas if d.item_id == done_text[0].item_id)
    assert text, "the assistant text is empty"
    assert done_text[0].text == text, f"done text {done_text[0].text!r} != joined deltas {text!r}"
    assert {d.response_id for d in deltas} == {done_text[0].response_id}

    final = events[-1]
    assert final.type == "response.done"
    assert final.response.status == "completed", final.model_dump_json()
    if created[0].response.id is not None:
        assert final.response.id == created[0].response.id
    assistant = [i for i in (final.response.output or []) if getattr(i, "role", None) == "assistant"]
    assert assistant, f"response.done carries no assistant item: {final.model_dump_json()}"
    assert message_text(assistant[0]) == text, final.model_dump_json()


async def beta_text_turn(hub) -> Tuple[List[bytes], List[Any]]:
    client = sdk_client(hub)
    try:
        async with client.beta.realtime.connect(model="gpt-4o-realtime-preview") as conn:
            raw = RawLog(conn)
            await conn.session.update(session={"modalities": ["text"]})
            await conn.conversation.item.create(item=USER_ITEM)
            await conn.response.create()
            events = await collect_until(conn, "response.done")
            return raw.messages, events
    finally:
        await client.close()


def test_beta_text_turn(hub) -> None:
    raw, events = run(lambda: beta_text_turn(hub))
    hub.assert_running()
    types = [e.type for e in events]

    assert not [t for t in types if t.startswith("hub.")], f"hub events without opt-in: {types}"
    check_raw_messages(raw, events, BETA)

    first = events[0]
    assert first.type == "session.created", f"first event is {first.type}, expected session.created: {types}"
    assert first.session.model == "gpt-4o-realtime-preview", f"session.created session.model = {first.session.model!r}"

    updated = only(events, "session.updated")
    assert updated, f"no session.updated after session.update: {types}"
    assert updated[-1].session.modalities == ["text"], updated[-1].model_dump_json()

    user_items = [e for e in only(events, "conversation.item.created") if e.item.role == "user"]
    assert user_items, f"no conversation.item.created for the user message: {types}"
    assert message_text(user_items[0].item) == USER_TEXT, user_items[0].model_dump_json()

    created = only(events, "response.created")
    assert len(created) == 1, f"expected one response.created: {types}"
    deltas = only(events, "response.text.delta")
    assert deltas, f"no response.text.delta: {types}"
    assert types.index("response.created") < types.index("response.text.delta")

    done_text = only(events, "response.text.done")
    assert len(done_text) == 1, f"expected one response.text.done: {types}"
    text = "".join(d.delta for d in deltas if d.item_id == done_text[0].item_id)
    assert text, "the assistant text is empty"
    assert done_text[0].text == text, f"done text {done_text[0].text!r} != joined deltas {text!r}"

    final = events[-1]
    assert final.type == "response.done"
    assert final.response.status == "completed", final.model_dump_json()
    if created[0].response.id is not None:
        assert final.response.id == created[0].response.id
    assistant = [i for i in (final.response.output or []) if i.role == "assistant"]
    assert assistant, f"response.done carries no assistant item: {final.model_dump_json()}"
    assert message_text(assistant[0]) == text, final.model_dump_json()


# --- a bad session key ----------------------------------------------------------


async def bad_key_iteration(hub) -> Tuple[List[bytes], List[Any], Optional[BaseException], Optional[int]]:
    """Iterates the connection as an application would, until the SDK stops.

    Returns the raw messages, the parsed events, the exception the SDK's
    iterator raised (None if it ended quietly, as it does on a normal close)
    and the close code the hub sent.
    """
    client = sdk_client(hub)
    try:
        async with client.realtime.connect(
            model="gpt-realtime", extra_query={"session_state_key": "not a key"}
        ) as conn:
            raw = RawLog(conn)
            events: List[Any] = []
            iterator = conn.__aiter__()
            raised: Optional[BaseException] = None
            try:
                while len(events) <= 20:
                    events.append(await asyncio.wait_for(iterator.__anext__(), EVENT_TIMEOUT_S))
                raise AssertionError(f"the hub kept the connection open; events: {describe(events)}")
            except StopAsyncIteration:
                pass
            except asyncio.TimeoutError:
                raise AssertionError(
                    f"the hub neither sent an event nor closed within {EVENT_TIMEOUT_S:.0f} s; events: {describe(events)}"
                ) from None
            except ConnectionClosed as exc:
                raised = exc
            # The websockets connection under the SDK knows the close frame it got.
            close_code = conn._connection.close_code
            return raw.messages, events, raised, close_code
    finally:
        await client.close()


async def bad_key_dispatch(hub) -> BaseException:
    """`dispatch_events()` raises OpenAIError for an error event nobody handles."""
    client = sdk_client(hub)
    try:
        async with client.realtime.connect(
            model="gpt-realtime", extra_query={"session_state_key": "not a key"}
        ) as conn:
            try:
                await asyncio.wait_for(conn.dispatch_events(), EVENT_TIMEOUT_S)
            except (OpenAIError, ConnectionClosed) as exc:
                return exc
            raise AssertionError("dispatch_events() returned normally after a bad session key")
    finally:
        await client.close()


async def good_session_created(hub) -> Any:
    client = sdk_client(hub)
    try:
        async with client.realtime.connect(model="gpt-realtime") as conn:
            raw = RawLog(conn)
            event = await next_event(conn)
            check_raw_messages(raw.messages, [event], GA)
            return event
    finally:
        await client.close()


def test_bad_session_key_is_refused(hub) -> None:
    raw, events, raised, close_code = run(lambda: bad_key_iteration(hub))
    types = [e.type for e in events]
    assert events, f"the hub closed (code {close_code}) without sending an error event"
    assert events[0].type == "error", f"first event is {events[0].type}, expected error: {types}"
    assert isinstance(events[0].error.message, str) and events[0].error.message
    check_raw_messages(raw, events, GA)
    assert "session.created" not in types, f"a session was created for a bad key: {types}"
    assert close_code == 1008, f"close code {close_code}, expected 1008 (policy violation)"
    # A 1008 close is not a normal one: the SDK's iterator re-raises it.
    assert isinstance(raised, ConnectionClosed) and not isinstance(raised, ConnectionClosedOK), repr(raised)

    surfaced = run(lambda: bad_key_dispatch(hub))
    assert isinstance(surfaced, OpenAIError), f"dispatch_events() ended with {surfaced!r} instead of OpenAIError"

    hub.assert_running()
    event = run(lambda: good_session_created(hub))
    assert event.type == "session.created", f"after a refused key the next session starts with {event.type}"


# --- hub events on opt-in -------------------------------------------------------


async def hub_events_turn(hub) -> Tuple[bytes, Any, List[bytes], List[Any]]:
    client = sdk_client(hub)
    try:
        async with client.realtime.connect(model="gpt-realtime", extra_query={"hub_events": "1"}) as conn:
            # Read the first frame raw: the SDK has no model for hub events.
            first = await asyncio.wait_for(conn.recv_bytes(), EVENT_TIMEOUT_S)
            # The SDK's parser does not raise on an unknown type; it keeps
            # `type` and every field as attributes of a stand-in model.
            parsed = conn.parse_event(first)
            raw = RawLog(conn)
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(item=USER_ITEM)
            await conn.response.create()
            events = await collect_until(conn, "response.done")
            return first, parsed, raw.messages, events
    finally:
        await client.close()


def test_hub_events_only_on_opt_in(hub) -> None:
    first, parsed, raw, events = run(lambda: hub_events_turn(hub))
    hub.assert_running()

    ready = json.loads(first)
    assert ready.get("type") == "hub.session.ready", f"first message is not hub.session.ready: {first[:500]!r}"
    assert isinstance(ready.get("session_key"), str) and ready["session_key"], ready
    assert ready.get("agent") not in (None, ""), ready
    assert ready.get("resumed") is False, ready
    assert isinstance(ready.get("history"), list), ready

    assert parsed.type == "hub.session.ready"
    assert getattr(parsed, "session_key", None) == ready["session_key"]

    check_raw_messages(raw, events, GA, allow_hub_events=True)
    standard = [e for e, m in zip(events, raw) if not is_hub_event(m)]
    types = [e.type for e in standard]
    assert types and types[0] == "session.created", f"after hub.session.ready: {types}"
    assert types[-1] == "response.done" and standard[-1].response.status == "completed"
    assert only(standard, "response.output_text.delta"), f"no response.output_text.delta: {types}"


# --- the reference shapes -------------------------------------------------------


@pytest.mark.parametrize("protocol", [GA, BETA])
def test_reference_events_validate(protocol: str) -> None:
    """The documented minimal events still pass the pinned SDK's models."""
    for event in REFERENCE_EVENTS[protocol]:
        validate_event(json.dumps(event), protocol)


# --- identity: client secrets minted through the SDK, phone keys refused ----------------------


async def client_secret_turn(hub) -> Tuple[Any, List[Any]]:
    """Mints a client secret as a backend would (`client.realtime.client_secrets.create`), then
    connects with it as a browser's SDK would: the secret is the API key."""
    backend = AsyncOpenAI(api_key="sk-test", base_url=f"{hub.http_base}/v1")
    try:
        secret = await backend.realtime.client_secrets.create(
            expires_after={"anchor": "created_at", "seconds": 60},
            session={"type": "realtime", "output_modalities": ["text"]},
        )
    finally:
        await backend.close()
    client = AsyncOpenAI(api_key=secret.value, websocket_base_url=hub.ws_base)
    try:
        async with client.realtime.connect(model="gpt-realtime") as conn:
            await conn.conversation.item.create(item=USER_ITEM)
            await conn.response.create()
            return secret, await collect_until(conn, "response.done")
    finally:
        await client.close()


def test_client_secret_from_the_sdk(hub) -> None:
    secret, events = run(lambda: client_secret_turn(hub))
    assert secret.value.startswith("ek_")
    assert secret.expires_at > time.time()
    assert secret.session.type == "realtime"
    types = [e.type for e in events]
    assert "error" not in types, f"errors in a client-secret session: {types}"
    assert types[-1] == "response.done"


async def refused_first_event(hub, api_key: str, query: dict) -> Tuple[Any, Optional[int]]:
    client = AsyncOpenAI(api_key=api_key, websocket_base_url=hub.ws_base)
    try:
        async with client.realtime.connect(model="gpt-realtime", extra_query=query) as conn:
            try:
                event = await next_event(conn)
            except ConnectionClosed:
                event = None
            try:
                await asyncio.wait_for(conn.recv(), EVENT_TIMEOUT_S)
            except (ConnectionClosed, OpenAIError, asyncio.TimeoutError):
                pass
            return event, conn._connection.close_code
    finally:
        await client.close()


def test_identity_refusals(hub) -> None:
    # A caller's number is a phone bridge's session key; an SDK without a server key is refused.
    event, code = run(lambda: refused_first_event(hub, "sk-test", {"session_state_key": "+15551230001", "hub_events": "1"}))
    assert event is not None and event.type == "error", f"expected an error event, got {event}"
    assert event.error.code == "session_key_not_allowed"
    assert code == 1008
    # customer_id is a server key's to say.
    event, code = run(lambda: refused_first_event(hub, "sk-test", {"customer_id": "C-1002"}))
    assert event.type == "error" and event.error.code == "customer_not_allowed" and code == 1008
    # A tampered (or expired, or foreign) client secret.
    event, code = run(lambda: refused_first_event(hub, "ek_eyJhbGciOiJIUzI1NiJ9.e30.AAAA", {}))
    assert event.type == "error" and event.error.code == "invalid_api_key" and code == 1008
