"""MODELS: the model list, and that every model the suite uses is on it."""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .expect import json_object, ok, success_body


@check("MODELS-001")
def model_list_shape(x: Exchange, ctx: Context) -> None:
    success_body(x, "ModelList")


@check("MODELS-002")
def models_under_test_listed(x: Exchange, ctx: Context) -> None:
    ok(x)
    listed = {item.get("id") for item in json_object(x).get("data") or [] if isinstance(item, dict)}
    missing = sorted(set(ctx.models or (ctx.model, ctx.messages_model)) - listed)
    if missing:
        raise Failed(f"{', '.join(missing)} among the listed models", f"{len(listed)} listed: {sorted(map(str, listed))[:10]}")
