"""Media publishing: the sample HLS library, its catalog, upload with edge-config headers,
invalidation and edge warming.

    from media import generate_library, publish
    report = publish(generate_library(), "my-media-bucket", cdn_url="http://127.0.0.1:8080")
"""

from app.catalog import Catalog, Title, load_catalog
from media.ffmpeg import FfmpegNotFound
from media.generate import LibrarySpec, generate_library
from media.library import Library
from media.publisher import PublishError, PublishReport, publish
from media.validate import LibraryInvalid
from media.warm import WarmLimits, WarmReport

__all__ = [
    "Catalog",
    "FfmpegNotFound",
    "Library",
    "LibraryInvalid",
    "LibrarySpec",
    "PublishError",
    "PublishReport",
    "Title",
    "WarmLimits",
    "WarmReport",
    "generate_library",
    "load_catalog",
    "publish",
]
