"""Wire-level checks of Realtime server events against the official SDK's models.

The hub must emit events that the official `openai` Python SDK's pydantic
models accept. `RealtimeServerEvent` (GA, `openai.types.realtime`) and the
older beta union (`openai.types.beta.realtime`) are plain unions keyed by the
`type` field. The SDK itself never validates what it receives (it builds
models without checks and turns an unknown `type` into the first member of the
union), so these helpers validate the raw JSON strictly instead.
"""

from __future__ import annotations

import json
import typing
from functools import lru_cache
from typing import Any, Dict, List, Tuple

from pydantic import TypeAdapter, ValidationError

GA = "ga"
BETA = "beta"

# Events only sent when a client opts in with `hub_events=1`.
HUB_EVENT_PREFIX = "hub."


def _union(protocol: str) -> Any:
    if protocol == GA:
        from openai.types.realtime import RealtimeServerEvent

        return RealtimeServerEvent
    if protocol == BETA:
        from openai.types.beta.realtime import RealtimeServerEvent

        return RealtimeServerEvent
    raise ValueError(f"unknown protocol {protocol!r}")


def _members(union: Any) -> Tuple[Any, ...]:
    if typing.get_origin(union) is typing.Annotated:
        union = typing.get_args(union)[0]
    return typing.get_args(union)


@lru_cache(maxsize=None)
def union_adapter(protocol: str) -> TypeAdapter:
    """TypeAdapter over the whole server-event union of one protocol."""
    return TypeAdapter(_union(protocol))


@lru_cache(maxsize=None)
def _variants(protocol: str) -> Dict[str, Any]:
    table: Dict[str, Any] = {}
    for model in _members(_union(protocol)):
        literal = model.model_fields["type"].annotation
        for value in typing.get_args(literal):
            table[value] = model
    return table


@lru_cache(maxsize=None)
def _variant_adapter(protocol: str, event_type: str) -> TypeAdapter:
    return TypeAdapter(_variants(protocol)[event_type])


def known_event_types(protocol: str) -> List[str]:
    return sorted(_variants(protocol))


class EventValidationError(AssertionError):
    pass


def validate_event(raw: str | bytes, protocol: str) -> Any:
    """Validates one raw server message; returns the parsed model.

    The message must be a JSON object whose `type` names a member of the
    protocol's server-event union, and it must satisfy that member's model in
    strict JSON mode (no string-to-number coercion and the like). Extra fields
    are allowed, as the SDK's models allow them.
    """
    text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise EventValidationError(f"server message is not JSON ({exc}): {text[:500]}") from None
    if not isinstance(data, dict):
        raise EventValidationError(f"server message is not a JSON object: {text[:500]}")
    event_type = data.get("type")
    if not isinstance(event_type, str):
        raise EventValidationError(f"server message has no string `type`: {text[:500]}")
    if event_type not in _variants(protocol):
        raise EventValidationError(
            f"`{event_type}` is not a {protocol} server event known to the SDK: {text[:500]}"
        )
    try:
        model = _variant_adapter(protocol, event_type).validate_json(text, strict=True)
    except ValidationError as exc:
        raise EventValidationError(f"{protocol} `{event_type}` does not validate:\n{exc}\nmessage: {text[:2000]}") from None
    # The same message must also pass the union the SDK declares.
    union_adapter(protocol).validate_json(text)
    return model


def is_hub_event(raw: str | bytes) -> bool:
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and str(data.get("type", "")).startswith(HUB_EVENT_PREFIX)


