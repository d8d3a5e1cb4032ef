"""Right-to-left text (Hebrew, Arabic) put in the order ReportLab draws it.

ReportLab (without the optional ``rlbidi`` and HarfBuzz packages, which Keel does not ship)
draws every string left to right, letter by letter: a Hebrew name came out reversed and an
Arabic name as separate, unjoined letters in reverse. This module does the two smallest things
that make names and short notes read correctly:

* Arabic letters take their joining forms (initial, medial, final, isolated) from the
  presentation-form characters the bundled DejaVu Sans draws, lam + alef as one ligature;
* each right-to-left run (from the first to the last right-to-left letter, with the spaces,
  punctuation and numbers between them) is reversed for display, numbers kept left to right,
  brackets mirrored, combining marks kept after their letter.

The paragraph direction stays left to right (Keel writes English). This is not the full
Unicode bidirectional algorithm: a right-to-left run that wraps onto the next line has its
lines in left-to-right order. Text extractors (pdftotext) reverse such runs back, so copying
from the PDF gives the letters in reading order.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

_RTL = frozenset({"R", "AL"})
_NUMBER = frozenset({"EN", "AN"})
_MIRROR = {"(": ")", ")": "(", "[": "]", "]": "[", "{": "}", "}": "{", "<": ">", ">": "<",
           "«": "»", "»": "«", "‹": "›", "›": "‹"}  # fmt: skip
_TATWEEL = "\u0640"
_ZWJ = "\u200d"


@functools.cache
def _forms() -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], dict[str, str]]]:
    """Joining forms by letter, and the lam–alef ligatures, from Unicode's decompositions of
    the Arabic presentation-form characters."""
    letters: dict[str, dict[str, str]] = {}
    ligatures: dict[tuple[str, str], dict[str, str]] = {}
    for cp in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) < 2 or parts[0] not in ("<isolated>", "<final>", "<initial>", "<medial>"):
            continue
        form = parts[0][1:-1]
        bases = [chr(int(p, 16)) for p in parts[1:]]
        if len(bases) == 1:
            letters.setdefault(bases[0], {}).setdefault(form, chr(cp))
        elif len(bases) == 2 and bases[0] == "\u0644":  # lam + alef (with or without hamza…)
            ligatures.setdefault((bases[0], bases[1]), {}).setdefault(form, chr(cp))
    return letters, ligatures


def _joins_both_ways(ch: str) -> bool:
    letters, _lig = _forms()
    return ch in (_TATWEEL, _ZWJ) or "medial" in letters.get(ch, {})


def _joins(ch: str) -> bool:
    letters, _lig = _forms()
    return ch in (_TATWEEL, _ZWJ) or ch in letters


def _transparent(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me")


def shape_arabic(text: str, drawable: Callable[[str], bool]) -> str:
    """Arabic letters replaced by their joining forms (only forms the font can draw)."""
    if not any("\u0600" <= ch <= "\u06ff" for ch in text):
        return text
    letters, ligatures = _forms()
    out: list[str] = []
    n = len(text)
    i = 0

    def neighbour(start: int, step: int) -> str:
        j = start
        while 0 <= j < n and _transparent(text[j]):
            j += step
        return text[j] if 0 <= j < n else ""

    while i < n:
        ch = text[i]
        if ch not in letters:
            out.append(ch)
            i += 1
            continue
        before = neighbour(i - 1, -1)
        joins_before = bool(before) and _joins_both_ways(before)
        nxt_index = i + 1
        while nxt_index < n and _transparent(text[nxt_index]):
            nxt_index += 1
        after = text[nxt_index] if nxt_index < n else ""
        ligature = ligatures.get((ch, after))
        if ligature is not None and nxt_index == i + 1:
            form = ligature.get("final" if joins_before else "isolated")
            if form is not None and drawable(form):
                out.append(form)
                i += 2
                continue
        joins_after = _joins_both_ways(ch) and bool(after) and _joins(after)
        wanted = (
            "medial"
            if joins_before and joins_after
            else "final"
            if joins_before
            else "initial"
            if joins_after
            else "isolated"
        )
        form = letters[ch].get(wanted)
        out.append(form if form is not None and drawable(form) else ch)
        i += 1
    return "".join(out)


def _clusters(text: str) -> list[str]:
    """Letters with their combining marks, which must stay after their letter."""
    out: list[str] = []
    for ch in text:
        if out and _transparent(ch):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _numeric(kinds: list[str]) -> list[bool]:
    """Which clusters belong to a number that reads left to right even inside right-to-left
    text: digits, a separator between two digits ("12/03", "1,5"), and "%", "$" or "+" next
    to a digit."""
    n = len(kinds)
    digit = [k in _NUMBER for k in kinds]
    out = digit[:]
    for i in range(n):
        if kinds[i] in ("ES", "CS") and 0 < i < n - 1 and digit[i - 1] and digit[i + 1]:
            out[i] = True
    for i in range(n):  # "%" and the like, touching a number (through other such marks)
        if kinds[i] != "ET" or out[i]:
            continue
        j = i
        while j < n and kinds[j] == "ET":
            j += 1
        k = i
        while k >= 0 and kinds[k] == "ET":
            k -= 1
        if (j < n and out[j]) or (k >= 0 and out[k]):
            for m in range(k + 1, j):
                out[m] = True
    return out


def _reverse_run(run: list[str]) -> list[str]:
    """A right-to-left run in drawing order: reversed, numbers left to right, brackets
    mirrored."""
    kinds = [unicodedata.bidirectional(c[0]) for c in run]
    numeric = _numeric(kinds)
    segments: list[list[str]] = []
    for n, cluster in enumerate(run):
        if numeric[n] and segments and numeric[n - 1]:
            segments[-1].append(cluster)
        elif numeric[n]:
            segments.append([cluster])
        else:
            segments.append([_MIRROR.get(cluster, cluster)])
    return [cluster for segment in reversed(segments) for cluster in segment]


def _close_brackets(clusters: list[str], start: int, last: int, stop: int) -> int:
    """Extend a run to the closing brackets of the brackets it opens ("(…)" around
    right-to-left text belongs to it)."""
    openers = {"(": ")", "[": "]", "{": "}", "«": "»"}
    pending: list[str] = []
    for c in clusters[start : last + 1]:
        if c in openers:
            pending.append(openers[c])
        elif pending and c == pending[-1]:
            pending.pop()
    k = last + 1
    while pending and k < stop:
        if clusters[k] == pending[-1]:
            pending.pop()
            last = k
        k += 1
    return last


def visual_line(line: str) -> str:
    """One line (no newline) in drawing order."""
    clusters = _clusters(line)
    kinds = [unicodedata.bidirectional(c[0]) for c in clusters]
    if not any(k in _RTL for k in kinds):
        return line
    out: list[str] = []
    i = 0
    n = len(clusters)
    while i < n:
        if kinds[i] not in _RTL:
            out.append(clusters[i])
            i += 1
            continue
        # The run: up to the last right-to-left letter or number before the next
        # left-to-right letter, and the closing brackets of the brackets it opened.
        j = i
        last = i
        while j < n and kinds[j] != "L":
            if kinds[j] in _RTL or kinds[j] in _NUMBER:
                last = j
            j += 1
        last = _close_brackets(clusters, i, last, j)
        out += _reverse_run(clusters[i : last + 1])
        i = last + 1
    return "".join(out)


# Every right-to-left (R or AL) character lies in these ranges: a quick test first.
_MAYBE_RTL = re.compile(
    "[\u0590-\u08ff\u200f\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


def visual(text: str, drawable: Callable[[str], bool]) -> str:
    """Text in the order and forms ReportLab must draw it, line by line."""
    if text.isascii() or not _MAYBE_RTL.search(text):
        return text
    return "\n".join(visual_line(shape_arabic(line, drawable)) for line in text.split("\n"))
