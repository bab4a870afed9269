"""The arXiv category taxonomy as data, and pure lookups: canonical ids, names, typo hints.

Ids and names follow arXiv's own taxonomy (arxiv-base `arxiv/taxonomy/definitions.py`): the
active archives and every active subject class, aliases included (`cs.NA` = `math.NA`,
`cs.SY` = `eess.SY`, `math.IT` = `cs.IT`, `math.MP` = `math-ph`, `math.ST` = `stat.TH`,
`q-fin.EC` = `econ.GN`). Defunct archives (`cmp-lg`, `chao-dyn`, ...) are not accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from difflib import SequenceMatcher
from types import MappingProxyType

# Archives a feed can name on their own ("cs", "math", "astro-ph"). Archives without subject
# classes (gr-qc, hep-*, nucl-*, quant-ph, math-ph) are categories in their own right too.
ARCHIVES: Mapping[str, str] = MappingProxyType({
    "astro-ph": "Astrophysics",
    "cond-mat": "Condensed Matter",
    "cs": "Computer Science",
    "econ": "Economics",
    "eess": "Electrical Engineering and Systems Science",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math": "Mathematics",
    "math-ph": "Mathematical Physics",
    "nlin": "Nonlinear Sciences",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "physics": "Physics",
    "q-bio": "Quantitative Biology",
    "q-fin": "Quantitative Finance",
    "quant-ph": "Quantum Physics",
    "stat": "Statistics",
})  # fmt: skip

# fmt: off
CATEGORIES: Mapping[str, str] = MappingProxyType({
    # astro-ph
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "astro-ph.EP": "Earth and Planetary Astrophysics",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "astro-ph.IM": "Instrumentation and Methods for Astrophysics",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    # cond-mat
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.other": "Other Condensed Matter",
    "cond-mat.quant-gas": "Quantum Gases",
    "cond-mat.soft": "Soft Condensed Matter",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "cond-mat.supr-con": "Superconductivity",
    # cs
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    # econ
    "econ.EM": "Econometrics",
    "econ.GN": "General Economics",
    "econ.TH": "Theoretical Economics",
    # eess
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    # single-category physics archives
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math-ph": "Mathematical Physics",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "quant-ph": "Quantum Physics",
    # math
    "math.AC": "Commutative Algebra",
    "math.AG": "Algebraic Geometry",
    "math.AP": "Analysis of PDEs",
    "math.AT": "Algebraic Topology",
    "math.CA": "Classical Analysis and ODEs",
    "math.CO": "Combinatorics",
    "math.CT": "Category Theory",
    "math.CV": "Complex Variables",
    "math.DG": "Differential Geometry",
    "math.DS": "Dynamical Systems",
    "math.FA": "Functional Analysis",
    "math.GM": "General Mathematics",
    "math.GN": "General Topology",
    "math.GR": "Group Theory",
    "math.GT": "Geometric Topology",
    "math.HO": "History and Overview",
    "math.IT": "Information Theory",
    "math.KT": "K-Theory and Homology",
    "math.LO": "Logic",
    "math.MG": "Metric Geometry",
    "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis",
    "math.NT": "Number Theory",
    "math.OA": "Operator Algebras",
    "math.OC": "Optimization and Control",
    "math.PR": "Probability",
    "math.QA": "Quantum Algebra",
    "math.RA": "Rings and Algebras",
    "math.RT": "Representation Theory",
    "math.SG": "Symplectic Geometry",
    "math.SP": "Spectral Theory",
    "math.ST": "Statistics Theory",
    # nlin
    "nlin.AO": "Adaptation and Self-Organizing Systems",
    "nlin.CD": "Chaotic Dynamics",
    "nlin.CG": "Cellular Automata and Lattice Gases",
    "nlin.PS": "Pattern Formation and Solitons",
    "nlin.SI": "Exactly Solvable and Integrable Systems",
    # physics
    "physics.acc-ph": "Accelerator Physics",
    "physics.ao-ph": "Atmospheric and Oceanic Physics",
    "physics.app-ph": "Applied Physics",
    "physics.atm-clus": "Atomic and Molecular Clusters",
    "physics.atom-ph": "Atomic Physics",
    "physics.bio-ph": "Biological Physics",
    "physics.chem-ph": "Chemical Physics",
    "physics.class-ph": "Classical Physics",
    "physics.comp-ph": "Computational Physics",
    "physics.data-an": "Data Analysis, Statistics and Probability",
    "physics.ed-ph": "Physics Education",
    "physics.flu-dyn": "Fluid Dynamics",
    "physics.gen-ph": "General Physics",
    "physics.geo-ph": "Geophysics",
    "physics.hist-ph": "History and Philosophy of Physics",
    "physics.ins-det": "Instrumentation and Detectors",
    "physics.med-ph": "Medical Physics",
    "physics.optics": "Optics",
    "physics.plasm-ph": "Plasma Physics",
    "physics.pop-ph": "Popular Physics",
    "physics.soc-ph": "Physics and Society",
    "physics.space-ph": "Space Physics",
    # q-bio
    "q-bio.BM": "Biomolecules",
    "q-bio.CB": "Cell Behavior",
    "q-bio.GN": "Genomics",
    "q-bio.MN": "Molecular Networks",
    "q-bio.NC": "Neurons and Cognition",
    "q-bio.OT": "Other Quantitative Biology",
    "q-bio.PE": "Populations and Evolution",
    "q-bio.QM": "Quantitative Methods",
    "q-bio.SC": "Subcellular Processes",
    "q-bio.TO": "Tissues and Organs",
    # q-fin
    "q-fin.CP": "Computational Finance",
    "q-fin.EC": "Economics",
    "q-fin.GN": "General Finance",
    "q-fin.MF": "Mathematical Finance",
    "q-fin.PM": "Portfolio Management",
    "q-fin.PR": "Pricing of Securities",
    "q-fin.RM": "Risk Management",
    "q-fin.ST": "Statistical Finance",
    "q-fin.TR": "Trading and Market Microstructure",
    # stat
    "stat.AP": "Applications",
    "stat.CO": "Computation",
    "stat.ME": "Methodology",
    "stat.ML": "Machine Learning",
    "stat.OT": "Other Statistics",
    "stat.TH": "Statistics Theory",
})
# fmt: on

# Cross-archive aliases: the same subject class under two ids (alias -> canonical, as arXiv).
ALIASES: Mapping[str, str] = MappingProxyType({
    "cs.NA": "math.NA",
    "cs.SY": "eess.SY",
    "math.IT": "cs.IT",
    "math.MP": "math-ph",
    "q-fin.EC": "econ.GN",
    "stat.TH": "math.ST",
})  # fmt: skip

_BY_LOWER: Mapping[str, str] = MappingProxyType(
    {key.lower(): key for key in (*ARCHIVES, *CATEGORIES)}
)
_SUGGEST_CUTOFF = 0.5


def normalize_category(raw: str) -> str | None:
    """'cs.cl' -> 'cs.CL', ' STAT ' -> 'stat'; None when arXiv has no such archive or category."""
    return _BY_LOWER.get(raw.strip().lower())


def archive_of(category: str) -> str:
    """'cs.CL' -> 'cs', 'physics.flu-dyn' -> 'physics', 'hep-th' -> 'hep-th' (no lookup)."""
    return category.split(".", 1)[0]


def category_name(cat: str) -> str:
    """'cs.CL' -> 'Computation and Language' (any case); an unknown id comes back unchanged."""
    canonical = normalize_category(cat)
    if canonical is None:
        return cat
    return CATEGORIES.get(canonical) or ARCHIVES[canonical]


def categories_in(archive: str) -> list[str]:
    """The subject classes of an archive ('stat' -> ['stat.AP', ...]); [] for unknown ones."""
    canonical = normalize_category(archive)
    if canonical is None or canonical not in ARCHIVES:
        return []
    if canonical in CATEGORIES:  # an archive that is its own only category (hep-th, ...)
        return [canonical]
    return [cat for cat in CATEGORIES if archive_of(cat) == canonical]


def suggest(raw: str, limit: int = 3) -> list[str]:
    """Up to `limit` valid ids close to a mistyped one, most similar first ('cs.XX' -> cs.*).

    When the text names a known archive ('cs.XX'), only that archive's categories are offered.
    Names count too, so 'computer vision' suggests 'cs.CV'. A valid id suggests itself.
    """
    text = " ".join(raw.split()).lower()
    if not text or limit <= 0:
        return []
    exact = normalize_category(text)
    if exact is not None:
        return [exact]
    pool = categories_in(archive_of(text)) if "." in text else []
    if not pool:
        pool = [*ARCHIVES, *(cat for cat in CATEGORIES if cat not in ARCHIVES)]
    scored = sorted(((_similarity(text, cat), cat) for cat in pool), key=lambda x: (-x[0], x[1]))
    return [cat for score, cat in scored if score >= _SUGGEST_CUTOFF][:limit]


def _similarity(text: str, cat: str) -> float:
    """How close `text` is to a category's id or name, 0..1 ('computer vision' ~ cs.CV)."""
    name = category_name(cat).lower()
    score = max(
        SequenceMatcher(None, text, cat.lower()).ratio(),
        SequenceMatcher(None, text, name).ratio(),
    )
    if len(text) >= 4 and text in name:  # a fragment of the name: 'vision', 'fluid dynamics'
        score = max(score, 0.75 + 0.25 * len(text) / len(name))
    if len(text) >= 3 and cat.lower().startswith(text):  # the start of an id: 'hep', 'quant'
        score = max(score, 0.9)
    return score
