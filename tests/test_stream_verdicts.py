"""Issue 23, streams: usage on the last chunk and only when not declined, "length" in a cut stream, the text a
/messages stream's usage counts, timestamps in seconds, and the chat defaults one answer shows."""

from __future__ import annotations

import json

import pytest

from conformance.suite import chat, usage
from conformance.suite import chat_stream as cs
from conformance.suite import messages_stream as ms
from conformance.suite import responses as resp
from conformance.suite.case import Failed, NotJudged, Skipped
from conformance.suite.evidence import CUT_LIMIT
from conformance.wire.exchange import Exchange, Request
from conformance.wire.sse import parse

CTX = None  # these checks do not read the context
DATE = "Mon, 02 Mar 2026 12:00:00 GMT"
NOW = 1772452800  # DATE in Unix seconds


def stream(*events: dict | str, path: str = "/chat/completions", date: str | None = DATE) -> Exchange:
    """A 200 event stream of these events (a dict as JSON, a str as raw data)."""
    body = b"".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events)
    found, trailing = parse(body)
    headers = {"content-type": "text/event-stream", **({"date": date} if date else {})}
    return Exchange(Request("POST", path, {"stream": True}), 200, headers, body, found, trailing)


def answer(body: dict, path: str = "/chat/completions", date: str | None = DATE) -> Exchange:
    headers = {"content-type": "application/json", **({"date": date} if date else {})}
    return Exchange(Request("POST", path, {}), 200, headers, json.dumps(body).encode())


def chunk(choices: list, usage_: dict | None = None, created: int = NOW) -> dict:
    return {"id": "c", "object": "chat.completion.chunk", "created": created, "model": "m", "choices": choices,
            **({"usage": usage_} if usage_ is not None else {})}


def delta(content: str | None = None, finish: str | None = None) -> dict:
    return {"index": 0, "delta": {"content": content} if content is not None else {}, "finish_reason": finish}


USED = {"prompt_tokens": 9, "completion_tokens": CUT_LIMIT, "total_tokens": 9 + CUT_LIMIT}


def chat_stream(finish: str = "length", used: dict | None = USED, usage_first: bool = False) -> Exchange:
    text = [chunk([delta("a")]), chunk([delta("b")])]
    end, tally = chunk([delta(finish=finish)]), chunk([], used)
    tail = [tally, end] if usage_first else [end, tally] if used is not None else [end]
    return stream(*text, *tail, "[DONE]")


# USAGE-005 and USAGE-006 ------------------------------------------------------------------------------------------

def test_the_usage_chunk_must_be_the_last_before_done():
    usage.usage_chunk_last.fn(chat_stream(), CTX)
    on_finish = stream(chunk([delta("a")]), chunk([delta(finish="stop")], USED), "[DONE]")  # seed 002's transcript
    usage.usage_chunk_last.fn(on_finish, CTX)
    with pytest.raises(Failed, match=r"1 chunk\(s\) after it \(finish_reason \[\"length\"\]\)"):
        usage.usage_chunk_last.fn(chat_stream(usage_first=True), CTX)
    with pytest.raises(Skipped, match="USAGE-001/002"):
        usage.usage_chunk_last.fn(chat_stream(used=None), CTX)


def test_include_usage_false_means_no_usage_at_all():
    usage.usage_not_sent_when_declined.fn(stream(chunk([delta("a")]), {**chunk([delta(finish="stop")]), "usage": None},
                                                 "[DONE]"), CTX)
    with pytest.raises(Failed, match="1 chunk"):
        usage.usage_not_sent_when_declined.fn(chat_stream(), CTX)


# CHAT-STREAM-008 --------------------------------------------------------------------------------------------------

def test_a_stream_cut_at_the_limit_says_length_judged_by_its_usage():
    chat.stream_cut_says_length.fn(chat_stream("length"), CTX)
    with pytest.raises(Failed, match=r'choice 0: finish_reason \["stop"\]'):
        chat.stream_cut_says_length.fn(chat_stream("stop"), CTX)
    short = {**USED, "completion_tokens": 1, "total_tokens": 10}
    with pytest.raises(NotJudged, match="below the limit"):
        chat.stream_cut_says_length.fn(chat_stream("stop", used=short), CTX)
    with pytest.raises(NotJudged, match="no usage"):
        chat.stream_cut_says_length.fn(chat_stream("stop", used=None), CTX)
    past = {**USED, "completion_tokens": 40, "total_tokens": 49}
    with pytest.raises(Skipped, match="CHAT-003 judges the cap"):  # never cut: the cap's failure, not this rule's
        chat.stream_cut_says_length.fn(chat_stream("stop", used=past), CTX)
    with pytest.raises(Failed, match="text/event-stream"):
        chat.stream_cut_says_length.fn(answer({"choices": []}), CTX)


