"""Full-text search over session records (FTS5, kept in step by triggers: schema v4).

User text never reaches FTS5's query syntax: ``match_expression`` turns whatever was typed
into quoted strings, so quotes, ``AND``/``OR``/``NOT``/``NEAR``, ``-``, ``*`` and brackets are
plain words. Text in double quotes stays a phrase; every other word must appear (in any
order). The porter stemmer matches "delayed" to "delay"; it leaves Greek plurals apart
("crisis" → crisi, "crises" → crise), so a word ending in -is also looks for -es and the other
way round (crisis/crises, psychosis/psychoses, diagnosis/diagnoses).
"""

from __future__ import annotations

import itertools
import re

from app.storage.db import Database
from app.storage.schema import SEARCH_COLUMNS, search_values_sql

_PHRASE = re.compile(r'"([^"]*)"')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_VARIANTS = 8


def _has_token(text: str) -> bool:
    """True when the tokenizer would find a word in ``text`` (letters or digits)."""
    return any(ch.isalnum() for ch in text)


def _variants(word: str) -> list[str]:
    low = word.casefold()
    if len(low) > 4 and low.endswith("is") and low[-3].isalpha():
        return [word, word[:-2] + "es"]
    if len(low) > 4 and low.endswith("es") and low[-3].isalpha():
        return [word, word[:-2] + "is"]
    return [word]


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "") + '"'


def _group(words: list[str]) -> str:
    """A phrase (or one word) and its -is/-es variants as one OR group."""
    combos = itertools.islice(itertools.product(*(_variants(w) for w in words)), _MAX_VARIANTS)
    return " OR ".join(_quoted(" ".join(combo)) for combo in combos)


def match_expression(query: str) -> str | None:
    """An FTS5 expression that finds what a person typed, or None when it holds no word."""
    groups: list[str] = []
    query = _CONTROL.sub(" ", query)
    for phrase in _PHRASE.findall(query):
        words = [w for w in phrase.split() if _has_token(w)]
        if words:
            groups.append(_group(words))
    rest = _PHRASE.sub(" ", query).replace('"', " ")
    for word in rest.split():
        if _has_token(word):
            groups.append(_group([word]))
    if not groups:
        return None
    return " AND ".join(f"({g})" for g in groups)


def column_filtered(
    expression: str, *, include_confidential: bool, include_places: bool = False, only: str = ""
) -> str:
    """Restrict an expression to the record's text — what was discussed (``body``) and the
    references and notes (``other``) — plus the place and the confidential notes when asked;
    ``only`` names the columns instead."""
    columns = only or " ".join(
        ["body", "other"]
        + (["place"] if include_places else [])
        + (["confidential"] if include_confidential else [])
    )
    return f"{{{columns}}} : ({expression})"


def rebuild_index(db: Database) -> int:
    """Rebuild every session's search document (call inside a transaction). Returns how many.

    The triggers keep the index in step; this is the repair for an index that was lost or
    damaged (for example by a tool that dropped the triggers).
    """
    db.execute("DELETE FROM session_text")
    db.execute("DELETE FROM search_docs")
    db.execute(
        "INSERT INTO search_docs (session_id, doc) "
        "SELECT id, row_number() OVER (ORDER BY session_date, created_at, id) FROM sessions"
    )
    db.execute(
        f"INSERT INTO session_text (rowid, session_id, {SEARCH_COLUMNS}) "
        f"SELECT d.doc, s.id, {search_values_sql()} "
        "FROM sessions s JOIN search_docs d ON d.session_id = s.id"
    )
    return int(db.execute("SELECT count(*) FROM search_docs").fetchone()[0])
