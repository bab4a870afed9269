"""Citation output, parsed back by real parsers."""

import csv
import io
from datetime import UTC, datetime

import bibtexparser
import rispy

from bot.core.cite import bibtex_keys, to_bibtex, to_csv, to_markdown, to_ris, year_of
from bot.core.models import Paper

PAPERS = [
    Paper(arxiv_id="2305.18290", title="Direct Preference Optimization: Your Language Model is "
          "Secretly a Reward Model", authors=("Rafael Rafailov", "Archit Sharma", "Eric Mitchell"),
          published_at=datetime(2023, 5, 29, tzinfo=UTC), categories=("cs.LG",)),
    Paper(arxiv_id="2404.10636", title="What are human values & how do we align AI {to} them? 50%$",
          authors=("Oliver Klingefjord", "Ryan Lowe", "Joe Edelman")),
    Paper(arxiv_id="2401.00001", title="Ünïcode_títle #1 ~ ^ \\ test", authors=("José Núñez",)),
    Paper(arxiv_id="2401.00002", title="Ünïcode title two", authors=("José Núñez",)),
]  # fmt: skip


def test_bibtex_parses_back_with_every_field() -> None:
    library = bibtexparser.parse_string(to_bibtex(PAPERS))
    assert not library.failed_blocks
    entries = {e.key: e for e in library.entries}
    assert len(entries) == 4
    dpo = entries["rafailov2023direct"]
    assert dpo.entry_type == "misc"
    assert dpo.fields_dict["eprint"].value == "2305.18290"
    assert dpo.fields_dict["archivePrefix"].value == "arXiv"
    assert dpo.fields_dict["primaryClass"].value == "cs.LG"
    assert dpo.fields_dict["year"].value == "2023"
    assert dpo.fields_dict["author"].value == "Rafael Rafailov and Archit Sharma and Eric Mitchell"
    assert dpo.fields_dict["url"].value == "https://arxiv.org/abs/2305.18290"
    values = entries["klingefjord2024what"].fields_dict["title"].value
    assert r"\&" in values and r"\{to\}" in values and r"50\%" in values and r"\$" in values


def test_keys_are_unique_ascii_and_stable() -> None:
    keys = bibtex_keys(PAPERS)
    assert len(set(keys.values())) == 4
    assert keys["2401.00001"] == "nunez2024unicodea"
    assert keys["2401.00002"] == "nunez2024unicodeb"
    assert bibtex_keys(list(reversed(PAPERS))) == keys  # order of the list does not matter
    assert all(k.isascii() and k.isalnum() for k in keys.values())


def test_year_from_the_date_else_the_arxiv_id() -> None:
    assert year_of(PAPERS[0]) == "2023"
    assert year_of(PAPERS[1]) == "2024"


def test_ris_parses_back_with_every_field() -> None:
    records = rispy.loads(to_ris(PAPERS))
    assert len(records) == 4
    dpo = records[0]
    assert dpo["type_of_reference"] == "UNPB"
    assert dpo["title"].startswith("Direct Preference Optimization")
    assert dpo["authors"] == ["Rafael Rafailov", "Archit Sharma", "Eric Mitchell"]
    assert dpo["year"] == "2023"
    assert dpo["urls"] == ["https://arxiv.org/abs/2305.18290"]
    assert records[2]["authors"] == ["José Núñez"]


def test_csv_and_markdown() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(PAPERS))))
    assert [r["arxiv_id"] for r in rows] == [p.arxiv_id for p in PAPERS]
    assert rows[0]["authors"] == "Rafael Rafailov; Archit Sharma; Eric Mitchell"
    markdown = to_markdown(PAPERS)
    assert "- [Direct Preference Optimization" in markdown
    assert "arXiv:2404.10636" in markdown


def test_empty_and_large_exports() -> None:
    assert to_bibtex([]) == ""
    many = [Paper(arxiv_id=f"2401.{i:05d}", title="Same title", authors=("A B",))
            for i in range(2000)]  # fmt: skip
    library = bibtexparser.parse_string(to_bibtex(many))
    assert len({e.key for e in library.entries}) == 2000
