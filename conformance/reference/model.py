"""The rule-based fake model behind the reference server.

Why rule-based: the suite needs replies that are deterministic (the same
request gives the same body apart from ids and timestamps), free, and shaped
like a real model's, so cassettes match and a self-test can compare servers.

The rules:

- Tokens are the pieces `tokenize` cuts a text into: a word with the
  whitespace before it, a run of punctuation with the whitespace before it,
  or one CJK character; trailing whitespace is a token of its own. Joining the
  tokens gives the text back, so a stream sends one token per chunk and the
  deltas add up to the text.
- Input tokens: the tokens of every text in the request, plus 3 per turn and
  3 to prime the reply, 85 per image, 100 per file, and the tokens of the JSON
  of any tool definitions or output schema (`Prompt.tokens`).
- The reply: SHA-256 of the model id, the seed, the choice index and the
  whole conversation picks two sentences of 7 to 12 words from VOCABULARY
  (about 16 to 26 tokens), so every model's default reply is short. Images
  and files are acknowledged first ("I see 1 image."), and a follow-up to a
  stored response begins by quoting the stored reply's first words, so the
  use of the earlier context is visible.
- Long replies, deterministically: when the last user text says
  "count to N" (N up to 100000), the reply is "1 2 3 ... N", exactly N tokens.
  With a limit of at least N (e.g. max_tokens 200) this is how the benchmark
  asks for a 200-chunk stream. When it asks to "repeat" a passage ("Repeat
  this passage exactly: ..."), the reply is the passage, as a real model's is.
- Behaviours, chosen by the model id (`ModelInfo.behaviour`), so a check that
  leans on the model's goodwill shows up in the self-test: `default` follows
  the rules above; `echo` only repeats the last user text; `terse` answers one
  word whatever is asked. Every behaviour gets what the server enforces: the
  cut at the limit and at a stop sequence, a forced tool call, JSON in a JSON
  mode, and input tokens counted over everything the request carries.
- JSON: `json_object` gives `{"answer": "<one sentence>"}`; `json_schema`
  gives an instance built from the schema (`instance`, see
  `schema_instance`), its strings drawn from VOCABULARY.
- Tools: with function tools offered and a tool choice that allows them, the
  model calls one tool (the forced one, else the first) with arguments built
  from its parameters schema; with choice "auto" and a conversation that ends
  in a tool result, it answers in text instead, as a real model would. Under
  "required" with several tools, the default model calls each of them at once
  (parallel tool calls, unless the request turns them off: `choose_tools`);
  the other models call one, all that "required" promises.
- Thinking (Anthropic's extended thinking, when a request turns it on):
  `think` writes a line and a plan before the answer, drawn like the reply.
- Limits: the text is cut before the first stop sequence (finish
  "stop_sequence"), then at `limit` tokens (finish "length"); `cap` bounds a
  requested limit by the model's output limit instead of refusing it.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from typing import Any

from . import schema_instance
from .config import ModelInfo
from .wire import dumps

VOCABULARY = (
    "quiet", "keyboard", "bright", "steady", "simple", "signal", "gateway", "river", "compact", "model",
    "token", "careful", "answer", "reliable", "light", "clear", "useful", "small", "window", "garden",
    "metric", "stream", "design", "focus", "gentle", "rapid", "measured", "honest", "plain", "modest",
    "balanced", "orderly", "patient", "practical", "robust", "timely", "valid", "vivid", "warm", "calm",
    "crisp", "direct", "even", "fair", "firm", "fresh", "kind", "lean", "neat", "open",
    "proper", "ready", "sound", "sure", "tidy", "true", "whole", "wise", "brief", "exact",
    "solid", "smooth", "north", "harbor",
)
SENTENCE_WORDS = (7, 12)
COUNT_REQUEST = re.compile(r"\bcount to (\d{1,6})\b", re.IGNORECASE)
REPEAT_REQUEST = re.compile(r"\brepeat\b[^:\n]*:\s*(.+)", re.IGNORECASE | re.DOTALL)
TERSE_WORD = "Noted"
MAX_COUNT = 100_000
TURN_TOKENS, PRIMER_TOKENS, IMAGE_TOKENS, FILE_TOKENS = 3, 3, 85, 100

_TOKEN = re.compile(r"\s*(?:[^\W\u2e80-\u9fff\uac00-\ud7af]+|[^\w\s]+|\w)|\s+")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


@dataclass
class Prompt:
    """What the model reads: the conversation as (role, text) turns, plus what the text does not show."""

    turns: list[tuple[str, str]] = field(default_factory=list)
    images: int = 0
    files: int = 0
    extra_tokens: int = 0
    previous_reply: str | None = None
    ends_with_tool_result: bool = False

    def say(self, role: str, text: str) -> None:
        self.turns.append((role, text))
        self.ends_with_tool_result = False

    def tool_result(self, text: str) -> None:
        self.turns.append(("tool", text))
        self.ends_with_tool_result = True

    def call(self, name: str, arguments: str) -> None:
        """An earlier tool call by the assistant, as the model reads it."""
        self.say("assistant", call_text(name, arguments))

    def describe(self, definition: Any) -> None:
        """Tool definitions and output schemas are read by the model, so they cost input tokens."""
        self.extra_tokens += count_tokens(dumps(definition))

    def resume(self, earlier: Prompt, reply: str) -> None:
        """Continue a stored conversation: its turns, its attachments, and its reply."""
        self.turns.extend(earlier.turns)
        self.images += earlier.images
        self.files += earlier.files
        self.say("assistant", reply)
        self.previous_reply = reply

    @property
    def tokens(self) -> int:
        text_tokens = sum(count_tokens(text) for _, text in self.turns)
        return (text_tokens + TURN_TOKENS * len(self.turns) + PRIMER_TOKENS + IMAGE_TOKENS * self.images
                + FILE_TOKENS * self.files + self.extra_tokens)

    def last_user_text(self) -> str:
        return next((text for role, text in reversed(self.turns) if role == "user"), "")

    def rng(self, *context: Any) -> random.Random:
        key = "\x1e".join([*map(str, context), str(self.images), str(self.files),
                           *(f"{role}\x1f{text}" for role, text in self.turns)])
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
        return random.Random(int.from_bytes(digest, "big"))


@dataclass(frozen=True)
class Tool:
    name: str
    parameters: Any = None


@dataclass(frozen=True)
class Format:
    """A structured-output request: kind `json_object` or `json_schema` (with its schema)."""

    kind: str
    schema: Any = None


@dataclass(frozen=True)
class Output:
    """One generated choice. For a tool call, `tool` names it and `text` holds its JSON arguments."""

    text: str
    tokens: tuple[str, ...]
    finish: str  # "stop", "stop_sequence", "length" or "tool"
    stop_sequence: str | None = None
    tool: str | None = None


def call_text(name: str, arguments: str) -> str:
    return f"call {name}({arguments})"


def cap(requested: int | None, info: ModelInfo) -> int:
    """The output limit in force: the one asked for, capped by the model's own limit."""
    return info.max_output_tokens if requested is None else min(requested, info.max_output_tokens)


