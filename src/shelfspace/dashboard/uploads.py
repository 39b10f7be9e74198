"""Creative images brands upload: checked by their bytes, stored by content hash, served here.

The type is read from the file's first bytes (never trusted from its name or the
browser), and the size from its header, so a banner is known to fit its placement
before it is saved. Files are named by their SHA-256, so the same image is kept once.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from fastapi import Request
from starlette.responses import FileResponse, Response

from shelfspace.core.errors import NotFound
from shelfspace.dashboard.routing import page_router
from shelfspace.http.body_limits import CREATIVE_IMAGE_BYTES

# The image's own limit. The whole form that carries it is capped while it streams, multipart
# and all (http/body_limits.py: the image and the form's text fields): a larger upload is
# refused with 413 before it is read whole, so an image read here is never bigger than that.
MAX_BYTES = CREATIVE_IMAGE_BYTES
UPLOADS = "uploads"
NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|gif)$")

router = page_router()


class ImageType(StrEnum):
    PNG = "png"
    JPEG = "jpg"
    GIF = "gif"


MEDIA_TYPES = {ImageType.PNG: "image/png", ImageType.JPEG: "image/jpeg", ImageType.GIF: "image/gif"}


class BadImage(ValueError):
    """Why an upload is not a usable image; the message is shown beside the field."""


@dataclass(frozen=True, slots=True)
class Image:
    type: ImageType
    width: int
    height: int
    data: bytes

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def name(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()}.{self.type.value}"


def _jpeg_size(data: bytes) -> tuple[int, int]:
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            raise BadImage("the JPEG file is damaged")
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):  # start of frame: height then width
            height, width = struct.unpack(">HH", data[at + 5:at + 9])
            return width, height
        at += 2 + length
    raise BadImage("the JPEG file has no image size")


def read_image(data: bytes) -> Image:
    if not data:
        raise BadImage("choose an image file")
    if len(data) > MAX_BYTES:
        raise BadImage(f"the image is {len(data) / 1_048_576:.1f} MB; at most 2 MB")
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return Image(ImageType.PNG, width, height, data)
    if data.startswith((b"GIF87a", b"GIF89a")) and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return Image(ImageType.GIF, width, height, data)
    if data.startswith(b"\xff\xd8"):
        width, height = _jpeg_size(data)
        return Image(ImageType.JPEG, width, height, data)
    raise BadImage("not a PNG, JPEG or GIF image")


def store(folder: Path, image: Image) -> str:
    """Save the image (once) and return its file name."""
    target = folder / UPLOADS
    target.mkdir(parents=True, exist_ok=True)
    path = target / image.name
    if not path.exists():
        temporary = path.with_suffix(".part")
        temporary.write_bytes(image.data)
        temporary.replace(path)  # never a half-written file under the real name
    return image.name


@router.get("/uploads/{name}")
def uploaded(request: Request, name: str) -> Response:
    if not NAME.match(name):
        raise NotFound("no such upload")
    path = request.app.state.settings.data_dir / UPLOADS / name
    if not path.is_file():
        raise NotFound("no such upload")
    kind = ImageType(name.rsplit(".", 1)[1])
    # Named by content: the same name is always the same bytes, so it may be cached for good.
    return FileResponse(path, media_type=MEDIA_TYPES[kind], headers={"Cache-Control": "public, max-age=31536000, immutable"})
