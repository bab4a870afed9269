"""Models -> readable terminal text for `papers-bot preview` (pure)."""

from __future__ import annotations

import textwrap

from bot.core.models import Ranked, SearchAnswer
from bot.slack.blocks import authors_line, format_count, format_day, summary_line


def render_answer(answer: SearchAnswer, width: int = 100) -> str:
    """The same ranked answer `/papers` gives, as plain text with links."""
    title = f"Trending papers: {answer.topic}" if answer.topic else "Top trending papers"
    lines = [title, f"(Hugging Face Daily Papers, last {answer.window_days} feed days)", ""]
    lines += [f"! {note}" for note in answer.notes]
    if answer.hint:
        lines.append(answer.hint)
    elif answer.results:
        for number, item in enumerate(answer.results, 1):
            lines += _paper(number, item, width)
    else:
        lines.append(f"Nothing trending on {answer.topic or 'any topic'} right now.")
        if answer.older:
            lines += ["", "Older matches from Hugging Face paper search (not trending):", ""]
            for number, item in enumerate(answer.older, 1):
                lines += _paper(number, item, width)
    return "\n".join(lines).rstrip() + "\n"


def _paper(number: int, item: Ranked, width: int) -> list[str]:
    paper = item.paper
    indent = "    "
    meta = [authors_line(paper.authors), f"▲ {paper.upvotes} upvotes"]
    if paper.feed_day:
        meta.append(format_day(paper.feed_day))
    if item.match:
        meta.append(item.match.reason)
    links = [paper.hf_url, f"arXiv {paper.arxiv_url}", f"PDF {paper.pdf_url}"]
    if paper.github_repo:
        stars = f" ★ {format_count(paper.github_stars)}" if paper.github_stars else ""
        links.append(f"Code {paper.github_repo}{stars}")
    wrap = textwrap.TextWrapper(width=width, initial_indent=indent, subsequent_indent=indent)
    return [
        f"{number:>2}. {paper.title}",
        *wrap.wrap(" · ".join(meta)),
        *wrap.wrap(summary_line(paper)),
        *(indent + link for link in links),
        "",
    ]
