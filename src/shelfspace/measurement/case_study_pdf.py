"""The case study's PDF, printed once per version and served from disk after that.

Why: WeasyPrint takes about two seconds a case study, and the published link
(`/case-studies/{token}`) is open to anyone, so each request for the PDF cost two seconds
of a worker thread to whoever asked. Printing again is only worth it when the PDF would
differ.

The version, honestly: the SHA-256 of the very HTML the PDF is printed from (without the
browser's CSP nonce, which the PDF has no use for) and the base URL it is printed against.
Everything the PDF shows is in that HTML (the operator's words, the report's and the lift's
figures, the charts, the period, the share link), so when anything shown changes the
version changes and the next request prints anew; when nothing does, the bytes on disk
are exactly what printing again would give. The figures are still computed on each
request (that is how the version is known); the printing is what is saved.

Files: `data_dir/case_study_pdfs/{campaign}-{version}.pdf`, written to a temporary name
and renamed (a reader never sees half a file); a new version removes the campaign's older
ones. Every process and server sharing the data directory shares the files. Printing runs
in the calling route's thread (the routes are plain `def`), never on the event loop.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

DIRECTORY = "case_study_pdfs"
SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
Printer = Callable[[str, str], bytes]
"""(html, base_url) -> PDF bytes: `case_study.render_pdf`."""

_printing: dict[str, threading.Lock] = {}
_printing_guard = threading.Lock()


def version_of(html: str, base_url: str) -> str:
    """What the PDF shows, in 32 hex digits: it changes when anything shown changes."""
    return hashlib.sha256(base_url.encode() + b"\x00" + html.encode()).hexdigest()[:32]


def _lock(key: str) -> threading.Lock:
    """One print at a time per version in this process: concurrent first requests wait for
    the one print instead of each printing."""
    with _printing_guard:
        return _printing.setdefault(key, threading.Lock())


@dataclass(frozen=True, slots=True)
class PdfCache:
    directory: Path

    @classmethod
    def under(cls, data_dir: Path) -> PdfCache:
        return cls(data_dir / DIRECTORY)

    def path(self, campaign_id: str, version: str) -> Path:
        if not SAFE_ID.match(campaign_id):
            raise ValueError(f"not a campaign id: {campaign_id!r}")
        return self.directory / f"{campaign_id}-{version}.pdf"

    def pdf(self, campaign_id: str, html: str, base_url: str, render: Printer) -> bytes:
        """The PDF of `html`: from disk if this version was printed before, else printed
        now and kept. Blocking (file work, and WeasyPrint): call it from a thread."""
        path = self.path(campaign_id, version_of(html, base_url))
        cached = self._read(path)
        if cached is not None:
            return cached
        with _lock(str(path)):
            cached = self._read(path)
            if cached is not None:
                return cached
            pdf = render(html, base_url)
            self._keep(path, campaign_id, pdf)
        with _printing_guard:
            _printing.pop(str(path), None)
        return pdf

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def _keep(self, path: Path, campaign_id: str, pdf: bytes) -> None:
        """Write the new version whole, then drop the campaign's older ones. A data
        directory that cannot be written costs the cache, not the answer."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".printing-", delete=False) as temporary:
                try:
                    temporary.write(pdf)
                except OSError:
                    os.unlink(temporary.name)
                    raise
            os.replace(temporary.name, path)
            for older in self.directory.glob(f"{campaign_id}-*.pdf"):
                if older != path:
                    older.unlink(missing_ok=True)
        except OSError as failed:
            log.warning("case_study_pdf_not_cached", campaign_id=campaign_id, error=str(failed))
