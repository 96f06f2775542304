"""Every check can fail: broken servers, each the reference server with one fault, fail exactly what they break.

Each broken server is certified in full, through the same code path as
`crun-conformance certify`, and the set of requirements that failed is
compared with the set expected, both ways: a missing ID is a check that could
not fail, an extra ID a check that fails for the wrong reason. Expected sets
name every requirement the fault breaks as the suite judges it; where one
broken property fails several requirements, `why` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from conformance.reference.faults import FAULTS
from conformance.requirements import get

from .conftest import KEY, Row, Runs, brief


def ids(*names: str) -> frozenset[str]:
    """Requirement IDs; `CHAT-001..005` spans a range."""
    out = set()
    for name in names:
        head, _, last = name.partition("..")
        if not last:
            out.add(name)
            continue
        prefix, _, first = head.rpartition("-")
        out.update(f"{prefix}-{n:03d}" for n in range(int(first), int(last) + 1))
    return frozenset(out)


@dataclass(frozen=True)
class Mutant:
    """A broken server and its expectation: what must fail, and what must be reported as not supported."""

    fault: str | None
    fails: frozenset[str]
    profile: str = "crun"
    unsupported: frozenset[str] = frozenset()
    why: str = ""

    @property
    def name(self) -> str:
        return self.fault or "reference"

    @property
    def exit_code(self) -> int:
        """certify's verdict: 1 when a MUST of the profile is expected to fail, else 0."""
        return 1 if any(get(r).level(self.profile) == "MUST" for r in self.fails) else 0


def m(fault: str | None, *fails: str, profile: str = "crun", unsupported: tuple[str, ...] = (), why: str = "") -> Mutant:
    return Mutant(fault, ids(*fails), profile, ids(*unsupported), why)


SHAPE_FIRST = "every CHAT-00x check first judges the body against the ChatCompletion schema"
STREAM_FIRST = "every check of a stream first needs an event stream"
STREAMS = ("CHAT-STREAM-001..007", "USAGE-001..003", "RESP-STREAM-001..007", "MSG-STREAM-001..006")

