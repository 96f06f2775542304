"""Registers the conformance plugin for runs from the repository root, installed or not.

Installed, the package registers it through its pytest11 entry point under the same name
(`conformance.plugin`), so pytest finds it already there and it loads once.
"""

pytest_plugins = ["conformance.plugin"]
