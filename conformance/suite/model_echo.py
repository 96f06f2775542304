"""MODEL ECHO: every answer names the public model id the client asked for, not an upstream or dated name.

Judged on the answers other cases already get (a JSON body, or each stream
event that names a model), so it costs no request of its own. No complete
answer fails; an answer with nothing to read (no 2xx, no JSON) is the shape
checks' business: skipped here.
"""

from __future__ import annotations

from typing import Any

from ..wire.exchange import Exchange
from .case import Context, Skipped, Violations, check
from .expect import answered, show


def named_models(data: dict) -> list[Any]:
    """The model names a JSON body or stream event carries: its own `model`, or its `response`'s or `message`'s."""
    found = [data["model"]] if "model" in data else []
    for key in ("response", "message"):
        inner = data.get(key)
        if isinstance(inner, dict) and "model" in inner:
            found.append(inner["model"])
    return found


@check("MODELS-003")
def model_echoed(x: Exchange, ctx: Context) -> None:
    asked = x.request.json_body.get("model") if isinstance(x.request.json_body, dict) else None
    answered(x)
    if x.status is None or not 200 <= x.status < 300:
        raise Skipped("no 2xx answer to read the model from")
    if x.is_event_stream:
        events = [(f"event {i}", data) for i, event in enumerate(x.events or []) if isinstance(data := event.json(), dict)]
        if not events:
            raise Skipped("no JSON event to read the model from")
    else:
        body = x.json()
        if not isinstance(body, dict):
            raise Skipped("no JSON body to read the model from")
        events = [("body", body)]
    v = Violations(f'model "{asked}", the id asked for, in every answer')
    named = [(where, model) for where, data in events for model in named_models(data)]
    if not named:
        v.add(f"no model named in {events[0][0]}" if len(events) == 1 else f"no model named in any of {len(events)} events")
    for where, model in named:
        if model != asked:
            v.add(f"{where}: model {show(model)}")
    v.settle()
