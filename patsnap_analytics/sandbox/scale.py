"""One similarity scale for every rank: stage 1's cosine and stage 2's alignment as one score in [0, 1].

The engine (:mod:`.engine`) scores every design by the cosine ``c`` of global features (stage 1) and
verifies the best few by alignment ``a`` (stage 2, :mod:`.verify`). Both crowd near 1 — a same-class
design scores a cosine of 0.95 and an alignment of 0.92, the design itself 0.99 and 0.998 — so the
evidence is read as *distances* from 1, ``1 - c`` and ``1 - a``, and:

1. **One distance.** ``D = (1 - c) ** (1 - W) * (1 - a) ** W``: the two stages' distances, weighed by
   :data:`W`. A design not verified has no alignment: its *expected* one stands in, ``1 - a ~ exp(alpha)
   * (1 - c) ** beta``, fitted on verified designs of other families. So a verified design and the first
   design not verified are on one scale: verification moves a design up or down from where its cosine put
   it, by what alignment adds, with no step at the re-scoring depth (and no floor to lift it above the
   rest: one that aligns badly falls below designs it was never compared with).
2. **One score.** ``logit(score) = -p * ln(D / d_sub) - q * (D - d_sub)`` (``p, q >= 0``: decreasing in
   ``D``; ``D = 0``, a drawing searched for itself, scores 1), through three anchors fitted on the corpus
   itself (:func:`fit`): a scan of a corpus drawing (:func:`.degrade.scanned`) scores
   :data:`ANCHORS` ``["same design"]`` (0.95) for its own design, a design of its Locarno subclass typically
   ``["same subclass"]`` (0.5), a design of another class typically ``["other class"]`` (0.2).

Fitting per corpus makes the scale mean the same in every index: a small corpus keeps raw features and a
large one a projection, whose cosines differ (same design 0.97 raw, 0.99 projected). ``docs/engine.md``
shows the three distributions on the default corpus (``benchmarks/bench_engine_quality.py --part scale``).

Example:
    >>> s = DEFAULT
    >>> [round(float(x), 2) for x in s.score(np.array([1.0, 0.9, 0.5]))]   # not verified: cosine alone
    [1.0, 0.81, 0.3]
    >>> float(s.score(np.array([0.9]), np.array([0.999]))[0]) > 0.9 > float(s.score(np.array([0.9]), np.array([0.8]))[0])
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["ANCHORS", "DEFAULT", "Samples", "Scale", "W", "fit"]

#: The weight of alignment against the cosine in the one distance (geometric: 0.5 weighs them alike). On the
#: held-out near-duplicate cases any weight from 0.4 to 1 ranks the design itself first as often (0.96);
#: the cosine alone does not (0.90).
W = 0.5
#: What the typical pair of each kind scores (the medians :func:`fit` anchors the scale at).
ANCHORS = {"same design": 0.95, "same subclass": 0.5, "other class": 0.2}
_EPS = 1e-5  # float noise: a drawing compared with itself has a cosine of 1 - 1e-7, which is distance 0
_FLOOR = 1e-4  # distances below this are read as this when fitting the expected alignment (logs stay finite)


@dataclass(frozen=True)
class Samples:
    """What :func:`fit` learns from, collected by the engine over scans of corpus drawings: ``pairs``,
    (cosine, alignment) of verified designs of other families; ``same``, (cosine, alignment) of each scan's
    own design; ``subclass`` and ``other``, cosines of designs of its subclass and of other classes.

    Example:
        >>> Samples(np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0), np.zeros(0)).enough()
        False
    """

    pairs: np.ndarray
    same: np.ndarray
    subclass: np.ndarray
    other: np.ndarray

    def enough(self) -> bool:
        """Enough of every kind to fit a scale (a small corpus gets :data:`DEFAULT` instead)."""
        return len(self.pairs) >= 50 and len(self.same) >= 10 and len(self.subclass) >= 50 and len(self.other) >= 50


@dataclass(frozen=True)
class Scale:
    """The fitted scale: ``alpha``, ``beta`` (a design's expected alignment distance from its cosine
    distance), ``d_sub`` (the distance scoring 0.5), ``p`` and ``q`` (the shape). See the module's docstring.

    Example:
        >>> Scale.from_dict(DEFAULT.to_dict()) == DEFAULT
        True
    """

    alpha: float
    beta: float
    d_sub: float
    p: float
    q: float

    def distance(self, cosine: np.ndarray, alignment: np.ndarray | None = None) -> np.ndarray:
        """The one distance of designs with these cosines and, when verified, alignments."""
        with np.errstate(divide="ignore"):
            return np.exp(self._log_distance(cosine, alignment))

    def score(self, cosine: np.ndarray, alignment: np.ndarray | None = None) -> np.ndarray:
        """Scores in [0, 1] of designs with these cosines and, when verified, alignments (float32 for
        float32 cosines: a search maps every design, 100,000 at a time, so in logs, three calls of ``exp`` /
        ``log`` an element)."""
        with np.errstate(divide="ignore", over="ignore"):
            log_d = self._log_distance(cosine, alignment)
            logit = -self.p * (log_d - np.log(self.d_sub)) - self.q * (np.exp(log_d) - self.d_sub)
            return 1.0 / (1.0 + np.exp(-logit))

    def _log_distance(self, cosine: np.ndarray, alignment: np.ndarray | None) -> np.ndarray:
        cosine = np.asarray(cosine)
        log_dc = np.log(np.maximum(1.0 - cosine - _EPS, 0.0))  # -inf for a drawing compared with itself
        if alignment is None:  # the expected alignment distance, exp(alpha) * dc ** beta, folded in
            return (1.0 - W + W * self.beta) * log_dc + W * self.alpha
        log_da = np.log(np.maximum(1.0 - np.asarray(alignment, cosine.dtype) - _EPS, 0.0))
        return (1.0 - W) * log_dc + W * log_da

    def to_dict(self) -> dict[str, float]:
        """The parameters, as saved next to the index."""
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict) -> Scale:
        """A scale from :meth:`to_dict`'s parameters (``TypeError`` / ``ValueError`` when they are not)."""
        return cls(**{k: float(v) for k, v in saved.items()})


