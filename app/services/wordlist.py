"""The words the passphrase generator draws from: the BIP-0039 English list (2048 common,
unambiguous words, each told apart by its first four letters; MIT licence, see
resources/words/LICENSE.txt). Each word chosen at random adds 11 bits."""

from __future__ import annotations

from app.paths import resource_path


def _load() -> tuple[str, ...]:
    text = resource_path("words/bip39-english.txt").read_text(encoding="utf-8")
    words = tuple(w.strip() for w in text.splitlines() if w.strip())
    if len(words) != 2048:
        raise RuntimeError("the word list of the passphrase generator is damaged")
    return words


WORDS: tuple[str, ...] = _load()