# MSG-STREAM-007 ---------------------------------------------------------------------------------------------------

def message_stream(*middle: dict, output_tokens: int = 3) -> Exchange:
    return stream({"type": "message_start", "message": {"content": []}}, *middle,
                  {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": output_tokens}},
                  {"type": "message_stop"}, path="/messages")


TEXT_START = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
STOP = {"type": "content_block_stop", "index": 0}


def text_delta(text, index: int = 0) -> dict:
    return {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}


def test_a_messages_stream_carries_the_text_its_usage_counts():
    ms.text_carried.fn(message_stream(TEXT_START, text_delta("Hel"), text_delta("lo"), STOP), CTX)
    ms.text_carried.fn(message_stream(TEXT_START, STOP, output_tokens=0), CTX)  # nothing written, nothing to carry
    tool = {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t", "name": "f",
                                                                          "input": {}}}
    ms.text_carried.fn(message_stream(tool, STOP), CTX)  # the tokens went to the tool call
    with pytest.raises(Failed, match="output_tokens 3 in message_delta, but no text in 1 text block"):
        ms.text_carried.fn(message_stream(TEXT_START, STOP), CTX)
    with pytest.raises(Failed, match="which no text content_block_start opened"):
        ms.text_carried.fn(message_stream(TEXT_START, text_delta("x", index=1), STOP), CTX)
    with pytest.raises(Failed, match="text_delta text null"):
        ms.text_carried.fn(message_stream(TEXT_START, text_delta(None), text_delta("x"), STOP), CTX)


# CHAT-015 and RESP-017: one rule for every timestamp --------------------------------------------------------------

def test_created_is_seconds_within_a_day_of_the_date_header_on_every_answer():
    chat.created_in_seconds.fn(answer({"created": NOW - 5}), CTX)
    chat.created_in_seconds.fn(answer({"created": NOW}, "/completions", date=None), CTX)  # no Date: a date in seconds
    for body, date in (({"created": NOW * 1000}, DATE), ({"created": NOW * 1000}, None), ({"created": "now"}, DATE),
                       ({"created": NOW - 2 * 86_400}, DATE)):
        with pytest.raises(Failed):
            chat.created_in_seconds.fn(answer(body, date=date), CTX)
    with pytest.raises(Failed, match="created_at within a day"):
        resp.created_at_in_seconds.fn(answer({"id": "r", "object": "response", "created_at": NOW * 1000,
                                              "status": "completed", "model": "m", "output": []}, "/responses"), CTX)


def test_every_chunk_that_sets_created_sets_it_in_seconds():
    crun_like = stream(chunk([delta("a")], created=0), chunk([delta(finish="stop")], USED, created=NOW), "[DONE]")
    cs.chunks_created_in_seconds.fn(crun_like, CTX)
    with pytest.raises(Failed, match="chunk 0, chunk 1"):
        cs.chunks_created_in_seconds.fn(stream(chunk([delta("a")], created=NOW * 1000),
                                               chunk([delta(finish="stop")], created=NOW * 1000), "[DONE]"), CTX)
    with pytest.raises(Failed, match="created 0 or absent on every chunk"):
        cs.chunks_created_in_seconds.fn(stream(chunk([delta(finish="stop")], created=0), "[DONE]"), CTX)


# CHAT-016 ---------------------------------------------------------------------------------------------------------

def completion(*choices: dict) -> dict:
    return {"id": "c", "object": "chat.completion", "created": NOW, "model": "m", "choices": list(choices)}


def test_the_chat_defaults_show_in_one_answer():
    one = {"index": 0, "message": {"role": "assistant", "content": "Hi."}, "finish_reason": "stop"}
    chat.defaults_one_answer.fn(answer(completion(one)), CTX)
    chat.defaults_one_answer.fn(answer(completion({**one, "logprobs": None})), CTX)
    with pytest.raises(Failed, match="2 choices"):
        chat.defaults_one_answer.fn(answer(completion(one, {**one, "index": 1})), CTX)
    with pytest.raises(Failed, match="choice 0: logprobs"):
        chat.defaults_one_answer.fn(answer(completion({**one, "logprobs": {"content": []}})), CTX)
    with pytest.raises(Failed, match="text/event-stream for a request without stream"):
        chat.defaults_one_answer.fn(chat_stream(), CTX)
