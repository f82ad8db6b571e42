"""reeplan: procurement planning for rare earth supply under export licensing."""
from importlib import metadata

try:
    __version__ = metadata.version("reeplan")
except metadata.PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
