"""crun-conformance: the CRUN gateway contract, a reference server, and the suite that judges servers against both."""

__version__ = "0.1.0"
