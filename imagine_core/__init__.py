"""imagine's core: contracts, plugin registry and pipeline configuration.

Nothing here imports TensorFlow at import time; models, readers, runners and
exporters live in plugins (``imagine_plugins`` for the bundled ones).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("imagine-ocr")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

# A plugin module's hooks are functions decorated with this marker.
from imagine_core.hookspecs import hookimpl

__all__ = ["__version__", "hookimpl"]
