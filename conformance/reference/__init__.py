"""The CRUN reference server: every promise of the CRUN pages kept, with a deterministic rule-based model.

It is the default target of `certify`, the source cassettes are recorded
from, the yardstick the self-test breaks one requirement at a time (via
`ReferenceConfig.faults`), and a local stand-in developers can run with
`crun-conformance serve`.
"""

from .app import create_app
from .config import DEFAULT_MODELS, ModelInfo, ReferenceConfig
from .server import ReferenceServer, serve

__all__ = ["DEFAULT_MODELS", "ModelInfo", "ReferenceConfig", "ReferenceServer", "create_app", "serve"]
