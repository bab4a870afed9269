"""Reading list answers -> Slack text and blocks (pure)."""

from __future__ import annotations

from bot.core.models import ChannelDigest, Paper
from bot.reading_list import PAGE, SaveOutcome
from bot.slack.blocks import Block, authors_line, button, context, cut, escape, section
from bot.storage.saves import Saved

EMPTY = (
    "Your reading list is empty. React with :bookmark: to a paper the bot posted, or press "
    "*Save* on a `/papers` answer."
)


def saved_confirmation(outcome: SaveOutcome) -> tuple[str, list[Block]]:
    """The private note after a save, with an Undo button."""
    paper = outcome.paper
    if outcome.what == "gone" or paper is None:
        text = "That paper is not available any more, so it could not be saved."
        return text, [section(text)]
    title = escape(cut(paper.title, 200))
    if outcome.what == "already":
        text = f"*{title}* is already in your reading list."
    else:
        text = f"Saved *{title}* to your reading list. `/papers saved` shows it."
    undo = button("Undo", "undo_save", paper.arxiv_id)
    return text, [section(text), {"type": "actions", "elements": [undo]}]


def removed_note(outcome: SaveOutcome) -> str:
    if outcome.what == "removed":
        return "Removed from your reading list."
    return "That paper was not in your reading list."


def reading_list(items: list[Saved], total: int, page: int, text: str) -> tuple[str, list[Block]]:
    """`/papers saved [filter]`: one page, each paper with Remove and Mark read."""
    if not items:
        message = (
            f"Nothing in your reading list matches `{escape(cut(text, 60))}`." if text else EMPTY
        )
        return message, [section(message)]
    first = page * PAGE + 1
    head = f"*Your reading list* · {first}–{first + len(items) - 1} of {total}"
    if text:
        head += f" matching `{escape(cut(text, 60))}`"
    blocks: list[Block] = [section(head)]
    for item in items:
        blocks += _saved_paper(item)
    if first + len(items) - 1 < total:
        blocks.append({"type": "actions", "elements": [
            button("Next page", "saved_page", f"{page + 1}|{text[:100]}")
        ]})  # fmt: skip
    return f"Your reading list: {total} papers", blocks[:50]


def _saved_paper(item: Saved) -> list[Block]:
    paper: Paper = item.paper
    status = "✓ read" if item.read_at else "unread"
    authors = escape(authors_line(paper.authors))
    line = (f"*<{paper.hf_url}|{escape(cut(paper.title, 200))}>*\n"
            f"{authors} · saved {item.saved_at:%d %b %Y} · {status}")  # fmt: skip
    buttons = [button("Remove", "remove_saved", paper.arxiv_id)]
    if not item.read_at:
        buttons.insert(0, button("Mark read", "mark_read", paper.arxiv_id))
    return [section(line), {"type": "actions", "elements": buttons}]


def home_view(items: list[Saved], total: int, channels: list[ChannelDigest]) -> dict[str, object]:
    """The App Home tab: the reading list (unread first), export, and the person's channels."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your reading list"}},
    ]
    if items:
        shown = f"{len(items)} of {total}" if total > len(items) else f"{total}"
        blocks.append(context(f"{shown} papers, unread first · `/papers saved` to search"))
        for item in items:
            blocks += _saved_paper(item)
        blocks.append({"type": "actions", "elements": [
            button(f"Export {label}", "export_list", fmt)
            for fmt, label in (("bibtex", "BibTeX"), ("ris", "RIS"), ("csv", "CSV"),
                               ("markdown", "Markdown"))
        ]})  # fmt: skip
    else:
        blocks.append(section(EMPTY))
    blocks.append({"type": "divider"})
    blocks.append({"type": "header", "text": {"type": "plain_text",
                                               "text": "Channel digests you set up"}})  # fmt: skip
    if not channels:
        blocks.append(section("None yet. In a channel: `/papers subscribe value alignment`."))
    for channel in channels[:20]:
        topics = ", ".join(t or "all trending papers" for t in channel.topics)
        sched = channel.schedule
        state = "" if channel.status == "active" else f" · *{channel.status}*"
        blocks.append(section(
            f"<#{channel.channel_id}> · {escape(cut(topics, 300))}\\n"
            f"{sched.days} at {sched.hour:02d}:{sched.minute:02d} ({sched.zone}), "
            f"up to {channel.size} papers{state}"
        ))  # fmt: skip
    return {"type": "home", "blocks": blocks[:100]}
