"""arXiv end to end: `/papers cat:...` through the real app, the arXiv fake and the store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.bootstrap import build_runtime
from tests.e2e.conftest import BotServer, running, settings_for
from tests.e2e.test_papers_command import paper_ids, text_of
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.hf import FakeHuggingFace
from tests.fakes.slack import FakeSlack


@pytest.fixture
def bot(
    slack: FakeSlack, hf: FakeHuggingFace, arxiv: FakeArxiv, sqlite_url: str
) -> Iterator[BotServer]:
    runtime = build_runtime(settings_for(slack, hf, sqlite_url, arxiv_base_url=arxiv.url))
    with running(runtime) as (url, http):
        yield BotServer(url, runtime, slack, hf, http)


def ask(bot: BotServer, text: str, response: str) -> dict[str, Any]:
    assert bot.command(text, response=response).status_code == 200
    return bot.answer(response)


def test_a_category_and_a_topic_come_from_arxiv_and_later_from_the_store(
    bot: BotServer, arxiv: FakeArxiv
) -> None:
    answer = ask(bot, "cat:cs.LG diffusion", "a1")
    assert paper_ids(answer) == ["2512.08962"]  # Diffusion Models for Tabular Data Imputation
    assert "arXiv cs.LG" in text_of(answer)
    assert arxiv.requests == 1
    again = ask(bot, "cat:cs.lg reinforcement learning", "a2")
    assert "2512.08911" in paper_ids(again)
    assert arxiv.requests == 1  # the same announcement, answered from the store


def test_an_unknown_category_gets_a_clear_message_and_no_request(
    bot: BotServer, arxiv: FakeArxiv
) -> None:
    answer = ask(bot, "cat:cs.XX diffusion", "a3")
    text = text_of(answer)
    assert "is not an arXiv category" in text
    assert "cs.AI" in text  # a suggestion
    assert "arxiv.org/category_taxonomy" in text
    assert paper_ids(answer) == []
    assert arxiv.requests == 0


def test_arxiv_down_with_nothing_stored_says_so(bot: BotServer, arxiv: FakeArxiv) -> None:
    arxiv.fail(503, times=100)
    answer = ask(bot, "cat:stat.ML", "a4")
    assert "arXiv is not answering" in text_of(answer)
    assert "Traceback" not in text_of(answer)


def test_subscribing_to_an_unknown_category_changes_nothing(bot: BotServer) -> None:
    answer = ask(bot, "subscribe cat:cs.XX", "a5")
    assert "is not an arXiv category" in text_of(answer)
    assert bot.runtime.store.channel("T0001", "C0001") is None
