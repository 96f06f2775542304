"""The SSE reader follows the WHATWG rules and keeps what a lenient client would hide."""

from conformance.wire.sse import SSEParser, parse


def test_events_split_on_blank_lines_with_names_and_raw_bytes():
    events, trailing = parse(b'event: ping\ndata: {"a": 1}\n\ndata: [DONE]\n\n')
    assert [(e.event, e.data) for e in events] == [("ping", '{"a": 1}'), (None, "[DONE]")]
    assert events[0].raw == b'event: ping\ndata: {"a": 1}\n\n'
    assert events[1].is_done and trailing == b""


def test_crlf_and_cr_line_ends_and_comments():
    events, _ = parse(b": keep-alive\r\ndata: one\r\n\r\ndata: two\r\r")
    assert [e.data for e in events] == ["one", "two"]


def test_cr_lf_split_across_chunks_is_one_line_end():
    parser = SSEParser()
    got = parser.feed(b"data: x\r") + parser.feed(b"\n\r") + parser.feed(b"\n")
    assert [e.data for e in got] == ["x"]


def test_data_lines_without_separator_join_into_one_event_that_is_not_json():
    events, _ = parse(b'data: {"a": 1}\ndata: {"b": 2}\n\n')
    assert len(events) == 1
    assert events[0].json() is None and "JSONDecodeError" in events[0].json_error


def test_a_stream_cut_mid_event_leaves_trailing_bytes():
    events, trailing = parse([b"data: a\n\n", b'data: {"half'])
    assert [e.data for e in events] == ["a"]
    assert trailing == b'data: {"half'


def test_field_without_space_and_unknown_fields():
    events, _ = parse(b"data:x\nretry: 10\nfoo: bar\nid: 7\n\n")
    assert events[0].data == "x" and events[0].id == "7"
