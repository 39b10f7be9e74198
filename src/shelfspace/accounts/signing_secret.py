"""The network's signing secret: it keys the pages' form tokens (dashboard/csrf.py) and the
links sent by e-mail (accounts/email_verification.py, accounts/invites.py).

Set as SHELFSPACE_SESSION_SECRET, else made once and kept in the data directory (readable
by its owner only), so every process of one deployment signs alike. Sessions themselves
need no secret (accounts/sessions.py: random tokens kept on the server).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from shelfspace.config import Settings

SESSION_SECRET_FILE = "session.key"


def session_secret(settings: Settings) -> str:
    """The secret, made and kept on first use when the settings name none."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path: Path = settings.data_dir / SESSION_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
