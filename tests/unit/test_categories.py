from collections import Counter

import pytest

from bot.core.categories import (
    ALIASES,
    ARCHIVES,
    CATEGORIES,
    archive_of,
    categories_in,
    category_name,
    normalize_category,
    suggest,
)

# fmt: off
CS = [
    "AI", "AR", "CC", "CE", "CG", "CL", "CR", "CV", "CY", "DB", "DC", "DL", "DM", "DS", "ET", "FL",
    "GL", "GR", "GT", "HC", "IR", "IT", "LG", "LO", "MA", "MM", "MS", "NA", "NE", "NI", "OH", "OS",
    "PF", "PL", "RO", "SC", "SD", "SE", "SI", "SY",
]
PHYSICS = [
    "acc-ph", "ao-ph", "app-ph", "atm-clus", "atom-ph", "bio-ph", "chem-ph", "class-ph", "comp-ph",
    "data-an", "ed-ph", "flu-dyn", "gen-ph", "geo-ph", "hist-ph", "ins-det", "med-ph", "optics",
    "plasm-ph", "pop-ph", "soc-ph", "space-ph",
]
# fmt: on


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("cs.CL", "cs.CL"),
        ("cs.cl", "cs.CL"),
        ("CS.CL", "cs.CL"),
        ("  cs.LG ", "cs.LG"),
        ("stat.ml", "stat.ML"),
        ("physics.flu-dyn", "physics.flu-dyn"),
        ("PHYSICS.FLU-DYN", "physics.flu-dyn"),
        ("astro-ph.co", "astro-ph.CO"),
        ("cond-mat.STR-EL", "cond-mat.str-el"),
        ("q-bio.nc", "q-bio.NC"),
        ("q-fin.st", "q-fin.ST"),
        ("econ.em", "econ.EM"),
        ("eess.iv", "eess.IV"),
        ("nlin.cd", "nlin.CD"),
        ("math.ag", "math.AG"),
        ("cs", "cs"),
        ("STAT", "stat"),
        ("Math", "math"),
        ("hep-th", "hep-th"),
        ("GR-QC", "gr-qc"),
        ("quant-ph", "quant-ph"),
        ("math-ph", "math-ph"),
        ("nucl-ex", "nucl-ex"),
    ],
)
def test_categories_normalise_to_arxivs_spelling(raw: str, canonical: str) -> None:
    assert normalize_category(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    ["cs.XX", "xx", "", "  ", "cs.", ".CL", "cs.CL.x", "cs CL", "cs.CL+cs.LG", "chao-dyn", "cs.ml"],
)
def test_unknown_categories_are_none(raw: str) -> None:
    assert normalize_category(raw) is None


@pytest.mark.parametrize(
    ("cat", "name"),
    [
        ("cs.CL", "Computation and Language"),
        ("cs.cl", "Computation and Language"),
        ("cs.LG", "Machine Learning"),
        ("stat.ML", "Machine Learning"),
        ("cs.CV", "Computer Vision and Pattern Recognition"),
        ("cs.AI", "Artificial Intelligence"),
        ("math.ST", "Statistics Theory"),
        ("physics.flu-dyn", "Fluid Dynamics"),
        ("astro-ph.HE", "High Energy Astrophysical Phenomena"),
        ("cond-mat.mes-hall", "Mesoscale and Nanoscale Physics"),
        ("q-fin.TR", "Trading and Market Microstructure"),
        ("eess.AS", "Audio and Speech Processing"),
        ("econ.TH", "Theoretical Economics"),
        ("hep-ph", "High Energy Physics - Phenomenology"),
        ("quant-ph", "Quantum Physics"),
        ("cs", "Computer Science"),
        ("eess", "Electrical Engineering and Systems Science"),
        ("q-bio", "Quantitative Biology"),
    ],
)
def test_category_names(cat: str, name: str) -> None:
    assert category_name(cat) == name


def test_unknown_category_name_is_the_id_itself() -> None:
    assert category_name("cs.XX") == "cs.XX"


