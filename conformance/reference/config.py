"""What a reference server serves: its key, its path prefix, its models, and its named faults.

The config is frozen and handed to `create_app`, which keeps it on
`app.state.config`; every behaviour reads it from there, so a broken server
derived from the reference server is the same app with one fault switched on.
"""

from __future__ import annotations

from dataclasses import dataclass

SEED_CREATED = 1772294400  # the `created` of every model on the CRUN pages


@dataclass(frozen=True)
class ModelInfo:
    """One model of `GET /models`, plus the output limit that requested limits are capped to."""

    id: str
    owned_by: str
    created: int = SEED_CREATED
    max_output_tokens: int = 4096


DEFAULT_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("gpt-5.4", "OpenAI"),
    ModelInfo("claude-sonnet-4-5", "Anthropic"),
    ModelInfo("gemini-3.1-pro-preview", "Google"),
)


@dataclass(frozen=True)
class ReferenceConfig:
    api_key: str = "crun-reference-key"
    prefix: str = "/api/v1"
    models: tuple[ModelInfo, ...] = DEFAULT_MODELS
    faults: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        # The key stays out of logs and reports, even through a repr.
        return f"ReferenceConfig(prefix={self.prefix!r}, models={[m.id for m in self.models]}, faults={sorted(self.faults)})"

    def model(self, model_id: str) -> ModelInfo | None:
        return next((m for m in self.models if m.id == model_id), None)


DEFAULT_CONFIG = ReferenceConfig()