def fit(samples: Samples) -> Scale:
    """The scale of one index: the expected alignment by least squares on log distances, then the shape
    through :data:`ANCHORS` at the medians of each kind (:data:`DEFAULT` when ``samples`` are too few).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> c = rng.uniform(0.7, 0.98, 200); a = 1 - 0.8 * (1 - c)          # alignment distance = 0.8 x cosine's
        >>> s = fit(Samples(np.c_[c, a], np.c_[np.full(20, 0.99), np.full(20, 0.998)],
        ...                 rng.uniform(0.5, 0.9, 500), rng.uniform(0.2, 0.6, 500)))
        >>> round(s.beta, 3), round(float(np.exp(s.alpha)), 3)
        (1.0, 0.8)
    """
    if not samples.enough():
        return DEFAULT
    log_c = np.log(np.maximum(1.0 - samples.pairs[:, 0], _FLOOR))
    log_a = np.log(np.maximum(1.0 - samples.pairs[:, 1], _FLOOR))
    beta, alpha = np.polyfit(log_c, log_a, 1)
    beta = float(np.clip(beta, 0.25, 4.0))  # keeps a design's distance increasing with its cosine distance
    shape = Scale(float(alpha), beta, 1.0, 0.0, 0.0)
    d_same = float(np.median(shape.distance(samples.same[:, 0], samples.same[:, 1])))
    d_sub = float(np.median(shape.distance(samples.subclass)))
    d_other = float(np.median(shape.distance(samples.other)))
    p, q = _shape(d_same, d_sub, d_other)
    return Scale(float(alpha), beta, d_sub, p, q)


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _shape(d_same: float, d_sub: float, d_other: float) -> tuple[float, float]:
    """``p, q >= 0`` putting the three anchors' distances at their scores (only ``p`` when the three are not
    in order for both, then through the first two)."""
    target = np.array([_logit(ANCHORS["same design"]), _logit(ANCHORS["other class"])]) - _logit(ANCHORS["same subclass"])
    if 0 < d_same < d_sub < d_other:
        system = np.array([[-np.log(d / d_sub), d_sub - d] for d in (d_same, d_other)])
        p, q = np.linalg.solve(system, target)
        if p > 0 and q >= 0:
            return float(p), float(q)
    ratio = np.log(max(d_sub, 1e-9) / max(d_same, 1e-12))
    return (float(target[0] / ratio) if ratio > 0 else 1.0), 0.0


#: The scale of a corpus too small to fit one (fewer than 50 designs: doctests, tiny user corpora): fitted
#: on the 300-design corpus of seed 7 (raw features, as a corpus that small has).
DEFAULT = Scale(alpha=-0.05, beta=1.27, d_sub=0.277, p=0.51, q=3.7)