def choose_tool(tools: list[Tool], mode: str, forced: str | None, prompt: Prompt,
                behaviour: str = "default") -> Tool | None:
    """Which tool the model calls: mode is "none", "auto" or "required"; `forced` names a tool. Only the default
    model chooses a tool of its own accord ("auto"); a forced or required call is the server's to make."""
    if forced is not None:
        return next((t for t in tools if t.name == forced), None)
    if not tools or mode == "none" or (mode == "auto" and (prompt.ends_with_tool_result or behaviour != "default")):
        return None
    return tools[0]


def choose_tools(tools: list[Tool], mode: str, forced: str | None, prompt: Prompt, behaviour: str = "default",
                 parallel: bool = True) -> list[Tool]:
    """The tools the model calls in one turn: `choose_tool`'s, or under "required" every tool offered, in parallel,
    by the default model (a forced function is one call; parallel calls are a model's choice, never a promise)."""
    tool = choose_tool(tools, mode, forced, prompt, behaviour)
    if tool is not None and forced is None and mode == "required" and parallel and behaviour == "default":
        return list(tools)
    return [] if tool is None else [tool]


def generate(prompt: Prompt, *, model: str, limit: int, choice: int = 0, seed: Any = None,
             stop: tuple[str, ...] = (), fmt: Format | None = None, tool: Tool | None = None,
             behaviour: str = "default") -> Output:
    rng = prompt.rng(model, seed, choice)
    if tool is not None:
        arguments = tokenize(dumps(instance(tool.parameters, rng)))
        finish = "length" if len(arguments) > limit else "tool"
        kept = tuple(arguments[:limit])
        return Output("".join(kept), kept, finish, tool=tool.name)
    text = _text(prompt, rng, limit, fmt, behaviour)
    finish, matched = "stop", None
    hits = [(at, s) for s in stop if (at := text.find(s)) >= 0]
    if hits:
        at, matched = min(hits)
        text, finish = text[:at], "stop_sequence"
    tokens = tokenize(text)
    if len(tokens) > limit:
        tokens, finish, matched = tokens[:limit], "length", None
    return Output("".join(tokens), tuple(tokens), finish, matched)