# Minimal messages that pass validate_event. They document the smallest shape
# each event may take; the hub may send more fields.
REFERENCE_EVENTS: Dict[str, List[Dict[str, Any]]] = {
    GA: [
        {"type": "session.created", "event_id": "event_1", "session": {"type": "realtime"}},
        {
            "type": "session.created",
            "event_id": "event_2",
            "session": {
                "type": "realtime",
                "object": "realtime.session",
                "id": "sess_1",
                "model": "gpt-realtime",
                "output_modalities": ["audio"],
                "instructions": "",
                "tools": [],
                "tool_choice": "auto",
                "max_output_tokens": "inf",
                "tracing": None,
                "prompt": None,
                "include": None,
                "expires_at": 0,
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": 24000},
                        "transcription": None,
                        "noise_reduction": None,
                        "turn_detection": {
                            "type": "server_vad",
                            "threshold": 0.5,
                            "prefix_padding_ms": 300,
                            "silence_duration_ms": 200,
                            "idle_timeout_ms": None,
                            "create_response": True,
                            "interrupt_response": True,
                        },
                    },
                    "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin", "speed": 1.0},
                },
            },
        },
        {
            "type": "session.updated",
            "event_id": "event_3",
            "session": {"type": "realtime", "model": "gpt-realtime", "output_modalities": ["text"]},
        },
        {
            "type": "conversation.item.added",
            "event_id": "event_4",
            "previous_item_id": None,
            "item": {
                "id": "item_1",
                "object": "realtime.item",
                "type": "message",
                "status": "completed",
                "role": "user",
                "content": [{"type": "input_text", "text": "Hello"}],
            },
        },
        {
            "type": "conversation.item.done",
            "event_id": "event_5",
            "previous_item_id": None,
            "item": {"id": "item_1", "type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
        },
        {"type": "response.created", "event_id": "event_6", "response": {}},
        {
            "type": "response.created",
            "event_id": "event_7",
            "response": {
                "object": "realtime.response",
                "id": "resp_1",
                "status": "in_progress",
                "status_details": None,
                "output": [],
                "conversation_id": "conv_1",
                "output_modalities": ["text"],
                "max_output_tokens": "inf",
                "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"}},
                "usage": None,
                "metadata": None,
            },
        },
        {
            "type": "response.output_item.added",
            "event_id": "event_8",
            "response_id": "resp_1",
            "output_index": 0,
            "item": {"id": "item_2", "object": "realtime.item", "type": "message", "status": "in_progress", "role": "assistant", "content": []},
        },
        {
            "type": "conversation.item.added",
            "event_id": "event_9",
            "previous_item_id": "item_1",
            "item": {"id": "item_2", "object": "realtime.item", "type": "message", "status": "in_progress", "role": "assistant", "content": []},
        },
        {
            "type": "response.content_part.added",
            "event_id": "event_10",
            "response_id": "resp_1",
            "item_id": "item_2",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "text", "text": ""},
        },
        {
            "type": "response.output_text.delta",
            "event_id": "event_11",
            "response_id": "resp_1",
            "item_id": "item_2",
            "output_index": 0,
            "content_index": 0,
            "delta": "Hi",
        },
        {
            "type": "response.output_text.done",
            "event_id": "event_12",
            "response_id": "resp_1",
            "item_id": "item_2",
            "output_index": 0,
            "content_index": 0,
            "text": "Hi",
        },
        {
            "type": "response.content_part.done",
            "event_id": "event_13",
            "response_id": "resp_1",
            "item_id": "item_2",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "text", "text": "Hi"},
        },
        {
            "type": "conversation.item.done",
            "event_id": "event_14",
            "previous_item_id": "item_1",
            "item": {"id": "item_2", "object": "realtime.item", "type": "message", "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]},
        },
        {
            "type": "response.output_item.done",
            "event_id": "event_15",
            "response_id": "resp_1",
            "output_index": 0,
            "item": {"id": "item_2", "object": "realtime.item", "type": "message", "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]},
        },
        {"type": "response.done", "event_id": "event_16", "response": {"id": "resp_1", "status": "completed"}},
        {
            "type": "response.done",
            "event_id": "event_17",
            "response": {
                "object": "realtime.response",
                "id": "resp_1",
                "status": "completed",
                "status_details": None,
                "output": [
                    {"id": "item_2", "object": "realtime.item", "type": "message", "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": "Hi"}]}
                ],
                "conversation_id": "conv_1",
                "output_modalities": ["text"],
                "max_output_tokens": "inf",
                "usage": {
                    "total_tokens": 3,
                    "input_tokens": 2,
                    "output_tokens": 1,
                    "input_token_details": {"text_tokens": 2, "audio_tokens": 0, "cached_tokens": 0},
                    "output_token_details": {"text_tokens": 1, "audio_tokens": 0},
                },
                "metadata": None,
            },
        },
        {"type": "error", "event_id": "event_18", "error": {"type": "invalid_request_error", "message": "bad"}},
        {
            "type": "error",
            "event_id": "event_19",
            "error": {"type": "invalid_request_error", "code": "invalid_value", "message": "bad", "param": "session_state_key", "event_id": None},
        },
    ],
    BETA: [
        {"type": "session.created", "event_id": "event_1", "session": {}},
        {
            "type": "session.created",
            "event_id": "event_2",
            "session": {
                "id": "sess_1",
                "object": "realtime.session",
                "model": "gpt-4o-realtime-preview",
                "expires_at": 0,
                "modalities": ["text", "audio"],
                "instructions": "",
                "voice": "alloy",
                "input_audio_format": "pcm16",
                "output_audio_format": "pcm16",
                "input_audio_transcription": None,
                "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 200, "create_response": True, "interrupt_response": True},
                "tools": [],
                "tool_choice": "auto",
                "temperature": 0.8,
                "max_response_output_tokens": "inf",
            },
        },
        {"type": "session.updated", "event_id": "event_3", "session": {"model": "gpt-4o-realtime-preview", "modalities": ["text"]}},
        {
            "type": "conversation.item.created",
            "event_id": "event_4",
            "previous_item_id": None,
            "item": {"id": "item_1", "object": "realtime.item", "type": "message", "status": "completed", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
        },
        {"type": "conversation.item.created", "event_id": "event_5", "item": {}},
        {"type": "response.created", "event_id": "event_6", "response": {}},
        {
            "type": "response.created",
            "event_id": "event_7",
            "response": {"object": "realtime.response", "id": "resp_1", "status": "in_progress", "status_details": None, "output": [], "modalities": ["text"], "usage": None},
        },
        {
            "type": "response.output_item.added",
            "event_id": "event_8",
            "response_id": "resp_1",
            "output_index": 0,
            "item": {"id": "item_2", "object": "realtime.item", "type": "message", "status": "in_progress", "role": "assistant", "content": []},
        },
        {
            "type": "conversation.item.created",
            "event_id": "event_9",
            "previous_item_id": "item_1",
            "item": {"id": "item_2", "object": "realtime.item", "type": "message", "status": "in_progress", "role": "assistant", "content": []},
        },
        {
            "type": "response.content_part.added",
            "event_id": "event_10",
            "response_id": "resp_1",
            "item_id": "item_2",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "text", "text": ""},
        },
        {"type": "response.text.delta", "event_id": "event_11", "response_id": "resp_1", "item_id": "item_2", "output_index": 0, "content_index": 0, "delta": "Hi"},
        {"type": "response.text.done", "event_id": "event_12", "response_id": "resp_1", "item_id": "item_2", "output_index": 0, "content_index": 0, "text": "Hi"},
        {
            "type": "response.content_part.done",
            "event_id": "event_13",
            "response_id": "resp_1",
            "item_id": "item_2",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "text", "text": "Hi"},
        },
        {
            "type": "response.output_item.done",
            "event_id": "event_14",
            "response_id": "resp_1",
            "output_index": 0,
            "item": {"id": "item_2", "object": "realtime.item", "type": "message", "status": "completed", "role": "assistant", "content": [{"type": "text", "text": "Hi"}]},
        },
        {
            "type": "response.done",
            "event_id": "event_15",
            "response": {
                "object": "realtime.response",
                "id": "resp_1",
                "status": "completed",
                "status_details": None,
                "output": [
                    {"id": "item_2", "object": "realtime.item", "type": "message", "status": "completed", "role": "assistant", "content": [{"type": "text", "text": "Hi"}]}
                ],
                "modalities": ["text"],
                "usage": {"total_tokens": 3, "input_tokens": 2, "output_tokens": 1},
            },
        },
        {"type": "error", "event_id": "event_16", "error": {"type": "invalid_request_error", "message": "bad"}},
    ],
}
