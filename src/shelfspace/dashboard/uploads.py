"""Creative images and videos brands upload: checked by their bytes, stored by content hash, served here.

The type is read from the file's first bytes (never trusted from its name or the
browser), and an image's size from its header, so a banner is known to fit its placement
before it is saved. Files are named by their SHA-256, so the same file is kept once.

A video is never held in memory: it is copied in chunks from the form's spooled file into
a temporary file beside the uploads, hashed as it goes and dropped as soon as it passes
its limit, then renamed to its hash. It is served with byte ranges (players seek), from
this origin, so previews play offline and call no advertiser's server.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import struct
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import FileResponse, Response

from shelfspace.core.errors import NotFound
from shelfspace.dashboard.forms import FieldErrors
from shelfspace.dashboard.routing import page_router
from shelfspace.http.body_limits import CREATIVE_IMAGE_BYTES, CREATIVE_VIDEO_BYTES, MiB
from shelfspace.runtime import runtime_of

# The image's own limit. The whole form that carries it is capped while it streams, multipart
# and all (http/body_limits.py: the largest file the form takes, a video where it takes one,
# and the form's text fields): a larger upload is refused with 413 before it is read whole.
# An image is read with `read_image_from`, never more than one byte past its own limit.
MAX_BYTES = CREATIVE_IMAGE_BYTES
MAX_VIDEO_BYTES = CREATIVE_VIDEO_BYTES
CHUNK = 1 * MiB
UPLOADS = "uploads"
NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|gif|mp4|webm)$")

router = page_router()


class ImageType(StrEnum):
    PNG = "png"
    JPEG = "jpg"
    GIF = "gif"


class VideoType(StrEnum):
    MP4 = "mp4"
    WEBM = "webm"


MEDIA_TYPES = {
    ImageType.PNG: "image/png",
    ImageType.JPEG: "image/jpeg",
    ImageType.GIF: "image/gif",
    VideoType.MP4: "video/mp4",
    VideoType.WEBM: "video/webm",
}


class BadUpload(ValueError):
    """Why an upload is not usable; the message is shown beside the field."""


class BadImage(BadUpload):
    """Why an upload is not a usable image."""


class BadVideo(BadUpload):
    """Why an upload is not a usable video."""


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
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2 : at + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):  # start of frame: height then width
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
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


def read_image_from(source: BinaryIO) -> Image:
    """An image from an open file, reading no more than one byte past its limit."""
    return read_image(source.read(MAX_BYTES + 1))


@dataclass(frozen=True, slots=True)
class Video:
    type: VideoType
    name: str  # the stored file's name: its SHA-256 and extension
    bytes: int

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.type]


NOT_A_VIDEO = "not an MP4 or WebM video"
VIDEO_MEDIA_TYPES = frozenset(MEDIA_TYPES[kind] for kind in VideoType)


def video_too_large() -> str:
    """Why a video over its limit is refused: the same words from the upload and from the
    wizard's check of a file chosen in the browser."""
    return f"the video is over {MAX_VIDEO_BYTES // MiB} MB; at most {MAX_VIDEO_BYTES // MiB} MB"


def video_type(head: bytes) -> VideoType | None:
    """MP4 (an ISO media file: its first box is `ftyp`, QuickTime's own and audio-only
    brands aside) or WebM (an EBML file whose doctype is webm), by the first bytes."""
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] not in (b"qt  ", b"M4A ", b"M4B "):
        return VideoType.MP4
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return VideoType.WEBM
    return None


def store_video(folder: Path, source: BinaryIO) -> Video:
    """Check and save a video from an open file, a chunk at a time; return where it is kept."""
    head = source.read(CHUNK)
    if not head:
        raise BadVideo("choose a video file")
    kind = video_type(head)
    if kind is None:
        raise BadVideo(NOT_A_VIDEO)
    target = folder / UPLOADS
    target.mkdir(parents=True, exist_ok=True)
    temporary = target / f".{secrets.token_hex(8)}.part"
    digest, total = hashlib.sha256(), 0
    try:
        with temporary.open("wb") as out:
            chunk = head
            while chunk:
                total += len(chunk)
                if total > MAX_VIDEO_BYTES:
                    raise BadVideo(video_too_large())
                digest.update(chunk)
                out.write(chunk)
                chunk = source.read(CHUNK)
        name = f"{digest.hexdigest()}.{kind.value}"
        temporary.replace(target / name)  # the same bytes under the same name: replacing is harmless
    finally:
        temporary.unlink(missing_ok=True)
    return Video(kind, name, total)


def upload_url(base_url: str, name: str) -> str:
    """The public URL of a stored upload (what a creative's image_url or media_url holds)."""
    return f"{base_url}/uploads/{name}"


def kept_upload(request: Request, raw: str) -> tuple[str, str] | None:
    """A file uploaded with an earlier try of a form (its stored name, from a hidden field),
    checked to be one of ours: its URL and the name. Anything else is ignored: the field
    comes back from the browser, so it is never taken as a path or an address."""
    if not NAME.match(raw) or not (runtime_of(request).settings.data_dir / UPLOADS / raw).is_file():
        return None
    return upload_url(runtime_of(request).settings.base_url(), raw), raw


def named_video(request: Request, values: dict[str, Any]) -> tuple[str | None, str | None]:
    """The video a form names without sending a file, with its media type when we know it:
    one kept from an earlier try (`video_kept`, its type read from its bytes), else the URL
    typed (`media_url`, its type left to the service)."""
    kept = kept_upload(request, values["video_kept"])
    if kept is None:
        return values["media_url"] or None, None
    with (runtime_of(request).settings.data_dir / UPLOADS / kept[1]).open("rb") as stored:
        kind = video_type(stored.read(64))
    return kept[0], MEDIA_TYPES[kind] if kind else None


def checked_video(
    request: Request, form: FormData, values: dict[str, Any], errors: FieldErrors
) -> tuple[str | None, str | None]:
    """A form's video, its URL and media type: the file sent (checked and stored, its name put
    in `values["video_kept"]` so a retry keeps it), else what `named_video` finds. A file
    that is not a usable video is named under `errors["video"]`. Shared by the creative pages
    and the campaign wizard, so an upload means the same everywhere."""
    upload = form.get("video")
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            video = store_video(runtime_of(request).settings.data_dir, upload.file)
        except BadUpload as exc:
            errors["video"] = str(exc)
            return None, None
        values["video_kept"] = video.name
        return upload_url(runtime_of(request).settings.base_url(), video.name), video.media_type
    return named_video(request, values)


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
    path = runtime_of(request).settings.data_dir / UPLOADS / name
    if not path.is_file():
        raise NotFound("no such upload")
    extension = name.rsplit(".", 1)[1]
    kind: ImageType | VideoType = VideoType(extension) if extension in set(VideoType) else ImageType(extension)
    # Named by content: the same name is always the same bytes, so it may be cached for good.
    # FileResponse answers a Range request with the part asked for: a video player seeks.
    return FileResponse(
        path, media_type=MEDIA_TYPES[kind], headers={"Cache-Control": "public, max-age=31536000, immutable"}
    )
