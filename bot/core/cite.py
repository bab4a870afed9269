"""Citations of saved papers: BibTeX, RIS, CSV and Markdown (pure).

BibTeX keys are `lastnameYEARword` (ASCII), stable for a paper whatever else is in the list,
made unique within one export by suffixes a, b, c... given in arXiv id order.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

from bot.core.models import Paper

FORMATS = {"bibtex": "bib", "ris": "ris", "csv": "csv", "markdown": "md"}
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip
_STOP = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "is", "are", "how"}


def year_of(paper: Paper) -> str:
    """The year of the paper's first version (published date, else from its arXiv id)."""
    if paper.published_at:
        return str(paper.published_at.year)
    match = re.match(r"^(\d{2})(\d{2})\.", paper.arxiv_id)
    return f"20{match.group(1)}" if match else ""


def bibtex_keys(papers: Sequence[Paper]) -> dict[str, str]:
    """arXiv id -> a key unique within `papers`."""
    by_base: dict[str, list[str]] = defaultdict(list)
    for paper in papers:
        by_base[_base_key(paper)].append(paper.arxiv_id)
    keys = {}
    for base, ids in by_base.items():
        ordered = sorted(set(ids))
        for n, arxiv_id in enumerate(ordered):
            keys[arxiv_id] = base if len(ordered) == 1 else base + _suffix(n)
    return keys


def to_bibtex(papers: Sequence[Paper]) -> str:
    keys = bibtex_keys(papers)
    entries = []
    for paper in papers:
        fields = [
            ("title", "{" + _bib(paper.title) + "}"),
            ("author", " and ".join(_bib(a) for a in paper.authors) or "Unknown"),
            ("year", year_of(paper)),
            ("eprint", paper.arxiv_id),
            ("archivePrefix", "arXiv"),
            ("primaryClass", paper.categories[0] if paper.categories else ""),
            ("url", paper.arxiv_url),
        ]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
        entries.append(f"@misc{{{keys[paper.arxiv_id]},\n{body}\n}}")
    return "\n\n".join(entries) + ("\n" if entries else "")


def to_ris(papers: Sequence[Paper]) -> str:
    records = []
    for paper in papers:
        lines = ["TY  - UNPB", f"TI  - {_line(paper.title)}"]
        lines += [f"AU  - {_line(a)}" for a in paper.authors]
        lines += [f"PY  - {year_of(paper)}", f"UR  - {paper.arxiv_url}",
                  f"N1  - arXiv:{paper.arxiv_id}", "PB  - arXiv"]  # fmt: skip
        if paper.abstract:
            lines.append(f"AB  - {_line(paper.abstract)}")
        lines.append("ER  - ")
        records.append("\n".join(lines))
    return "\n\n".join(records) + ("\n" if records else "")


def to_csv(papers: Sequence[Paper]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["arxiv_id", "title", "authors", "year", "url", "pdf"])
    for paper in papers:
        writer.writerow([paper.arxiv_id, paper.title, "; ".join(paper.authors), year_of(paper),
                         paper.arxiv_url, paper.pdf_url])  # fmt: skip
    return out.getvalue()


def to_markdown(papers: Sequence[Paper]) -> str:
    lines = ["# Reading list", ""]
    for paper in papers:
        title = paper.title.replace("[", "\\[").replace("]", "\\]")
        authors = ", ".join(paper.authors[:3]) + (" et al." if len(paper.authors) > 3 else "")
        lines.append(f"- [{title}]({paper.arxiv_url}), {authors} ({year_of(paper)}), "
                     f"arXiv:{paper.arxiv_id}")  # fmt: skip
    return "\n".join(lines) + "\n"


RENDERERS = {"bibtex": to_bibtex, "ris": to_ris, "csv": to_csv, "markdown": to_markdown}


def _base_key(paper: Paper) -> str:
    last = paper.authors[0].split()[-1] if paper.authors else "anon"
    words = [w for w in re.findall(r"[A-Za-z0-9]+", _ascii(paper.title).lower()) if w not in _STOP]
    surname = _ascii(last).replace(" ", "").lower() or "anon"
    return surname + year_of(paper) + (words[0] if words else "")


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9 ]", " ", folded)


def _suffix(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _bib(text: str) -> str:
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in " ".join(text.split()))


def _line(text: str) -> str:
    return " ".join(text.split())