def test_taxonomy_is_complete() -> None:
    per_archive = Counter(archive_of(cat) for cat in CATEGORIES)
    assert {c for c in CATEGORIES if c.startswith("cs.")} == {f"cs.{c}" for c in CS}
    assert {c for c in CATEGORIES if c.startswith("physics.")} == {f"physics.{c}" for c in PHYSICS}
    assert categories_in("stat") == [
        "stat.AP",
        "stat.CO",
        "stat.ME",
        "stat.ML",
        "stat.OT",
        "stat.TH",
    ]
    assert categories_in("econ") == ["econ.EM", "econ.GN", "econ.TH"]
    assert categories_in("eess") == ["eess.AS", "eess.IV", "eess.SP", "eess.SY"]
    expected = {
        "cs": 40, "math": 32, "physics": 22, "q-bio": 10, "q-fin": 9, "cond-mat": 9,
        "astro-ph": 6, "stat": 6, "nlin": 5, "eess": 4, "econ": 3,
        "gr-qc": 1, "hep-ex": 1, "hep-lat": 1, "hep-ph": 1, "hep-th": 1, "math-ph": 1,
        "nucl-ex": 1, "nucl-th": 1, "quant-ph": 1,
    }  # fmt: skip
    assert dict(per_archive) == expected
    assert set(per_archive) == set(ARCHIVES)
    assert len(CATEGORIES) == 155


def test_every_id_is_canonical_and_named() -> None:
    for cat, name in {**ARCHIVES, **CATEGORIES}.items():
        assert normalize_category(cat) == cat
        assert normalize_category(cat.upper()) == cat
        assert name and name == name.strip()
        assert category_name(cat) == name


def test_aliases_join_real_categories_of_two_archives() -> None:
    assert ALIASES["cs.NA"] == "math.NA"
    assert ALIASES["q-fin.EC"] == "econ.GN"  # 'Economics' = 'General Economics'
    for alias, canonical in ALIASES.items():
        assert alias in CATEGORIES
        assert canonical in CATEGORIES
        assert archive_of(alias) != archive_of(canonical)


def test_categories_of_an_archive() -> None:
    assert categories_in("hep-th") == ["hep-th"]
    assert categories_in("CS")[:3] == ["cs.AI", "cs.AR", "cs.CC"]
    assert categories_in("cs.CL") == []
    assert categories_in("nope") == []


@pytest.mark.parametrize(
    ("typo", "first"),
    [
        ("cs.LGG", "cs.LG"),
        ("cs.CLL", "cs.CL"),
        ("cs.C", "cs.CC"),
        ("mathh.AG", "math.AG"),
        ("physics.fludyn", "physics.flu-dyn"),
        ("cond-mat.softt", "cond-mat.soft"),
        ("qbio.NC", "q-bio.NC"),
        ("computer vision", "cs.CV"),
        ("Machine Learning", "cs.LG"),
        ("quant", "quant-ph"),
        ("hep", "hep-ex"),
    ],
)
def test_suggestions_rank_the_closest_first(typo: str, first: str) -> None:
    got = suggest(typo)
    assert 1 <= len(got) <= 3
    assert got[0] == first
    assert all(normalize_category(cat) == cat for cat in got)


def test_a_typo_in_the_subject_class_suggests_that_archive_only() -> None:
    got = suggest("cs.XX")
    assert len(got) == 3
    assert all(cat.startswith("cs.") for cat in got)
    assert suggest("stat.MLL")[0] == "stat.ML"
    assert all(cat.startswith("stat.") for cat in suggest("stat.MLL"))


def test_machine_learning_suggests_both_homes() -> None:
    assert suggest("machine learning")[:2] == ["cs.LG", "stat.ML"]


def test_suggest_edges() -> None:
    assert suggest("cs.cl") == ["cs.CL"]  # a valid id suggests itself
    assert suggest("zzzzqqqq") == []
    assert suggest("") == []
    assert suggest("cs.LGG", limit=1) == ["cs.LG"]
    assert suggest("cs.LGG", limit=0) == []