def _text(prompt: Prompt, rng: random.Random, limit: int, fmt: Format | None, behaviour: str = "default") -> str:
    if fmt is not None and fmt.kind == "json_schema":
        return dumps(instance(fmt.schema, rng))
    if behaviour != "default":
        said = prompt.last_user_text() if behaviour == "echo" else TERSE_WORD
        return dumps({"answer": said}) if fmt is not None else said
    if fmt is not None:
        return dumps({"answer": _sentence(rng)})
    repeated = REPEAT_REQUEST.search(prompt.last_user_text())
    if repeated:
        return repeated.group(1).strip()
    counted = COUNT_REQUEST.search(prompt.last_user_text())
    if counted:
        # Only as many numbers as can be sent, plus a margin for stop sequences spanning the cut.
        upto = min(int(counted.group(1)), MAX_COUNT, limit + 64)
        return " ".join(str(i) for i in range(1, upto + 1))
    lead = []
    if prompt.previous_reply is not None:
        lead.append(f'Continuing from "{" ".join(prompt.previous_reply.split()[:4])}":')
    if prompt.images:
        lead.append(f"I see {prompt.images} image{'s' if prompt.images > 1 else ''}.")
    if prompt.files:
        lead.append(f"I read {prompt.files} file{'s' if prompt.files > 1 else ''}.")
    return " ".join(lead + [_sentence(rng), _sentence(rng)])


def think(prompt: Prompt, *, model: str, behaviour: str = "default") -> str:
    """What a model thinks before it answers when a request turns thinking on (Anthropic's extended thinking): a
    line about the question, then a plan, drawn like the reply; an echo thinks the last user text, a terse model one
    word. Thinking is the server's to produce once accepted, as a forced tool call is."""
    if behaviour != "default":
        return (prompt.last_user_text() or TERSE_WORD) if behaviour == "echo" else TERSE_WORD
    rng = prompt.rng(model, "thinking")
    return f"The question is short; I answer it plainly. {_sentence(rng)}"


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(rng.randint(*SENTENCE_WORDS))]
    return " ".join(words).capitalize() + "."


def token_logprobs(tokens: tuple[str, ...], top: int) -> list[dict]:
    """Chat-style logprobs for each token: a fixed, plausible number, and `top` alternatives."""
    entries = []
    for i, token in enumerate(tokens):
        logprob = -0.01 * (len(token) % 7)
        alternatives = [(token, logprob)] + [(" " + VOCABULARY[(i + j) % len(VOCABULARY)], logprob - j)
                                              for j in range(1, top)]
        entries.append({
            "token": token, "logprob": logprob, "bytes": list(token.encode()),
            "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(t.encode())} for t, lp in alternatives[:top]],
        })
    return entries


def instance(schema: Any, rng: random.Random) -> Any:
    """A value valid against `schema` as the model writes one: its strings are words of its vocabulary."""
    return schema_instance.instance(schema, rng, VOCABULARY)