MUTANTS: tuple[Mutant, ...] = (
    # The yardstick, and servers a profile allows: nothing may fail.
    m(None),
    m(None, profile="openai"),
    m("usage_only_when_asked", profile="openai",
      why="the openai profile asks for stream usage only when include_usage is true"),
    m("usage_chunk_with_choices", why="USAGE-004 is an openai-profile SHOULD; crun does not ask for it"),
    m("completions_stream", profile="openai", why="only CRUN refuses streaming on /completions"),
    m("unknown_field_500", why="certify sends no field outside the contract; the fuzzer (FUZZ-001) judges this"),
    m("capabilities_declined", unsupported=("CAP-001..009",),
      why="a capability declined with a proper 4xx is reported as not supported, not failed"),
    # Authentication
    m("no_auth", "AUTH-003", "AUTH-004"),
    m("wrong_key_accepted", "AUTH-004"),
    m("bearer_only", "AUTH-002", why="the anthropic SDK (2.x) sends its key as a Bearer token too"),
    m("models_bearer_refused", "AUTH-001", "MODELS-001", "MODELS-002",
      why="the MODELS checks judge the same refused GET /models"),
    m("no_key_500", "AUTH-003"),
    m("key_echoed", "AUTH-005"),
    m("key_in_body", "AUTH-005"),
    # Models
    m("models_no_list_object", "MODELS-001"),
    m("models_incomplete", "MODELS-002"),
    # Chat completions
    m("chat_body_off_schema", "CHAT-001..005", why=SHAPE_FIRST),
    m("chat_choices_not_list", "CHAT-001..005", "CAP-001", "CAP-004", "CAP-005", "SDK-001",
      why=SHAPE_FIRST + "; the chat capability probes read choices[0] too"),
    m("chat_n_ignored", "CHAT-002"),
    m("chat_max_tokens_ignored", "CHAT-003"),
    m("huge_max_tokens_refused", "CHAT-005"),
    m("chat_usage_miscounted", "CHAT-004", "USAGE-003", why="one usage count serves the body and the stream"),
    # Chat streams
    m("chat_no_done", "CHAT-STREAM-003"),
    m("chat_chunk_object_wrong", "CHAT-STREAM-004"),
    m("chat_no_finish_reason", "CHAT-STREAM-005"),
    m("chat_no_role", "CHAT-STREAM-006"),
    m("chat_chunk_ids_vary", "CHAT-STREAM-007"),
    m("chat_chunk_invalid_json", "CHAT-STREAM-002", "SDK-002", why="the openai SDK cannot parse the cut chunk"),
    m("usage_only_when_asked", "USAGE-001"),
    m("no_stream_usage", "USAGE-001", "USAGE-002", why="USAGE-003 judges usage that came, not whether it came"),
    m("stream_usage_twice", "USAGE-003"),
    m("usage_chunk_with_choices", "USAGE-004", profile="openai"),
    # Unknown models and error bodies
    m("unknown_model_200", "ERR-001..005"),
    m("unknown_model_400", "ERR-002"),
    m("unknown_model_no_code", "ERR-003"),
    m("unknown_model_streams", "ERR-003", "ERR-004", why="the stream cases also ask for model_not_found"),
    m("messages_openai_errors", "AUTH-003", "ERR-005", "MSG-002", why="all three ask for the Anthropic error shape"),
    # Legacy completions
    m("completions_chat_shaped", "COMP-001"),
    m("completions_stream", "COMP-002"),
    m("completions_stream_500", "COMP-002", "COMP-003", why="a 5xx is not the 4xx COMP-002 asks for either"),
    m("completions_stream_500", "COMP-003", profile="openai"),
    # Parameters
    m("temperature_unchecked", "PARAM-001..003", why="an accepted bad parameter is no refusal of any kind"),
    m("malformed_json_500", "PARAM-001..003", why="a 5xx is not the 4xx/400 PARAM-002/003 ask for either"),
    m("param_error_bare", "PARAM-002", "PARAM-003", "COMP-002", why="all three read the OpenAI error object"),
    m("param_not_named", "PARAM-003"),
    # Responses
    m("responses_usage_chat_names", "RESP-001..004", "RESP-STREAM-002",
      why="every RESP check, and the stream's final response, is judged against the Response schema"),
    m("responses_no_output_text", "RESP-002"),
    m("responses_usage_miscounted", "RESP-003"),
    m("responses_max_output_tokens_ignored", "RESP-004"),
    m("responses_output_not_list", "RESP-001..004", "CAP-002", "CAP-006..009", "SDK-003",
      why="every Responses probe reads output"),
    m("responses_no_created", "RESP-STREAM-003", "SDK-004", why="the openai SDK needs response.created first"),
    m("responses_no_terminal", "RESP-STREAM-004", "RESP-STREAM-007", "SDK-004",
      why="RESP-STREAM-007 compares the deltas with the terminal event's response"),
    m("responses_sequence_repeats", "RESP-STREAM-005"),
    m("responses_no_event_lines", "RESP-STREAM-006"),
    m("responses_deltas_short", "RESP-STREAM-007"),
    m("responses_event_off_schema", "RESP-STREAM-002"),
    # Messages
    m("messages_content_not_list", "MSG-001", "CAP-003", "SDK-005", why="the tools probe reads content too"),
    m("messages_max_tokens_optional", "MSG-002"),
    m("messages_stop_reason_openai", "MSG-001", "MSG-STREAM-002", "MSG-STREAM-004",
      why="one stop_reason serves the message and its stream's message_delta"),
    m("messages_no_stop", "MSG-STREAM-003"),
    m("messages_out_of_order", "MSG-STREAM-003"),
    m("messages_no_event_lines", "MSG-STREAM-005", "SDK-006", why="the anthropic SDK dispatches on event: names"),
    m("messages_delta_no_stop_reason", "MSG-STREAM-004"),
    m("messages_done_marker", "MSG-STREAM-006"),
    m("messages_event_off_schema", "MSG-STREAM-002", "SDK-006",
      why="the anthropic SDK finds the block to close by content_block_stop.index"),
    # Optional capabilities
    m("capabilities_broken", "CAP-001..009"),
    # Every stream; garbage and huge bodies (their bounds are judged in test_hostile_servers)
    m("stream_as_json", *STREAMS, why=STREAM_FIRST),
    m("json_garbage", "AUTH-003", "MODELS-001", "MODELS-002", "CHAT-001..005", "COMP-001", "COMP-002",
      "RESP-001..004", "MSG-001", "MSG-002", "ERR-003..005", "PARAM-002", "PARAM-003", "CAP-001..009", "SDK-001",
      "SDK-003", "SDK-005", why="every check that reads a JSON body; streams, and checks of a status alone, hold"),
    m("models_10mb", "AUTH-001", "AUTH-002", "MODELS-001", "MODELS-002",
      why="the caller stops reading at 8 MiB: no complete answer to GET /models"),
    # Faults that appear only under concurrency: certify passes them; tests/test_load.py shows load catches them
    m("load_usage_dropped", why="usage is dropped only while 12 or more streams are open"),
    m("load_503_no_retry_after", why="503s come only while 16 or more requests are in flight"),
)
CRUN_MUTANTS = {mutant.fault: mutant for mutant in MUTANTS if mutant.profile == "crun" and mutant.fault}


def _label(mutant: Mutant) -> str:
    return mutant.name + ("" if mutant.profile == "crun" else f"@{mutant.profile}")


@pytest.mark.parametrize("mutant", MUTANTS, ids=_label)
def test_broken_server_fails_exactly_what_it_breaks(mutant: Mutant, runs: Runs, mutation_table: list[Row]) -> None:
    run = runs.of({mutant.fault} if mutant.fault else (), mutant.profile)
    mutation_table.append(Row(_label(mutant), mutant.profile, mutant.fails, run.failed, run.errors,
                              mutant.unsupported, run.unsupported))
    assert run.report is not None, f"no report (exit {run.code}): {run.err.strip()}"
    assert not run.overran, f"the run overran its watchdog ({run.wall_s:.1f} s)"
    missing, extra = mutant.fails - run.failed, run.failed - mutant.fails
    assert not (missing or extra or run.errors), (
        f"{_label(mutant)} ({FAULTS.get(mutant.fault or '', 'no fault')}): expected {brief(mutant.fails)} to fail"
        + (f"\n did not fail: {brief(missing)}" if missing else "")
        + (f"\n failed too: {brief(extra)}\n{run.findings(extra)}" if extra else "")
        + (f"\n could not be judged (error): {brief(run.errors)}\n{run.findings(run.errors)}" if run.errors else "")
        + (f"\n why the expectation: {mutant.why}" if mutant.why else ""))
    assert run.unsupported == mutant.unsupported, f"reported not supported: {brief(run.unsupported)}"
    assert run.code == mutant.exit_code, f"exit {run.code}, expected {mutant.exit_code}\n{run.err}"
    assert KEY not in json.dumps(run.report) + run.out + run.err, "the API key reached the report or the output"
