"""Cassettes: record a target's exchanges once, replay them offline forever, never with a key inside.

One cassette per case (`<dir>/<case id>.yaml`) plus `target.json`, which says
what was recorded (base path, profile, models) so a replay asks the same
questions. Matching ignores host, port and headers, so a cassette recorded at
one address replays anywhere.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import vcr
from pytest_recording import network

from .exchange import SECRET_HEADERS
from .target import Target, TargetError

MANIFEST = "target.json"
REPLAY_HOST = "http://replay.invalid"
MATCH_ON = ("method", "path", "body")
_SECRET_QUERY = ("key", "api_key", "api-key", "apikey", "token", "access_token")


def _scrub_response(response: dict) -> dict:
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            headers[name] = ["REDACTED"]
    return response


def recorder(directory: Path, record_mode: str) -> vcr.VCR:
    """A VCR that scrubs every credential before anything is written."""
    return vcr.VCR(
        cassette_library_dir=str(directory),
        record_mode=record_mode,
        match_on=MATCH_ON,
        filter_headers=[(name, "REDACTED") for name in sorted(SECRET_HEADERS)],
        filter_query_parameters=[(name, "REDACTED") for name in _SECRET_QUERY],
        before_record_response=_scrub_response,
        decode_compressed_response=True,
        allow_playback_repeats=False,
    )


def write_manifest(directory: Path, target: Target, model: str, messages_model: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {"base_path": urlsplit(target.base_url).path, "profile": target.profile,
                "model": model, "messages_model": messages_model}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def replay_target(directory: Path, profile: str | None = None) -> Target:
    """The target a cassette directory describes, reachable only through its cassettes."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        raise TargetError(f"no recording in {directory}: record one with --record-mode=once") from None
    except ValueError as exc:
        raise TargetError(f"{directory / MANIFEST} is not valid JSON: {exc}") from None
    return Target(REPLAY_HOST + manifest.get("base_path", ""), api_key="replay", kind="replay",
                  model=manifest.get("model"), messages_model=manifest.get("messages_model"),
                  profile=profile or manifest.get("profile", "crun"))


def has_recording(directory: Path) -> bool:
    return (directory / MANIFEST).is_file()


class Library:
    """Opens the cassette of one case at a time; in replay the network is blocked while it is open."""

    def __init__(self, directory: Path, record_mode: str) -> None:
        self.directory = directory
        self.record_mode = record_mode
        self.vcr = recorder(directory, record_mode)

    @contextlib.contextmanager
    def cassette(self, name: str) -> Iterator[Any]:
        blocking = network.blocking_context(allowed_hosts=[]) if self.record_mode == "none" else contextlib.nullcontext()
        with blocking, self.vcr.use_cassette(f"{name}.yaml") as cassette:
            yield cassette
