"""Cassettes: record a target's exchanges once, replay them offline forever, never with a key inside.

One cassette per case (`<dir>/<case id>.yaml`) plus `target.json`, which says
what was recorded (base path, profile, models) so a replay asks the same
questions. Matching ignores host, port and headers, so a cassette recorded at
one address replays anywhere.

Record mode `changed` (`certify --record-changed DIR`) records every case
afresh but writes a cassette only when the case's requests differ from the
ones already recorded there, or when it has none: after a requirement is
added, only the cases whose requests changed get new cassettes, and the rest
keep their bytes (their dates and ids included).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import vcr
from pytest_recording import network
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.matchers import requests_match
from vcr.persisters.filesystem import CassetteDecodeError, CassetteNotFoundError, FilesystemPersister

from .exchange import SECRET_HEADERS, ReplayMismatch
from .target import Target, TargetError

MANIFEST = "target.json"
REPLAY_HOST = "http://replay.invalid"
MATCH_ON = ("method", "path", "body")
CHANGED = "changed"  # record mode: record live, write only the cassettes whose requests changed or are missing
_SECRET_QUERY = ("key", "api_key", "api-key", "apikey", "token", "access_token")
REDACTED = "REDACTED"
RERECORD = ("re-record the cases whose requests changed with `crun-conformance certify --record-changed DIR` "
            "(add `--base-url URL --api-key KEY` for your gateway), or every case with "
            "`python -m pytest conformance/suite --target reference --record-mode=rewrite`")


def _scrubber(secrets: tuple[str, ...]):
    """Remove credential headers, and any occurrence of the keys themselves, from a recorded response."""

    def scrub(response: dict) -> dict:
        headers = response.get("headers") or {}
        for name in list(headers):
            if name.lower() in SECRET_HEADERS:
                headers[name] = [REDACTED]
        body = response.get("body") or {}
        data = body.get("string")
        for secret in secrets:
            if isinstance(data, bytes) and secret.encode() in data:
                data = data.replace(secret.encode(), REDACTED.encode())
            elif isinstance(data, str) and secret in data:
                data = data.replace(secret, REDACTED)
        if data is not None:
            body["string"] = data
        return response

    return scrub


def _anonymise_request(request: Any) -> Any:
    """Record requests as if made to the replay host: the recording machine's address is nobody's business."""
    parts = urlsplit(request.uri)
    request.uri = REPLAY_HOST + parts.path + (f"?{parts.query}" if parts.query else "")
    for name in [n for n in request.headers if n.lower() == "host"]:
        del request.headers[name]
    return request


def recorder(directory: Path, record_mode: str, secrets: tuple[str, ...] = ()) -> vcr.VCR:
    """A VCR that scrubs every credential before anything is written."""
    made = vcr.VCR(
        cassette_library_dir=str(directory),
        record_mode="all" if record_mode == CHANGED else record_mode,
        match_on=MATCH_ON,
        filter_headers=[(name, REDACTED) for name in sorted(SECRET_HEADERS)],
        filter_query_parameters=[(name, REDACTED) for name in _SECRET_QUERY],
        before_record_request=_anonymise_request,
        before_record_response=_scrubber(tuple(s for s in secrets if s)),
        decode_compressed_response=True,
        drop_unused_requests=record_mode == CHANGED,  # a cassette written holds this run's requests only
    )
    if record_mode == CHANGED:
        made.register_persister(_unchanged_kept([made.matchers[name] for name in MATCH_ON]))
    return made


def _unchanged_kept(matchers: list[Any]) -> type[FilesystemPersister]:
    """A persister that leaves a cassette alone when the requests to write are the ones it already holds, in order."""

    class KeepUnchanged(FilesystemPersister):
        @classmethod
        def save_cassette(cls, cassette_path: Any, cassette_dict: dict, serializer: Any) -> None:
            try:
                held, *_ = FilesystemPersister.load_cassette(cassette_path, serializer)
            except (CassetteNotFoundError, CassetteDecodeError):
                held = None
            new = cassette_dict["requests"]
            if held is not None and len(held) == len(new) and all(
                    requests_match(old, request, matchers) for old, request in zip(held, new, strict=True)):
                return
            FilesystemPersister.save_cassette(cassette_path, cassette_dict, serializer)

    return KeepUnchanged


def write_manifest(directory: Path, target: Target, models: list[str], messages_models: list[str],
                   matrix: bool = False) -> None:
    """What was recorded, so a replay asks the same questions: base path, profile, and the models of the run."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {"base_path": urlsplit(target.base_url).path, "profile": target.profile,
                "model": models[0], "messages_model": messages_models[0]}
    if matrix:
        manifest.update(models=models, messages_models=messages_models)
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def recorded_models(directory: Path) -> dict:
    """The model choice a recording was made with: `model`/`messages_model`, or `models`/`messages_models`."""
    manifest = _manifest(directory)
    return {key: manifest[key] for key in ("model", "messages_model", "models", "messages_models") if key in manifest}


def _manifest(directory: Path) -> dict:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise TargetError(f"no recording in {directory}: {RERECORD}") from None
    except ValueError as exc:
        raise TargetError(f"{directory / MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise TargetError(f"{directory / MANIFEST} must hold a JSON object")
    return manifest


def recorded_profile(directory: Path) -> str | None:
    """The profile a recording was made under, or None when there is no readable recording."""
    try:
        return _manifest(directory).get("profile")
    except TargetError:
        return None


def replay_target(directory: Path, profile: str | None = None) -> Target:
    """The target a cassette directory describes, reachable only through its cassettes."""
    manifest = _manifest(directory)
    return Target(REPLAY_HOST + manifest.get("base_path", ""), api_key="replay", kind="replay",
                  profile=profile or manifest.get("profile", "crun"))


def has_recording(directory: Path) -> bool:
    return (directory / MANIFEST).is_file()


class Library:
    """Opens the cassette of one case at a time; in replay the network is blocked while it is open."""

    def __init__(self, directory: Path, record_mode: str, secrets: tuple[str, ...] = ()) -> None:
        self.directory = directory
        self.record_mode = record_mode
        self.vcr = recorder(directory, record_mode, secrets)

    @contextlib.contextmanager
    def cassette(self, name: str) -> Iterator[Any]:
        blocking = network.blocking_context(allowed_hosts=[]) if self.record_mode == "none" else contextlib.nullcontext()
        try:
            with blocking, self.vcr.use_cassette(f"{name}.yaml") as cassette:
                yield cassette
        except CannotOverwriteExistingCassetteException:
            raise ReplayMismatch(f"case {name}: its request is not in {self.directory / (name + '.yaml')} "
                                 f"(the request changed since recording, or the cassette is missing); {RERECORD}") from None
