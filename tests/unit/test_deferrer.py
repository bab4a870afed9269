from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.slack.app import Deferrer


class FakeRespond:
    """Stands in for Bolt's respond: records what the person would see."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, **message: Any) -> None:
        self.messages.append(message)


def boom() -> None:
    raise RuntimeError("bug")


def test_a_failing_answer_is_logged_and_told_to_the_person_without_a_traceback() -> None:
    respond = FakeRespond()
    with ThreadPoolExecutor(1) as pool:
        Deferrer(pool, respond)(boom)  # type: ignore[arg-type]
    assert len(respond.messages) == 1
    text = respond.messages[0]["text"]
    assert "Sorry, something went wrong" in text
    assert "Traceback" not in text
    assert "bug" not in text
