"""GET /models (and GET /models/{id}): the public model catalogue of the config."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .auth import authenticate, presented_keys
from .config import ModelInfo
from .errors import model_not_found
from .faults import KEY_IN_BODY, MODELS_10MB, MODELS_INCOMPLETE, MODELS_NO_LIST_OBJECT, huge_padding
from .wire import json_response


def model_object(info: ModelInfo) -> dict:
    return {"id": info.id, "object": "model", "created": info.created, "owned_by": info.owned_by}


async def list_models(request: Request) -> Response:
    config = authenticate(request)
    faults = config.faults
    listed = config.models[:1] if MODELS_INCOMPLETE in faults else config.models
    body = {"object": "list", "data": [model_object(m) for m in listed]}
    if KEY_IN_BODY in faults:
        for item in body["data"]:
            item["owned_by"] = presented_keys(request)[0]
    if MODELS_NO_LIST_OBJECT in faults:
        del body["object"]
    if MODELS_10MB in faults:
        body["padding"] = huge_padding()
    return json_response(body)


async def retrieve_model(request: Request) -> Response:
    config = authenticate(request)
    model_id = request.path_params["model_id"]
    info = config.model(model_id)
    if info is None:
        raise model_not_found(model_id[:128])
    return json_response(model_object(info))
