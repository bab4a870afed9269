"""Models -> Block Kit (pure). Every upstream string is escaped; every Slack limit holds."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.core.models import Paper, Ranked, SearchAnswer

Block = dict[str, Any]

SECTION_MAX = 3000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
SUMMARY_MAX = 300
TITLE_MAX = 250
FALLBACK_MAX = 3000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")
_PARTIAL_ENTITY = re.compile(r"&#?[a-z0-9]{0,5}$")
_SAFE_URL = re.compile(r"^https?://[^\s<>|\"]+$")

HELP_TEXT = """*`/papers`* finds trending research papers (Hugging Face Daily Papers, ranked by \
upvotes over the last {days} feed days, and arXiv categories with `cat:`) and sends channels a \
daily digest.

*Search* (only you see the answer)
• `/papers value alignment`: trending papers about a topic, best first
• `/papers diffusion models 3` or `--limit 3`: how many (1 to 10, default 5)
• `/papers`: today's top trending papers, any topic

*This channel's daily digest* (any member may change it)
• `/papers subscribe value alignment`: follow a topic (`/papers subscribe`: all papers; \
`/papers subscribe cat:cs.CL`: an arXiv category)
• `/papers unsubscribe value alignment` or `/papers unsubscribe all`
• `/papers list`: topics, schedule and the next digest
• `/papers schedule 09:30 Europe/Berlin weekdays` (or `daily`): when it comes
• `/papers size 5`: papers per digest (1 to 10) · `/papers note on|off`: a line on quiet days
• `/papers preview`: what the next digest would hold · `/papers resume`: restart a paused one

*How topics match*
Titles and keywords count most, then summaries and abstracts, in any word form \
(_align_, _aligned_, _alignment_), and acronyms match their long form (_RAG_). Words side by \
side are one idea and must appear together, so *value alignment* skips value-function papers; \
*attention in transformers* needs both ideas. Each result says why it matched, and a paper \
that is not about the topic is never padded in.
• `"reward hacking"`: this exact phrase
• `diffusion models -video -"protein design"`: leave out papers that mention these
• `speculative decoding OR early exit`: either topic
• `author:lecun` · `cat:cs.CL` (papers listed in that arXiv category)

