"""Subscription answers -> Slack text and blocks (pure)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.models import ChannelDigest, Ranked
from bot.slack.blocks import Block, cut, escape, paper_blocks, section
from bot.subscriptions import MAX_TOPICS, Changed

NOT_SUBSCRIBED = (
    "This channel has no paper digest yet. Start one with `/papers subscribe value alignment` "
    "(or `/papers subscribe` for all trending papers)."
)
CANNOT_POST = (
    "I can't post in this conversation, so I can't send it a digest. Invite me with "
    "`/invite @papers-bot` (in a channel) and subscribe again. Digests go to channels I'm a "
    "member of, or to your DM with me."
)


def topic_label(topic: str) -> str:
    return f"*{escape(cut(topic, 120))}*" if topic else "*all trending papers*"


def next_post_text(channel: ChannelDigest) -> str:
    """'Mon 30 Nov at 09:00 (Europe/Berlin)' in the channel's zone."""
    local = channel.next_due_at.astimezone(ZoneInfo(channel.schedule.zone))
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M} ({channel.schedule.zone})"


def subscribed(user_id: str, result: Changed) -> str:
    """The in-channel confirmation of a new subscription."""
    assert result.channel is not None
    channel = result.channel
    return (
        f"<@{user_id}> subscribed this channel to {topic_label(result.detail)}. "
        f"Digest: {channel.schedule.days} at {channel.schedule.hour:02d}:"
        f"{channel.schedule.minute:02d} ({channel.schedule.zone}), up to {channel.size} papers; "
        f"next on {next_post_text(channel)}. `/papers list` shows the settings."
    )


def subscribe_problem(result: Changed) -> str:
    if result.problem == "exists":
        return f"This channel already follows {topic_label(result.detail)}."
    if result.problem == "full":
        return (f"This channel follows {MAX_TOPICS} topics already, the most it can. "
                "Remove one with `/papers unsubscribe <topic>` first.")  # fmt: skip
    if result.problem == "bad_filter":
        return f"{escape(cut(result.detail, 200))}. Nothing was changed."
    if result.problem == "no_words":
        return (f"`{escape(cut(result.detail, 80))}` has no words to match papers on. "
                "Try a few specific words, like `/papers subscribe value alignment`.")  # fmt: skip
    return NOT_SUBSCRIBED


def unsubscribed(user_id: str, result: Changed, topic: str | None) -> str:
    if topic is None:
        return f"<@{user_id}> unsubscribed this channel from all topics. No more digests here."
    rest = ""
    if result.channel is None:
        rest = " That was its last topic, so no more digests here."
    return f"<@{user_id}> unsubscribed this channel from {topic_label(topic)}.{rest}"


def unsubscribe_problem(result: Changed, topic: str | None) -> str:
    if topic is None or result.channel is None:
        return NOT_SUBSCRIBED
    follows = ", ".join(topic_label(t) for t in result.channel.topics)
    return f"This channel does not follow {topic_label(topic)}. It follows: {follows}."


def channel_status(channel: ChannelDigest | None) -> tuple[str, list[Block]]:
    """`/papers list`: topics, schedule, next post in the channel's zone, state."""
    if channel is None:
        return NOT_SUBSCRIBED, [section(NOT_SUBSCRIBED)]
    topics = "\n".join(f"• {topic_label(t)}" for t in channel.topics) or "• (none)"
    sched = channel.schedule
    lines = [
        f"*This channel's paper digest*\n{topics}",
        f"*When:* {sched.days} at {sched.hour:02d}:{sched.minute:02d} ({sched.zone}) · "
        f"*Size:* up to {channel.size} papers · "
        f"*Quiet days:* {'a one-line note' if channel.note_when_empty else 'nothing posted'}",
    ]
    if channel.status == "active":
        lines.append(f"*Next digest:* {next_post_text(channel)}")
    else:
        lines.append(f"*Paused* (Slack said `{escape(channel.status_reason or channel.status)}`). "
                     "Invite me with `/invite @papers-bot`, then `/papers resume`.")  # fmt: skip
    lines.append(
        "Change it: `/papers subscribe <topic>`, `/papers unsubscribe <topic>|all`, "
        "`/papers schedule 09:30 Europe/Berlin weekdays|daily`, `/papers size 5`, "
        "`/papers note on|off`, `/papers preview`."
    )
    text = "\n".join(lines)
    return text, [section(cut(text, 3000))]


def schedule_changed(user_id: str, channel: ChannelDigest) -> str:
    sched = channel.schedule
    return (f"<@{user_id}> set this channel's paper digest to {sched.days} at "
            f"{sched.hour:02d}:{sched.minute:02d} ({sched.zone}). "
            f"Next: {next_post_text(channel)}.")  # fmt: skip


def preview_message(papers: list[Ranked] | None, now: datetime) -> tuple[str, list[Block]]:
    """`/papers preview`: the next digest, only for the person who asked."""
    if papers is None:
        return NOT_SUBSCRIBED, [section(NOT_SUBSCRIBED)]
    if not papers:
        text = ("Nothing new for this channel's topics right now: the next digest would be "
                "skipped (no empty posts).")  # fmt: skip
        return text, [section(text)]
    head = f"*Preview:* the next digest would post these {len(papers)} papers (only you see this)."
    blocks: list[Block] = [section(head)]
    for item in papers:
        blocks += paper_blocks(item, share_button=False)[:2]
    return f"Preview of the next digest: {len(papers)} papers", blocks[:50]
