"""BUILT-IN TOOLS: `/responses` passes a built-in tool (`file_search`) through to the upstream, as seed 001 shows.

No black-box client can create a vector store on the gateway's upstream, so the
request names one that does not exist: a gateway that passes the tool through
gets the upstream's own answer, a 4xx about that vector store (OpenAI's: 404,
the resource does not exist), or a 2xx if the upstream searches nothing. What
fails is a 5xx, or a refusal of the tool itself.

The rule reads the status and the error body only, never the model's text: a 4xx
passes when its OpenAI error is about the vector store (`error.param` names
`vector_store_ids`, or `error.message` names the store sent or says "vector
store") and does not point at the tool's `type`; any other 4xx is a refusal of
the tool type.
"""

from __future__ import annotations

from ..wire.exchange import Exchange
from .case import Context, Failed, check
from .expect import openai_error, show, status, success_body

MISSING_VECTOR_STORE = "vs_crun_conformance_missing"
FILE_SEARCH = {"type": "file_search", "vector_store_ids": [MISSING_VECTOR_STORE]}
QUESTION = "Search my connected knowledge base and summarize our refund policy."  # seed 001's example


def about_the_vector_store(error: dict) -> bool:
    """Whether an OpenAI error blames the vector store sent, not the tool's type."""
    param = error.get("param") if isinstance(error.get("param"), str) else ""
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    if param.endswith(".type"):
        return False
    return ("vector_store" in param or MISSING_VECTOR_STORE in message
            or any(name in message.lower() for name in ("vector store", "vector_store")))


@check("RESP-018")
def builtin_tool_passed_through(x: Exchange, ctx: Context) -> None:
    code = status(x, lambda s: s < 500, "no 5xx for a file_search tool")
    if code < 400:
        success_body(x, "Response")
        return
    error = openai_error(x)
    if not about_the_vector_store(error):
        raise Failed(f"the upstream's 4xx about vector store {MISSING_VECTOR_STORE}, not a refusal of the tool type",
                     f"HTTP {code}: {show(error)}")
