"""What a reference server serves: its key, its path prefix, its models, and its named faults.

The config is frozen and handed to `create_app`, which keeps it on
`app.state.config`; every behaviour reads it from there, so a broken server
derived from the reference server is the same app with one fault switched on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .faults import Fault, switched_on

SEED_CREATED = 1772294400  # the `created` of every model on the CRUN pages


@dataclass(frozen=True)
class ModelInfo:
    """One model of `GET /models`, plus the output limit that requested limits are capped to, and how its fake
    model answers (`behaviour`: default, echo or terse; see model.py)."""

    id: str
    owned_by: str
    created: int = SEED_CREATED
    max_output_tokens: int = 4096
    behaviour: str = "default"


DEFAULT_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("gpt-5.4", "OpenAI"),
    ModelInfo("claude-sonnet-4-5", "Anthropic"),
    ModelInfo("gemini-3.1-pro-preview", "Google"),
    ModelInfo("crun-echo", "crun-conformance", behaviour="echo"),  # only repeats the last user text
    ModelInfo("crun-terse", "crun-conformance", behaviour="terse"),  # one word, whatever is asked
)


@dataclass(frozen=True)
class ReferenceConfig:
    api_key: str = "crun-reference-key"
    prefix: str = "/api/v1"
    models: tuple[ModelInfo, ...] = DEFAULT_MODELS
    faults: frozenset[Fault] = frozenset()  # declared constants, or their names (a typo is refused); kept as a FaultSet
    latency_ms: int = 0  # delay before the first byte of every POST answer, like a real model's time to first token
    chunk_ms: int = 0  # pause between streamed events
    rate_limit_every: int = 0  # every K-th request gets 429 with Retry-After: 1 (0: never)
    hold_s: float = 0.0  # with a load fault: hold what it counts until it fires, at most this long (load_faults.py)
    max_concurrency: int = 0  # above this many requests in flight, 429 with Retry-After: 1 (0: no limit; pacing.py)

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", switched_on(self.faults))
        for name in ("latency_ms", "chunk_ms", "rate_limit_every", "hold_s", "max_concurrency"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")

    def __repr__(self) -> str:
        # The key stays out of logs and reports, even through a repr.
        return f"ReferenceConfig(prefix={self.prefix!r}, models={[m.id for m in self.models]}, faults={self.faults.names})"

    def model(self, model_id: str) -> ModelInfo | None:
        return next((m for m in self.models if m.id == model_id), None)


DEFAULT_CONFIG = ReferenceConfig()
