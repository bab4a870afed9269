import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sources.arxiv import parse_feed, split_authors
from tests.fakes.arxiv import FakeArxiv, entity_expansion_feed, feed_of

DATA = Path(__file__).resolve().parents[1] / "data" / "arxiv"

HEAD = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>cs.CL updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.CL</link>
    <description>cs.CL updates on the arXiv.org e-print archive.</description>
    <pubDate>Thu, 11 Dec 2025 00:00:00 -0500</pubDate>
"""
TAIL = "  </channel>\n</rss>\n"
THREE = ("Ada Lovelace", "Alan Turing", "Grace Hopper")


def feed(*items: str) -> bytes:
    return (HEAD + "".join(items) + TAIL).encode()


def item(
    arxiv_id: str = "2512.00001",
    *,
    kind: str | None = "new",
    title: str = "A Title",
    abstract: str = "An abstract.",
    creator: str | None = "Ada Lovelace, Alan Turing",
    categories: tuple[str, ...] = ("cs.CL",),
    link: bool = True,
    guid: bool = True,
    description: str | None = None,
) -> str:
    parts = [f"<title>{title}</title>"]
    if link:
        parts.append(f"<link>https://arxiv.org/abs/{arxiv_id}</link>")
    if description is None:
        description = f"arXiv:{arxiv_id}v1 Announce Type: {kind} \nAbstract: {abstract}"
    parts.append(f"<description>{description}</description>")
    if guid:
        parts.append(f'<guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v1</guid>')
    parts += [f"<category>{cat}</category>" for cat in categories]
    parts.append("<pubDate>Thu, 11 Dec 2025 00:00:00 -0500</pubDate>")
    if kind is not None:
        parts.append(f"<arxiv:announce_type>{kind}</arxiv:announce_type>")
    if creator is not None:
        parts.append(f"<dc:creator>{creator}</dc:creator>")
    return "<item>" + "".join(parts) + "</item>\n"


def test_real_sample_keeps_new_and_cross_and_counts_replacements() -> None:
    result = parse_feed((DATA / "arxiv_rss_cs_ai.xml").read_bytes())
    assert not result.malformed
    assert result.problem is None
    assert [p.arxiv_id for p in result.papers] == ["2510.26707", "2510.21890"]
    assert result.replaced == 3  # one replace, two replace-cross
    assert result.skipped == 0
    drifts, diffusion = result.papers
    assert drifts.title == "Value Drifts: Tracing Value Alignment During LLM Post-Training"
    assert drifts.authors == (
        "Mehar Bhatia", "Shravan Nayak", "Gaurav Kamath", "Marius Mosbach",
        "Karolina Stańczak", "Vered Shwartz", "Siva Reddy",
    )  # fmt: skip
    assert drifts.abstract.startswith("As LLMs occupy an increasingly important role")
    assert drifts.abstract.endswith("to improve model alignment to human values.")
    assert "Announce Type" not in drifts.abstract
    assert drifts.categories == ("cs.AI", "cs.CL")
    assert drifts.published_at == datetime(2025, 10, 31, 4, 0, tzinfo=UTC)
    assert drifts.feed_day is None
    assert diffusion.categories == ("cs.LG", "cs.AI", "cs.CV", "stat.ML")
    assert result.announce_type("2510.26707") == "new"
    assert result.announce_type("2510.21890") == "cross"
    assert result.announce_type("2504.15275") is None  # a replacement, not kept
    assert result.cross == frozenset({"2510.21890"})


def test_text_and_bytes_parse_alike() -> None:
    body = (DATA / "arxiv_rss_cs_ai.xml").read_text(encoding="utf-8")
    assert parse_feed(body) == parse_feed(body.encode())


def test_zero_items_is_an_empty_feed_not_a_malformed_one() -> None:
    result = parse_feed(feed())
    assert result.papers == ()
    assert (result.malformed, result.skipped, result.replaced, result.error) == (False, 0, 0, None)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b'{"papers": []}',
        b"<html><body><h1>503 Service Unavailable</h1></body></html>",
        b"<?xml version='1.0'?><rss version=\"2.0\"><channel><title>x</title><item><title>b",
        b"/etc/passwd",  # bytes that look like a path are data, never a file to open
    ],
)
def test_bodies_that_are_not_feeds_are_malformed(body: bytes) -> None:
    result = parse_feed(body)
    assert result.malformed
    assert result.papers == ()
    assert result.problem


def test_broken_xml_that_still_yields_entries_is_kept_with_the_problem_noted() -> None:
    # A bare '&' makes the document not well-formed; feedparser's lenient parser recovers.
    result = parse_feed(feed(item("2512.00001", title="Q & A")))
    assert not result.malformed
    assert result.problem is not None
    assert [(p.arxiv_id, p.title) for p in result.papers] == [("2512.00001", "Q & A")]


def test_replace_items_are_counted_not_kept() -> None:
    result = parse_feed(
        feed(
            item("2512.00001", kind="new"),
            item("2512.00002", kind="cross"),
            item("2511.00003", kind="replace"),
            item("2510.00004", kind="replace-cross"),
        )
    )
    assert [p.arxiv_id for p in result.papers] == ["2512.00001", "2512.00002"]
    assert (result.replaced, result.skipped) == (2, 0)
    assert result.cross == frozenset({"2512.00002"})


def test_announce_type_falls_back_to_the_description_then_to_new() -> None:
    result = parse_feed(
        feed(
            item("2512.00001", kind="replace").replace(
                "<arxiv:announce_type>replace</arxiv:announce_type>", ""
            ),
            item("2512.00002", kind=None, description="Plain abstract without a prefix."),
        )
    )
    assert result.replaced == 1
    assert [(p.arxiv_id, p.abstract) for p in result.papers] == [
        ("2512.00002", "Plain abstract without a prefix.")
    ]


def test_items_without_id_or_title_or_with_unknown_type_are_skipped() -> None:
    result = parse_feed(
        feed(
            item("2512.00001", link=False, guid=False, description="no prefix here"),
            item("2512.00002", title="   "),
            item("2512.00003", kind="withdrawn"),
            item("2512.00004"),
        )
    )
    assert [p.arxiv_id for p in result.papers] == ["2512.00004"]
    assert result.skipped == 3


def test_id_comes_from_guid_link_or_description_prefix() -> None:
    result = parse_feed(
        feed(
            item("2512.00001", link=False),
            item("2512.00002", guid=False),
            item("2512.00003", link=False, guid=False),
            item("hep-th/9901001", kind="new"),
        )
    )
    ids = [p.arxiv_id for p in result.papers]
    assert ids == ["2512.00001", "2512.00002", "2512.00003", "hep-th/9901001"]


def test_a_paper_listed_twice_is_kept_once() -> None:
    result = parse_feed(feed(item("2512.00001", title="First"), item("2512.00001", title="Again")))
    assert [(p.arxiv_id, p.title) for p in result.papers] == [("2512.00001", "First")]


def test_item_without_creator_or_abstract_still_becomes_a_paper() -> None:
    result = parse_feed(
        feed(
            item("2512.00001", creator=None),
            item("2512.00002", abstract=""),
            item("2512.00003", description=""),
        )
    )
    first, second, third = result.papers
    assert first.authors == ()
    assert first.abstract == "An abstract."
    assert (second.abstract, third.abstract) == ("", "")
    assert second.authors == ("Ada Lovelace", "Alan Turing")


def test_entities_and_tags_are_cleaned_and_tex_is_kept() -> None:
    # As on the wire: XML-escaped text that itself holds HTML (entities, <i>) and raw TeX.
    abstract = (
        "Risk $\\epsilon \\in (0, 1)$ under &lt;i&gt;conformal risk control&lt;/i&gt;,\n"
        "  for any summarizer &amp;amp; any loss; when $a&lt;b$ and $c&gt;d$, and\n"
        "with $n &amp;lt; 500$ documents spans fall by 38&amp;#37;, "
        "&lt;p&gt;see &amp;quot;abstaining&amp;quot;&lt;/p&gt;"
        "&lt;script&gt;alert(1)&lt;/script&gt; caf&amp;eacute;"
    )
    title = "Bounding $\\epsilon$-Hallucination in Q&amp;amp;A with &lt;b&gt;Safe&lt;/b&gt; Risk"
    (paper,) = parse_feed(feed(item("2512.08871", title=title, abstract=abstract))).papers
    assert paper.title == "Bounding $\\epsilon$-Hallucination in Q&A with Safe Risk"
    assert paper.abstract == (
        "Risk $\\epsilon \\in (0, 1)$ under conformal risk control, for any summarizer & any "
        "loss; when $a<b$ and $c>d$, and with $n < 500$ documents spans fall by 38%, "
        'see "abstaining" café'
    )


def test_categories_keep_feed_order_in_canonical_case_without_duplicates() -> None:
    cats = ("cs.cl", "cs.CL", "stat.ML", "cs.AI", "physics.flu-dyn", "madeup.XX")
    (paper,) = parse_feed(feed(item(categories=cats))).papers
    assert paper.categories == ("cs.CL", "stat.ML", "cs.AI", "physics.flu-dyn", "madeup.XX")


def test_arxiv_error_feed_reports_the_message() -> None:
    body = (
        feed()
        .replace(
            b"<title>cs.CL updates on arXiv.org</title>",
            b"<title>Feed error for query: https://rss.arxiv.org/rss/cs.XX</title>",
        )
        .replace(
            b"<description>cs.CL updates on the arXiv.org e-print archive.</description>",
            b"<description>Bad subject class 'XX'. Valid subject classes ...</description>",
        )
    )
    result = parse_feed(body)
    assert not result.malformed
    assert result.error == "Bad subject class 'XX'. Valid subject classes ..."
    assert result.papers == ()


@pytest.mark.parametrize(
    ("creator", "expected"),
    [
        ("Ada Lovelace", ("Ada Lovelace",)),
        ("  Ada   Lovelace  ", ("Ada Lovelace",)),
        ("Ada Lovelace and Alan Turing", ("Ada Lovelace", "Alan Turing")),
        ("Ada Lovelace, Alan Turing, and Grace Hopper", THREE),
        ("Ada Lovelace, Alan Turing and Grace Hopper", THREE),
        ("Ada Lovelace ,Alan Turing,, Grace Hopper", THREE),
        ("Ada Lovelace; Alan Turing; Grace Hopper", THREE),
        ("Martin Luther King, Jr., Anand Raman", ("Martin Luther King Jr.", "Anand Raman")),
        ("Li Wei (MIT, USA), Sara Ng (Univ. of A and B)", ("Li Wei", "Sara Ng")),
        ("Fernando Andrade, Sandra Anders", ("Fernando Andrade", "Sandra Anders")),
        ("Karolina Sta&#324;czak", ("Karolina Stańczak",)),
        ("", ()),
    ],
)
def test_authors_are_split_from_one_creator_string(creator: str, expected: tuple[str, ...]) -> None:
    assert split_authors(creator) == expected


def test_fake_arxiv_documents_parse_with_every_special_fixture_item() -> None:
    body = FakeArxiv().feed_body("cs.CL+stat.ML")
    result = parse_feed(body)
    papers = {p.arxiv_id: p for p in result.papers}
    tex = papers["2512.08871"]
    assert tex.title == (
        "Bounding $\\epsilon$-Hallucination in Summarization with Conformal Risk Control"
    )
    assert "<i>" not in tex.abstract
    assert "Building on conformal risk control, we calibrate" in tex.abstract
    assert "for any summarizer & any loss bounded in $[0, 1]$" in tex.abstract
    assert "Even when $a<b$ and $c>d$ hold only approximately" in tex.abstract
    assert "fall by 38% with as few as $n < 500$ calibration documents" in tex.abstract
    assert '"abstaining"' in tex.abstract
    assert papers["2512.08880"].authors == ()
    assert papers["2512.08889"].authors == ("Priya Raman", "Tomás Ortega", "Lina Haddad")
    assert papers["2512.08962"].authors == ("Hannah Becker", "Omar Farouk")
    assert papers["2512.08852"].authors == ("Gabriela Quispe",)
    assert papers["2512.08811"].published_at == datetime(2025, 12, 11, 5, tzinfo=UTC)
    assert "2410.05258" not in papers  # a replacement of a Hugging Face corpus paper


def test_an_entity_expansion_document_is_refused_unparsed_in_no_time() -> None:
    started = time.perf_counter()
    result = parse_feed(entity_expansion_feed(levels=9))  # 10**9 "lol"s if it were expanded
    assert time.perf_counter() - started < 1.0
    assert result.malformed
    assert result.papers == ()
    assert result.problem == "refused a document type declaration (DTD, entities)"


@pytest.mark.parametrize(
    "prolog",
    [
        b'<!DOCTYPE rss [<!ENTITY big "' + b"x" * 100_000 + b'">]>',  # quadratic blow-up
        b'<!doctype rss SYSTEM "file:///etc/passwd">',  # an external entity
        b'<!DOCTYPE rss [\n<!ENTITY a "&#38;#38;">\n]>',
    ],
)
def test_any_document_type_declaration_is_refused(prolog: bytes) -> None:
    body = feed(item("2512.00001", title="&big;" * 100)).replace(b"<rss", prolog + b"\n<rss", 1)
    result = parse_feed(body)
    assert result.malformed
    assert result.papers == ()


def test_a_feed_over_the_item_cap_is_refused_and_one_at_the_cap_is_read() -> None:
    assert parse_feed(feed_of(5001)).problem == "5001 items, over 5000"
    assert parse_feed(feed_of(5001)).malformed
    assert len(parse_feed(feed_of(5000)).papers) == 5000
