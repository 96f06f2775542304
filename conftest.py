"""Registers the conformance plugin for runs from the repository root."""

pytest_plugins = ["conformance.plugin"]