*Your reading list* (only you see it)
React with :bookmark: to a paper the bot posted, or press *Save*, to keep it. \
`/papers saved [words]` lists them, with *Remove* and *Mark read*. \
`/papers export [bibtex|ris|csv|markdown]` sends you the list as a file. *Share in channel* \
posts a paper for everyone."""


def escape(text: str) -> str:
    """Escape Slack's control characters so upstream text never pings, links or formats."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a word boundary with an ellipsis.

    Never cuts an escaped entity (`&amp;`) in half.
    """
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ", limit // 2)
    if space > 0:
        head = head[:space]
    head = _PARTIAL_ENTITY.sub("", head).rstrip(" ,:.-\n")
    return head + "…"


def safe_url(url: str | None) -> str | None:
    """An upstream URL that is safe inside `<url|label>`, else None."""
    return url if url and len(url) <= 2000 and _SAFE_URL.match(url) else None


def authors_line(authors: tuple[str, ...]) -> str:
    """'A, B, C et al.' for more than three authors."""
    if not authors:
        return "Unknown authors"
    shown = ", ".join(authors[:3])
    return f"{shown} et al." if len(authors) > 3 else shown


def summary_line(paper: Paper) -> str:
    """Hugging Face's one-line AI summary, else the abstract's first sentence."""
    text = paper.ai_summary or _SENTENCE_END.split(paper.abstract.strip(), maxsplit=1)[0]
    return cut(" ".join(text.split()), SUMMARY_MAX)


def format_day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def format_count(n: int) -> str:
    return f"{n / 1000:.1f}k".replace(".0k", "k") if n >= 1000 else str(n)


def paper_blocks(item: Ranked, *, share_button: bool = True) -> list[Block]:
    """Three blocks for one paper: the summary section, its links, and its buttons."""
    paper = item.paper
    title = escape(cut(paper.title, TITLE_MAX))
    meta = [escape(authors_line(paper.authors)), _standing(paper)]
    day = paper.feed_day or (paper.published_at.date() if paper.published_at else None)
    if day:
        meta.append(format_day(day))
    body = f"*<{paper.hf_url}|{title}>*\n{' · '.join(meta)}"
    summary = summary_line(paper)
    if summary:
        body += f"\n{escape(summary)}"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": cut(body, SECTION_MAX)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _links(item)}]},
        {
            "type": "actions",
            "block_id": f"paper:{paper.arxiv_id}",
            "elements": _buttons(paper, share_button),
        },
    ]


def _standing(paper: Paper) -> str:
    """Upvotes on Hugging Face; a paper only on arXiv shows its categories instead."""
    if paper.upvotes or not paper.categories:
        return f"▲ {paper.upvotes} upvotes"
    return "arXiv " + escape(", ".join(paper.categories[:3]))


def _links(item: Ranked) -> str:
    paper = item.paper
    links = [f"<{paper.arxiv_url}|arXiv>", f"<{paper.pdf_url}|PDF>"]
    repo = safe_url(paper.github_repo)
    if repo:
        stars = f" ★ {format_count(paper.github_stars)}" if paper.github_stars else ""
        links.append(f"<{repo}|Code{stars}>")
    page = safe_url(paper.project_page)
    if page and page != repo:
        links.append(f"<{page}|Project page>")
    if item.match is not None:
        links.append(escape(cut(item.match.reason, 200)))
    return " · ".join(links)


def _buttons(paper: Paper, share: bool) -> list[Block]:
    buttons = [button("Save", "save_paper", paper.arxiv_id)]
    if share:
        buttons.append(button("Share in channel", "share_paper", paper.arxiv_id))
    return buttons


def button(label: str, action_id: str, value: str) -> Block:
    text = {"type": "plain_text", "text": label[:BUTTON_TEXT_MAX], "emoji": True}
    return {"type": "button", "action_id": action_id, "text": text, "value": value}


def answer_message(answer: SearchAnswer, note: str | None = None) -> tuple[str, list[Block]]:
    """The ephemeral answer to `/papers [topic]`: (fallback text, blocks)."""
    days = answer.window_days
    topic = escape(cut(answer.topic, 120))
    blocks: list[Block] = []
    if answer.topic:
        blocks.append(header(f"Trending papers: {answer.topic}"))
    else:
        blocks.append(header("Top trending papers"))
    sources = escape(" and ".join(answer.sources))
    source = f"{sources}, last {days} feed days · by upvotes, then relevance"
    lines = [source, *(escape(n) for n in answer.notes)]
    if note:
        lines.append(escape(note))
    blocks.append(context(" · ".join(lines)))
    if answer.hint:
        blocks.append(section(escape(answer.hint)))
    elif answer.results:
        for item in answer.results:
            blocks += paper_blocks(item)
    elif answer.topic:
        blocks.append(section(f"Nothing trending on *{topic}* in the last {days} feed days."))
        if answer.older:
            blocks.append(section("*Older matches from Hugging Face paper search (not trending):*"))
            for item in answer.older:
                blocks += paper_blocks(item)
        else:
            blocks.append(section(_NOTHING_OLDER))
    else:
        blocks.append(section("No trending papers are available right now."))
    return fallback_text(answer), blocks


_NOTHING_OLDER = (
    "No older matches either. Try broader or different words, or `/papers` for everything "
    "trending today."
)


def fallback_text(answer: SearchAnswer) -> str:
    """Plain text for notifications and clients that cannot show blocks."""
    items = answer.results or answer.older
    label = f"on {answer.topic}" if answer.topic else "today"
    if not items:
        return cut(f"Nothing trending {label} right now.", FALLBACK_MAX)
    lines = [f"Trending papers {label}:"]
    lines += [f"{i}. {r.paper.title} ({r.paper.upvotes} upvotes)" for i, r in enumerate(items, 1)]
    return cut(escape("\n".join(lines)), FALLBACK_MAX)


def shared_message(paper: Paper, user_id: str) -> tuple[str, list[Block]]:
    """A paper shared visibly in a channel, as its own message (so a reaction maps to it)."""
    blocks = paper_blocks(Ranked(paper=paper, score=0.0), share_button=False)
    blocks.append(context(f"Shared by <@{user_id}> from `/papers`"))
    return cut(escape(f"{paper.title} {paper.hf_url}"), FALLBACK_MAX), blocks


def help_message(window_days: int) -> tuple[str, list[Block]]:
    text = HELP_TEXT.format(days=window_days)
    return "How to use /papers", [section(text)]


def notice(text: str) -> tuple[str, list[Block]]:
    """A one-line message (already escaped where needed)."""
    return text, [section(text)]


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(text, HEADER_MAX)}}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_MAX)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, SECTION_MAX)}]}


def digest_header(
    title: str,
    count: int,
    channel_topics: tuple[str, ...],
    sources: tuple[str, ...] = ("Hugging Face Daily Papers",),
    notes: tuple[str, ...] = (),
) -> tuple[str, list[Block]]:
    """The message that opens a channel's digest; `notes` say when a source is not answering."""
    follows = ", ".join(escape(cut(t, 60)) for t in channel_topics if t) or "all trending papers"
    plural = "paper" if count == 1 else "papers"
    line = (
        f"{count} new {plural} from {escape(' and '.join(sources))} · this channel follows "
        f"{follows} · react with :bookmark: to save one · `/papers list` for settings"
    )
    blocks = [header(title), context(line)]
    if notes:
        blocks.append(context(escape(" ".join(notes))))
    return title, blocks


def digest_paper(item: Ranked) -> tuple[str, list[Block]]:
    """One paper of a digest, as its own message (so a reaction maps to exactly one paper)."""
    text = cut(escape(f"{item.paper.title} {item.paper.hf_url}"), FALLBACK_MAX)
    return text, paper_blocks(item, share_button=False)


def empty_note(title: str) -> tuple[str, list[Block]]:
    text = f"{title}: nothing new on this channel's topics today."
    return text, [context(escape(text))]
