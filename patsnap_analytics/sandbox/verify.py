"""Geometric verification: does a query show *this* drawing, once the two are aligned?

A global feature finds the designs a query looks like; among near twins (the same phone with a slightly
wider screen) it cannot tell which one a rotated, rescaled, cropped, blurred, noisy JPEG shows. Here the
query's verification map is aligned onto a candidate view's map, then compared pixel by pixel:

1. start from the rotation the global stage found best for that view;
2. refine an affine warp with OpenCV's ECC (enhanced correlation coefficient) on blurred maps, a few
   Gauss-Newton steps at 64 x 64 pixels (about half a millisecond);
3. keep only its nearest **similarity** (rotation, one scale, shift): a scan rotates, rescales and crops
   a drawing but never changes its proportions, while a free affine warp would stretch a twin into shape;
4. score the normalised cross-correlation of the blurred maps where the warped query covers the view.

The score is in [0, 1] and 1 exactly for the same map; it is the better of the aligned and the initial
placement, so an alignment that wanders off never makes a match worse than the global stage found it.
Chosen over ORB keypoints + RANSAC by measurement (``docs/engine.md``): as accurate here, and it needs no
keypoints stored per view.

Example:
    >>> m = np.zeros((64, 64), np.float32); m[14:50, 20] = 1; m[14, 20:44] = 1; m[30:50, 40] = 1
    >>> round(alignment_score(m, (m * 255).astype(np.uint8), 0.0), 3)
    1.0
    >>> turned = cv2.warpAffine(m, cv2.getRotationMatrix2D((31.5, 31.5), 6, 1.0), (64, 64))
    >>> view = (m * 255).astype(np.uint8)
    >>> alignment_score(turned, view, -6.0) > 0.99 > 0.2 > alignment_score(m.T, view, 0.0)   # itself, turned; another
    True
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["alignment_score"]

_SIGMA = 1.5  # blur (pixels at 64 x 64) before aligning and comparing: tolerates stroke width and JPEG
_STEPS = 5  # ECC iterations: the global stage's angle starts them close
_EPS = 1e-3
_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, _STEPS, _EPS)


def alignment_score(query_map: np.ndarray, view_map: np.ndarray, angle: float) -> float:
    """How well ``query_map`` matches ``view_map`` once aligned, starting from ``angle``: the rotation
    (degrees, counter-clockwise) that best turned the query onto the view in the global stage. Maps are uint8
    0-255 (the index's form) or float32 in [0, 1]: alignment and normalised correlation ignore the scale.

    Example:
        >>> blank = np.zeros((64, 64), np.float32)
        >>> alignment_score(blank, np.zeros((64, 64), np.uint8), 0.0)
        0.0
    """
    query = cv2.GaussianBlur(query_map.astype(np.float32), (0, 0), _SIGMA)
    view = cv2.GaussianBlur(view_map.astype(np.float32) / 255.0, (0, 0), _SIGMA)
    if not query.any() or not view.any():
        return 0.0
    side = view.shape[1], view.shape[0]
    centre = ((side[0] - 1) / 2, (side[1] - 1) / 2)
    # the warp takes view coordinates to query coordinates: the query is the view turned by -angle
    start = cv2.getRotationMatrix2D(centre, -angle, 1.0).astype(np.float32)
    initial = _correlation(query, view, start)
    try:
        _, warp = cv2.findTransformECC(view, query, start.copy(), cv2.MOTION_AFFINE, _CRITERIA, None, 1)
    except cv2.error:  # no convergence (unrelated drawings): the initial placement is all there is
        return initial
    return max(initial, _correlation(query, view, _nearest_similarity(warp)))


def _nearest_similarity(warp: np.ndarray) -> np.ndarray:
    """The similarity (rotation x one scale, same shift) closest to an affine warp (polar decomposition)."""
    u, s, vt = np.linalg.svd(warp[:, :2].astype(np.float64))
    rotation = u @ vt
    if np.linalg.det(rotation) < 0:  # a reflection is no scan of a drawing
        return warp
    out = warp.astype(np.float64).copy()
    out[:, :2] = s.mean() * rotation
    return out.astype(np.float32)


def _correlation(query: np.ndarray, view: np.ndarray, warp: np.ndarray) -> float:
    """Normalised cross-correlation of ``view`` and ``query`` sampled through ``warp``, where the query
    covers the view (outside it nothing is known: a crop is not a difference)."""
    size = view.shape[1], view.shape[0]
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    moved = cv2.warpAffine(query, warp, size, flags=flags)
    covered = cv2.warpAffine(np.ones_like(query), warp, size, flags=flags) > 0.5
    a, b = moved[covered], view[covered]
    norm = float(np.linalg.norm(a)) * float(np.linalg.norm(b))
    return float(np.clip(a @ b / norm, 0.0, 1.0)) if norm > 0 else 0.0
