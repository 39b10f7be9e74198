"""Where the industry's own files are that the conformance tests hold our output to: the
VAST 4.2 XSD, the OpenRTB 2.x JSON schemas, and the example bid requests.

The OpenRTB files are in this repository (tests/standards_files/, with their sources and
licences: Apache 2.0 and CC BY 3.0 allow it), so a fresh clone tests against them. The
VAST XSD is not: the IAB's VAST repository grants no licence (its LICENSE is a warranty
disclaimer only), and no PyPI or npm package ships it. So it is looked for at
$SHELFSPACE_STANDARDS when set, else at ../shared/standards beside the repository. When it
is absent its test skips on a laptop, with a message naming both places, and fails the run
when CI=true, as the PostgreSQL and Redis tests do (tests/databases.py `missing`): CI must
prove conformance, never pass by skipping it.

What runs everywhere, with no IAB file: tests/delivery/test_own_spec_checks.py, our own
check written from the specs' facts.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from tests.databases import missing

STANDARDS_ENV = "SHELFSPACE_STANDARDS"
BESIDE_THE_REPOSITORY = Path(__file__).resolve().parents[2] / "shared" / "standards"
IN_THE_REPOSITORY = Path(__file__).resolve().parent / "standards_files"


class Standard(StrEnum):
    """A file or folder of the standards, by its path inside them."""

    VAST_4_2_XSD = "vast/xsd/vast_4.2.xsd"
    OPENRTB = "openrtb"  # the JSON schemas and the example requests of prebid and prebid-server
    OPENRTB_SCHEMAS = "openrtb/openrtb2.x-pr179-jsonschema"


def standards_root() -> Path:
    """The folder of the standards kept outside: $SHELFSPACE_STANDARDS, else ../shared/standards."""
    configured = os.environ.get(STANDARDS_ENV)
    return Path(configured).expanduser() if configured else BESIDE_THE_REPOSITORY


def standard(part: Standard) -> Path:
    """The path of `part`: in the repository when it is kept there, else outside it; when
    it is absent, skip the test (a laptop) or fail it (CI=true)."""
    kept = IN_THE_REPOSITORY / part.value
    if kept.exists():
        return kept
    root = standards_root()
    found = root / part.value
    if not found.exists():
        missing(
            f"the IAB standards file {part.value} is not in {root} (the standards are looked for at "
            f"${STANDARDS_ENV} when set, else at ../shared/standards beside the repository)"
        )
    return found
