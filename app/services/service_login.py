"""The service's URL and password, as the command line and the window find them.

The password is never stored by Keel in the database or a settings file: it comes from the URL
itself (as ``service add-team`` prints it, for scripts), from ``KEEL_SERVICE_PASSWORD``, from
the operating system's keyring (where the window keeps it), or from a prompt. On a computer with
no keyring backend Keel asks each time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from app.server.target import ServiceTarget, parse_target

log = logging.getLogger(__name__)

URL_ENV = "KEEL_SERVICE_URL"
PASSWORD_ENV = "KEEL_SERVICE_PASSWORD"
KEYRING_SERVICE = "Keel service"


def target_from(url: str | None, *, fallback: str | None = None) -> ServiceTarget:
    """``--url``, else KEEL_SERVICE_URL, else ``fallback`` (the URL saved in the team's
    database); none, or a malformed one, is a ``UsageError`` (exit 2)."""
    return parse_target(url or os.environ.get(URL_ENV) or fallback)


def keyring_password(target: ServiceTarget) -> str | None:
    """The password kept in the keyring for this login, or None (none kept, or no keyring)."""
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, target.display())
        except (KeyringError, RuntimeError) as exc:
            log.info("no keyring: %s", exc)
            return None
    except Exception as exc:  # a broken backend must never stop a publish that can ask
        log.warning("the keyring failed: %s", exc)
        return None


def keyring_available() -> bool:
    """True when the operating system offers a keyring Keel can write to."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        return not isinstance(backend, fail.Keyring) and getattr(backend, "priority", 1) > 0
    except Exception:
        return False


def save_to_keyring(target: ServiceTarget, password: str) -> bool:
    """Keep ``password`` for this login in the keyring; False when there is none."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, target.display(), password)
        return True
    except Exception as exc:
        log.info("could not keep the password in the keyring: %s", exc)
        return False


def forget_keyring(target: ServiceTarget) -> None:
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, target.display())
    except Exception as exc:
        log.info("nothing to forget in the keyring: %s", exc)


def resolve_password(target: ServiceTarget, ask: Callable[[str], str] | None = None) -> str | None:
    """The URL's password, else KEEL_SERVICE_PASSWORD, else the keyring's, else ``ask``'s."""
    if target.url_password:
        return target.url_password
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    kept = keyring_password(target)
    if kept:
        return kept
    if ask is not None:
        answer = ask(f"Password for {target.display()}: ")
        if answer:
            return answer
    return None
