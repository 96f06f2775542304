"""MESSAGES tools: `tool_use` blocks in JSON and in streams, their `stop_reason`, and the `tool_result` round trip.

Judged on a forced tool (the server's promise, whatever the model), JSON and
streamed, and on a conversation that carries a tool call and its result back.
What is answered must have Anthropic's format; a proper 4xx refusal of tools is
"not supported" here (MSG-013 and CAP-003 judge the refusal).
"""

from __future__ import annotations

import json

from ..wire.exchange import Exchange
from .capabilities import supported
from .case import Context, Failed, NotJudged, Violations, check
from .expect import show, success_body
from .messages_blocks import StreamedBlock, stop_reason, streamed_blocks
from .messages_stream import optional_stream

TOOL_STOPS = ("tool_use", "max_tokens")  # a tool call cut by the limit says so instead
TOOL_USE_ID = "toolu_crun_conformance_1"
TOOLS = "tools"


def tool_round_trip(question: str) -> list[dict]:
    """The follow-up request of a tool call: the question, the assistant's tool_use, and the user's tool_result."""
    return [
        {"role": "user", "content": question},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": TOOL_USE_ID, "name": "get_weather", "input": {"city": "Paris"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": TOOL_USE_ID, "content": '{"city": "Paris", "sky": "clear", "celsius": 21}'}]},
    ]


def _ends_with_tool_use(kinds: list, reason: object, where: str) -> None:
    if not kinds or kinds[-1] != "tool_use":
        raise NotJudged(f"the answer ends with no tool_use block ({', '.join(map(str, kinds)) or 'no block'}): "
                        "stop_reason \"tool_use\" is judged only when it does")
    if reason not in TOOL_STOPS:
        raise Failed(f'{where} stop_reason "tool_use" for an answer that ends with a tool_use block', show(reason))


@check("MSG-014")
def tool_use_stop_reason(x: Exchange, ctx: Context) -> None:
    body = supported(x)
    content = body.get("content")
    if not isinstance(content, list):
        raise Failed("content as a list of blocks", show(content))
    kinds = [block.get("type") if isinstance(block, dict) else None for block in content]
    _ends_with_tool_use(kinds, body.get("stop_reason"), "")


@check("MSG-STREAM-009")
def stream_tool_use_stop_reason(x: Exchange, ctx: Context) -> None:
    events = optional_stream(x, TOOLS)
    _ends_with_tool_use([b.type for b in streamed_blocks(events)], stop_reason(events), "message_delta")


def tool_blocks(events: list[dict]) -> list[StreamedBlock]:
    blocks = [b for b in streamed_blocks(events) if b.type == "tool_use"]
    if not blocks:
        raise NotJudged("no tool_use block was streamed: whether the forced tool was used is CAP-103's to judge")
    return blocks


@check("MSG-STREAM-010")
def stream_tool_input(x: Exchange, ctx: Context) -> None:
    found = Violations("each tool_use block opened with input {} and its input_json_delta partial_json strings "
                       "joining to one JSON object")
    for block in tool_blocks(optional_stream(x, TOOLS)):
        where = f"block {show(block.index)}"
        if block.start.get("input") != {}:
            found.add(f"content_block_start input {show(block.start.get('input'), 80)}", where)
        others = sorted({str(d.get("type")) for d in block.deltas if d.get("type") != "input_json_delta"})
        if others:
            found.add(f"{', '.join(others)} deltas in a tool_use block", where)
        pieces = block.pieces("input_json_delta", "partial_json")
        if not all(isinstance(piece, str) for piece in pieces):
            found.add("partial_json that is no string", where)
        joined = block.joined("input_json_delta", "partial_json")
        try:
            value = json.loads(joined) if joined.strip() else {}
        except ValueError:
            value = None
        if not isinstance(value, dict):
            found.add(f"partial_json pieces joining to {show(joined, 80)}, no JSON object", where)
    found.settle()


@check("MSG-015")
def tool_result_answered(x: Exchange, ctx: Context) -> None:
    """The tool's result goes back the way Anthropic's reference shows it; what the answer says is the model's."""
    success_body(x, "Message")
