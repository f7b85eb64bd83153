"""Seeded line drawings of product designs, one generator per Locarno subclass, in several views.

Each generator returns the *front elevation* of one design as polylines in a unit box (x right, y down).
Views are derived from it the way patent sheets show a design: ``front``, ``rear`` (mirrored), ``side``
(the front squeezed sideways) and ``perspective`` (a sheared copy extruded in depth
with edges joining the two faces). Parameters vary per design — proportions, details, stroke width,
placement — so designs of one class differ and neighbouring classes (cups and pots, phones and tablets)
overlap the way real registrations do.

Example:
    >>> import numpy as np
    >>> img = render_design("10-02", np.random.default_rng(7), views=("front", "perspective"))
    >>> [v.size for v in img], img[0].mode
    ([(256, 256), (256, 256)], 'L')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["CANVAS", "CHANGES", "GENERATORS", "VIEWS", "Polyline", "render_design", "render_views", "vary"]

#: Side of the square canvas every view is drawn on, in pixels.
CANVAS = 256
#: View names in the order designs use them (view 0 is always the front).
VIEWS = ("front", "perspective", "side", "rear")

Polyline = tuple[np.ndarray, bool]  # (points of shape (n, 2) in the unit box, closed?)
Rng = np.random.Generator


# --- primitives (unit box coordinates) --------------------------------------------------------------------

def _poly(points: Sequence[tuple[float, float]], closed: bool = False) -> Polyline:
    return np.asarray(points, dtype=float), closed


def _rect(x0: float, y0: float, x1: float, y1: float) -> Polyline:
    return _poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], closed=True)


def _ellipse(cx: float, cy: float, rx: float, ry: float, a0: float = 0.0, a1: float = 360.0,
             n: int = 40) -> Polyline:
    t = np.radians(np.linspace(a0, a1, n))
    pts = np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)
    return pts, (a1 - a0) >= 360.0


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> Polyline:
    r = min(r, (x1 - x0) / 2, (y1 - y0) / 2)
    corners = [(x1 - r, y0 + r, 270, 360), (x1 - r, y1 - r, 0, 90), (x0 + r, y1 - r, 90, 180),
               (x0 + r, y0 + r, 180, 270)]
    pts = np.concatenate([_ellipse(cx, cy, r, r, a, b, n=8)[0] for cx, cy, a, b in corners])
    return pts, True


def _trapezoid(cx: float, y0: float, y1: float, top_w: float, bottom_w: float) -> Polyline:
    return _poly([(cx - top_w / 2, y0), (cx + top_w / 2, y0), (cx + bottom_w / 2, y1),
                  (cx - bottom_w / 2, y1)], closed=True)


def _u(rng: Rng, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


# --- one generator per subclass: front elevation -----------------------------------------------------------

def _watch(rng: Rng) -> list[Polyline]:
    r = _u(rng, 0.18, 0.27)
    strap = _u(rng, 0.55, 0.85) * r * 2
    out = [_rect(0.5 - strap / 2, 0.02, 0.5 + strap / 2, 0.5 - r * 0.8),
           _rect(0.5 - strap / 2, 0.5 + r * 0.8, 0.5 + strap / 2, 0.98)]
    if rng.random() < 0.6:
        out += [_ellipse(0.5, 0.5, r, r), _ellipse(0.5, 0.5, r * 0.82, r * 0.82)]
    else:
        out += [_rounded_rect(0.5 - r, 0.5 - r * 1.15, 0.5 + r, 0.5 + r * 1.15, r * 0.3),
                _rounded_rect(0.5 - r * 0.8, 0.5 - r * 0.95, 0.5 + r * 0.8, 0.5 + r * 0.95, r * 0.2)]
    out.append(_rect(0.5 + r, 0.47, 0.5 + r + 0.04, 0.53))
    a, b = rng.uniform(0, 2 * math.pi, 2)
    out += [_poly([(0.5, 0.5), (0.5 + 0.5 * r * math.cos(a), 0.5 + 0.5 * r * math.sin(a))]),
            _poly([(0.5, 0.5), (0.5 + 0.7 * r * math.cos(b), 0.5 + 0.7 * r * math.sin(b))])]
    ticks = 12 if rng.random() < 0.5 else 4
    for k in range(ticks):
        t = 2 * math.pi * k / ticks
        out.append(_poly([(0.5 + 0.68 * r * math.cos(t), 0.5 + 0.68 * r * math.sin(t)),
                          (0.5 + 0.76 * r * math.cos(t), 0.5 + 0.76 * r * math.sin(t))]))
    if rng.random() < 0.5:  # strap holes
        out += [_ellipse(0.5, y, 0.012, 0.012) for y in np.linspace(0.78, 0.93, int(rng.integers(3, 6)))]
    return out


def _bottle(rng: Rng) -> list[Polyline]:
    w = _u(rng, 0.22, 0.42)
    neck = _u(rng, 0.08, 0.16)
    shoulder = _u(rng, 0.25, 0.45)
    top = _u(rng, 0.05, 0.15)
    body = [(0.5 - neck / 2, top + 0.08), (0.5 - neck / 2, shoulder - 0.08), (0.5 - w / 2, shoulder + 0.04),
            (0.5 - w / 2, 0.97), (0.5 + w / 2, 0.97), (0.5 + w / 2, shoulder + 0.04),
            (0.5 + neck / 2, shoulder - 0.08), (0.5 + neck / 2, top + 0.08)]
    out = [_poly(body), _rect(0.5 - neck * 0.65, top, 0.5 + neck * 0.65, top + 0.08)]
    if rng.random() < 0.7:
        y0 = _u(rng, shoulder + 0.12, 0.6)
        out.append(_rect(0.5 - w / 2, y0, 0.5 + w / 2, y0 + _u(rng, 0.15, 0.3)))
    if rng.random() < 0.4:
        out += [_poly([(0.5 - w / 2, y), (0.5 + w / 2, y)]) for y in np.linspace(0.85, 0.93, 3)]
    return out


def _chair(rng: Rng) -> list[Polyline]:
    seat_y = _u(rng, 0.5, 0.62)
    w = _u(rng, 0.45, 0.75)
    back_top = _u(rng, 0.02, 0.2)
    x0, x1 = 0.5 - w / 2, 0.5 + w / 2
    out = [_rect(x0, seat_y, x1, seat_y + 0.06)]
    if rng.random() < 0.5:
        out.append(_rounded_rect(x0 + 0.03, back_top, x1 - 0.03, seat_y - 0.02, 0.06))
    else:
        out += [_poly([(x0 + 0.04, seat_y), (x0 + 0.04, back_top)]), _poly([(x1 - 0.04, seat_y), (x1 - 0.04, back_top)])]
        out += [_poly([(x0 + 0.04, y), (x1 - 0.04, y)]) for y in np.linspace(back_top, seat_y - 0.08,
                                                                              int(rng.integers(2, 5)))]
    splay = _u(rng, 0.0, 0.06)
    out += [_poly([(x0 + 0.03, seat_y + 0.06), (x0 + 0.03 - splay, 0.98)]),
            _poly([(x1 - 0.03, seat_y + 0.06), (x1 - 0.03 + splay, 0.98)])]
    if rng.random() < 0.4:  # arms
        ay = seat_y - _u(rng, 0.12, 0.2)
        out += [_rect(x0 - 0.04, ay, x0 + 0.02, seat_y), _rect(x1 - 0.02, ay, x1 + 0.04, seat_y)]
    return out


def _table(rng: Rng) -> list[Polyline]:
    top_y = _u(rng, 0.3, 0.5)
    w = _u(rng, 0.75, 0.96)
    thick = _u(rng, 0.03, 0.08)
    x0, x1 = 0.5 - w / 2, 0.5 + w / 2
    inset = _u(rng, 0.03, 0.12)
    out = [_rect(x0, top_y, x1, top_y + thick)]
    if rng.random() < 0.25:  # pedestal
        out += [_rect(0.47, top_y + thick, 0.53, 0.9), _trapezoid(0.5, 0.9, 0.97, 0.1, _u(rng, 0.3, 0.5))]
    else:
        lw = _u(rng, 0.02, 0.05)
        out += [_rect(x0 + inset, top_y + thick, x0 + inset + lw, 0.97),
                _rect(x1 - inset - lw, top_y + thick, x1 - inset, 0.97)]
        if rng.random() < 0.5:
            y = _u(rng, 0.7, 0.85)
            out.append(_poly([(x0 + inset + lw, y), (x1 - inset - lw, y)]))
    return out


def _lamp(rng: Rng) -> list[Polyline]:
    shade_top, shade_bot = _u(rng, 0.1, 0.25), _u(rng, 0.3, 0.45)
    tw, bw = _u(rng, 0.15, 0.35), _u(rng, 0.35, 0.6)
    out = [_trapezoid(0.5, shade_top, shade_bot, tw, bw)]
    if rng.random() < 0.5:
        out.append(_poly([(0.5, shade_bot), (0.5, 0.9)]))
    else:  # angled arm
        kx = _u(rng, 0.3, 0.7)
        out.append(_poly([(0.5, shade_bot), (kx, 0.6), (0.5, 0.9)]))
    out.append(_trapezoid(0.5, 0.9, 0.97, _u(rng, 0.1, 0.2), _u(rng, 0.25, 0.45)))
    if rng.random() < 0.5:
        out.append(_ellipse(0.5, shade_bot + 0.04, 0.04, 0.03))
    return out


def _phone(rng: Rng) -> list[Polyline]:
    w = _u(rng, 0.36, 0.52)
    h = _u(rng, 0.75, 0.95)
    x0, y0 = 0.5 - w / 2, 0.5 - h / 2
    r = _u(rng, 0.02, 0.08)
    bezel = _u(rng, 0.015, 0.05)
    out = [_rounded_rect(x0, y0, x0 + w, y0 + h, r),
           _rect(x0 + bezel, y0 + bezel * 2, x0 + w - bezel, y0 + h - bezel * 2)]
    if rng.random() < 0.5:
        out.append(_ellipse(0.5, y0 + bezel, 0.01, 0.008))
    else:
        out.append(_rounded_rect(0.45, y0 + bezel * 2, 0.55, y0 + bezel * 2 + 0.025, 0.01))
    if rng.random() < 0.4:
        out.append(_ellipse(0.5, y0 + h - bezel, 0.03, 0.012))
    out.append(_rect(x0 + w, 0.3, x0 + w + 0.012, _u(rng, 0.36, 0.45)))
    return out


def _cup(rng: Rng) -> list[Polyline]:
    top_w, bot_w = _u(rng, 0.35, 0.55), _u(rng, 0.25, 0.45)
    y0, y1 = _u(rng, 0.15, 0.35), _u(rng, 0.75, 0.88)
    out = [_trapezoid(0.45, y0, y1, top_w, bot_w), _ellipse(0.45, y0, top_w / 2, 0.025)]
    hx = 0.45 + (top_w + bot_w) / 4
    hr = _u(rng, 0.07, 0.13)
    out.append(_ellipse(hx, (y0 + y1) / 2, hr, (y1 - y0) * 0.3, -90, 90, n=20))
    if rng.random() < 0.5:  # saucer
        out.append(_ellipse(0.45, y1 + 0.03, _u(rng, 0.35, 0.45), 0.035))
    return out


def _pot(rng: Rng) -> list[Polyline]:
    w = _u(rng, 0.5, 0.75)
    y0, y1 = _u(rng, 0.3, 0.45), _u(rng, 0.8, 0.92)
    x0, x1 = 0.5 - w / 2, 0.5 + w / 2
    out = [_rect(x0, y0, x1, y1), _ellipse(0.5, y0, w / 2, _u(rng, 0.04, 0.1), 180, 360, n=24),
           _ellipse(0.5, y0 - 0.1, 0.04, 0.025)]
    if rng.random() < 0.6:  # two side handles
        out += [_rect(x0 - 0.1, y0 + 0.05, x0, y0 + 0.09), _rect(x1, y0 + 0.05, x1 + 0.1, y0 + 0.09)]
    else:  # long pan handle
        out.append(_rect(x1, y0 + 0.05, min(0.99, x1 + _u(rng, 0.2, 0.3)), y0 + 0.1))
    return out


def _car(rng: Rng) -> list[Polyline]:
    roof = _u(rng, 0.2, 0.4)
    belt = _u(rng, 0.45, 0.55)
    cab0, cab1 = _u(rng, 0.2, 0.35), _u(rng, 0.6, 0.8)
    body = [(0.02, 0.72), (0.02, belt + 0.05), (cab0 - 0.05, belt), (cab0, roof), (cab1, roof),
            (cab1 + _u(rng, 0.05, 0.15), belt), (0.97, belt + _u(rng, 0.0, 0.08)), (0.98, 0.72)]
    wr = _u(rng, 0.08, 0.11)
    out = [_poly(body, closed=True), _ellipse(0.22, 0.72, wr, wr), _ellipse(0.78, 0.72, wr, wr),
           _ellipse(0.22, 0.72, wr * 0.5, wr * 0.5), _ellipse(0.78, 0.72, wr * 0.5, wr * 0.5)]
    mid = (cab0 + cab1) / 2
    out += [_poly([(cab0 + 0.02, belt - 0.01), (cab0 + 0.03, roof + 0.03), (mid - 0.01, roof + 0.03),
                   (mid - 0.01, belt - 0.01)], closed=True),
            _poly([(mid + 0.01, belt - 0.01), (mid + 0.01, roof + 0.03), (cab1 - 0.02, roof + 0.03),
                   (cab1 + 0.03, belt - 0.01)], closed=True)]
    if rng.random() < 0.5:
        out.append(_poly([(mid, belt + 0.05), (mid, 0.68)]))
    return out


def _shoe(rng: Rng) -> list[Polyline]:
    sole = _u(rng, 0.03, 0.08)
    heel = _u(rng, 0.0, 0.25)
    top = _u(rng, 0.25, 0.5)
    y_base = 0.8
    upper = [(0.05, y_base - heel), (0.06, top), (0.3, top - 0.02), (0.42, top + _u(rng, 0.05, 0.15)),
             (0.7, y_base - _u(rng, 0.15, 0.25)), (0.95, y_base - 0.08), (0.97, y_base)]
    out = [_poly([*upper, (0.35, y_base)]), _poly([(0.02, y_base - heel), (0.35, y_base), (0.97, y_base),
                                                     (0.97, y_base + sole), (0.35, y_base + sole),
                                                     (0.02, y_base - heel + sole)], closed=True)]
    if heel > 0.1:
        out.append(_rect(0.04, y_base - heel + sole, 0.14, y_base + sole + 0.05))
    for k in range(int(rng.integers(0, 5))):
        x = 0.34 + 0.05 * k
        out.append(_poly([(x, top + 0.03 + 0.04 * k), (x + 0.06, top + 0.06 + 0.04 * k)]))
    return out


def _camera(rng: Rng) -> list[Polyline]:
    w, h = _u(rng, 0.7, 0.95), _u(rng, 0.4, 0.6)
    x0, y0 = 0.5 - w / 2, 0.55 - h / 2
    lr = _u(rng, 0.12, 0.2)
    lx = _u(rng, 0.4, 0.6)
    out = [_rounded_rect(x0, y0, x0 + w, y0 + h, _u(rng, 0.01, 0.05)),
           _ellipse(lx, 0.58, lr, lr), _ellipse(lx, 0.58, lr * 0.7, lr * 0.7), _ellipse(lx, 0.58, lr * 0.35, lr * 0.35)]
    if rng.random() < 0.6:  # viewfinder hump
        out.append(_trapezoid(lx, y0 - _u(rng, 0.06, 0.12), y0, 0.15, 0.25))
    out.append(_rect(x0 + w * 0.75, y0 - 0.03, x0 + w * 0.85, y0))
    if rng.random() < 0.5:
        out.append(_rect(x0 + 0.04, y0 + 0.04, x0 + 0.14, y0 + 0.1))
    return out


def _handbag(rng: Rng) -> list[Polyline]:
    tw, bw = _u(rng, 0.45, 0.7), _u(rng, 0.65, 0.95)
    y0 = _u(rng, 0.35, 0.5)
    out = [_trapezoid(0.5, y0, 0.95, tw, bw)]
    hw = _u(rng, 0.12, 0.3)
    out.append(_ellipse(0.5, y0, hw, _u(rng, 0.15, 0.3), 180, 360, n=24))
    if rng.random() < 0.6:  # flap
        fy = _u(rng, y0 + 0.12, 0.7)
        out.append(_poly([(0.5 - tw / 2 - 0.02, y0), (0.5, fy), (0.5 + tw / 2 + 0.02, y0)]))
        out.append(_rect(0.48, fy - 0.02, 0.52, fy + 0.02))
    if rng.random() < 0.4:
        out.append(_poly([(0.5 - bw / 2 + 0.04, 0.88), (0.5 + bw / 2 - 0.04, 0.88)]))
    return out


def _bicycle(rng: Rng) -> list[Polyline]:
    wr = _u(rng, 0.16, 0.22)
    rx, fx, wy = 0.22, 0.78, 0.7
    crank = (_u(rng, 0.42, 0.5), wy)
    seat = (_u(rng, 0.35, 0.42), _u(rng, 0.3, 0.38))
    head = (_u(rng, 0.66, 0.72), _u(rng, 0.3, 0.38))
    out = [_ellipse(rx, wy, wr, wr), _ellipse(fx, wy, wr, wr),
           _poly([(rx, wy), crank, seat, (rx, wy)]), _poly([crank, head, seat]) if rng.random() < 0.7
           else _poly([crank, head]), _poly([head, (fx, wy)]),
           _poly([seat, (seat[0] - 0.02, seat[1] - 0.06)]), _rect(seat[0] - 0.07, seat[1] - 0.08, seat[0] + 0.04,
                                                                   seat[1] - 0.06),
           _poly([head, (head[0] - 0.02, head[1] - 0.1), (head[0] + 0.06, head[1] - 0.12)]),
           _ellipse(crank[0], crank[1], 0.04, 0.04)]
    if rng.random() < 0.4:  # motor / basket
        out.append(_rect(crank[0] - 0.08, crank[1] - 0.12, crank[0] + 0.04, crank[1] - 0.02))
    return out


def _tool(rng: Rng) -> list[Polyline]:
    hl = _u(rng, 0.5, 0.7)
    hw = _u(rng, 0.06, 0.12)
    out = [_rounded_rect(0.5 - hw / 2, 0.98 - hl, 0.5 + hw / 2, 0.98, hw / 3)]
    top = 0.98 - hl
    if rng.random() < 0.5:  # hammer head
        out.append(_rect(0.5 - _u(rng, 0.2, 0.35), top - 0.15, 0.5 + _u(rng, 0.15, 0.3), top))
    else:  # wrench jaw
        r = _u(rng, 0.12, 0.18)
        out += [_ellipse(0.5, top - r * 0.6, r, r, 120, 420, n=30), _rect(0.47, top - r * 1.6, 0.53, top - r * 0.4)]
    for y in np.linspace(0.98 - hl * 0.6, 0.95, int(rng.integers(0, 5))):
        out.append(_poly([(0.5 - hw / 2, y), (0.5 + hw / 2, y)]))
    return out


def _box(rng: Rng) -> list[Polyline]:
    w, h = _u(rng, 0.5, 0.9), _u(rng, 0.35, 0.75)
    x0, y0 = 0.5 - w / 2, 0.55 - h / 2
    lid = _u(rng, 0.05, 0.2) * h
    out = [_rect(x0, y0, x0 + w, y0 + h), _poly([(x0, y0 + lid), (x0 + w, y0 + lid)])]
    if rng.random() < 0.5:
        out.append(_rect(0.46, y0 + lid - 0.02, 0.54, y0 + lid + 0.04))
    if rng.random() < 0.4:
        out.append(_ellipse(0.5, y0 + h * 0.6, w * 0.2, h * 0.15))
    return out


def _gauge(rng: Rng) -> list[Polyline]:
    r = _u(rng, 0.25, 0.4)
    out = [_ellipse(0.5, 0.45, r, r), _ellipse(0.5, 0.45, r * 0.9, r * 0.9, 150, 390, n=30)]
    for k in range(int(rng.integers(6, 12))):
        t = math.radians(150 + 240 * k / 10)
        out.append(_poly([(0.5 + 0.78 * r * math.cos(t), 0.45 + 0.78 * r * math.sin(t)),
                          (0.5 + 0.9 * r * math.cos(t), 0.45 + 0.9 * r * math.sin(t))]))
    t = math.radians(_u(rng, 150, 390))
    out.append(_poly([(0.5, 0.45), (0.5 + 0.7 * r * math.cos(t), 0.45 + 0.7 * r * math.sin(t))]))
    if rng.random() < 0.6:  # body / stem
        out.append(_rect(0.5 - _u(rng, 0.05, 0.3), 0.45 + r, 0.5 + _u(rng, 0.05, 0.3), 0.97))
    return out


def _ring(rng: Rng) -> list[Polyline]:
    r = _u(rng, 0.28, 0.4)
    band = _u(rng, 0.03, 0.08)
    out = [_ellipse(0.5, 0.58, r, r * _u(rng, 0.85, 1.0)), _ellipse(0.5, 0.58, r - band, (r - band) * 0.95)]
    gy = 0.58 - r
    gw = _u(rng, 0.08, 0.2)
    sides = int(rng.integers(4, 9))
    gem = [(0.5 + gw * math.cos(2 * math.pi * k / sides), gy + gw * 0.8 * math.sin(2 * math.pi * k / sides))
           for k in range(sides)]
    out.append(_poly(gem, closed=True))
    if rng.random() < 0.5:
        out += [_poly([(0.5 - gw, gy), (0.5 + gw, gy)]), _poly([(0.5, gy - gw * 0.8), (0.5, gy + gw * 0.8)])]
    return out


def _headphones(rng: Rng) -> list[Polyline]:
    r = _u(rng, 0.3, 0.4)
    cw, ch = _u(rng, 0.08, 0.14), _u(rng, 0.15, 0.25)
    out = [_ellipse(0.5, 0.6, r, r * 1.1, 180, 360, n=30), _ellipse(0.5, 0.6, r - 0.04, r * 1.1 - 0.04, 180, 360, n=30)]
    for cx in (0.5 - r, 0.5 + r):
        if rng.random() < 0.5:
            out.append(_ellipse(cx, 0.7, cw, ch))
        else:
            out.append(_rounded_rect(cx - cw, 0.7 - ch, cx + cw, 0.7 + ch, cw * 0.5))
    return out


def _computer(rng: Rng) -> list[Polyline]:
    w, h = _u(rng, 0.7, 0.95), _u(rng, 0.45, 0.6)
    x0, y0 = 0.5 - w / 2, 0.05
    out = [_rounded_rect(x0, y0, x0 + w, y0 + h, 0.02), _rect(x0 + 0.03, y0 + 0.03, x0 + w - 0.03, y0 + h - 0.05)]
    if rng.random() < 0.5:  # monitor stand
        out += [_rect(0.47, y0 + h, 0.53, 0.88), _rect(0.5 - _u(rng, 0.12, 0.25), 0.88, 0.5 + _u(rng, 0.12, 0.25), 0.92)]
    else:  # laptop base
        out.append(_trapezoid(0.5, y0 + h, y0 + h + 0.1, w, w + 0.06))
        out.append(_rect(0.44, y0 + h + 0.06, 0.56, y0 + h + 0.09))
    return out


def _toy(rng: Rng) -> list[Polyline]:
    hr = _u(rng, 0.1, 0.17)
    out = [_ellipse(0.5, 0.2, hr, hr), _ellipse(0.5, 0.55, _u(rng, 0.15, 0.25), _u(rng, 0.18, 0.25))]
    if rng.random() < 0.5:  # bear ears
        out += [_ellipse(0.5 - hr * 0.8, 0.2 - hr * 0.8, hr * 0.35, hr * 0.35),
                _ellipse(0.5 + hr * 0.8, 0.2 - hr * 0.8, hr * 0.35, hr * 0.35)]
    else:  # robot antenna
        out += [_poly([(0.5, 0.2 - hr), (0.5, 0.2 - hr - 0.06)]), _ellipse(0.5, 0.2 - hr - 0.07, 0.015, 0.015)]
    out += [_ellipse(0.29, 0.5, 0.06, 0.12), _ellipse(0.71, 0.5, 0.06, 0.12),
            _ellipse(0.4, 0.85, 0.07, 0.1), _ellipse(0.6, 0.85, 0.07, 0.1),
            _ellipse(0.46, 0.18, 0.015, 0.015), _ellipse(0.54, 0.18, 0.015, 0.015)]
    return out


def _fan(rng: Rng) -> list[Polyline]:
    r = _u(rng, 0.22, 0.33)
    cy = 0.38
    out = [_ellipse(0.5, cy, r, r), _ellipse(0.5, cy, 0.04, 0.04)]
    blades = int(rng.integers(3, 6))
    phase = _u(rng, 0, 2 * math.pi)
    for k in range(blades):
        t = phase + 2 * math.pi * k / blades
        out.append(_ellipse(0.5 + 0.5 * r * math.cos(t), cy + 0.5 * r * math.sin(t), 0.35 * r, 0.18 * r, n=20))
    for k in range(int(rng.integers(0, 3))):
        out.append(_ellipse(0.5, cy, r * (0.6 + 0.15 * k), r * (0.6 + 0.15 * k)))
    out += [_rect(0.48, cy + r, 0.52, 0.9), _ellipse(0.5, 0.93, _u(rng, 0.15, 0.28), 0.04)]
    return out


def _dryer(rng: Rng) -> list[Polyline]:
    r = _u(rng, 0.14, 0.2)
    out = [_ellipse(0.35, 0.3, r, r), _rect(0.35, 0.3 - r * 0.6, _u(rng, 0.8, 0.95), 0.3 + r * 0.6),
           _rounded_rect(0.3, 0.3 + r * 0.5, 0.42, _u(rng, 0.8, 0.95), 0.04)]
    if rng.random() < 0.5:
        out.append(_rect(0.32, 0.55, 0.4, 0.6))
    return out


#: Locarno subclass -> front-elevation generator.
GENERATORS: dict[str, Callable[[Rng], list[Polyline]]] = {
    "02-04": _shoe, "03-01": _handbag, "06-01": _chair, "06-03": _table, "07-01": _cup, "07-02": _pot,
    "08-05": _tool, "09-01": _bottle, "09-03": _box, "10-02": _watch, "10-07": _gauge, "11-01": _ring,
    "12-08": _car, "12-11": _bicycle, "14-01": _headphones, "14-02": _computer, "14-03": _phone,
    "16-01": _camera, "21-01": _toy, "23-04": _fan, "26-05": _lamp, "28-03": _dryer,
}


# --- close variants ----------------------------------------------------------------------------------------

#: What a close variant changes in its design (the same product with a small change, as design families have).
CHANGES = ("detail removed", "detail added", "proportions")


def vary(front: list[Polyline], change: str, rng: Rng) -> list[Polyline]:
    """A close variant of a front elevation: one ``change`` of :data:`CHANGES`, small but visible.

    ``detail removed`` drops one part other than the largest (the body stays); ``detail added`` puts a small
    ring or bar (6-10 % of the design's size) inside it; ``proportions`` stretches the design by 12-20 %
    along one axis (a drawing is scaled to its sheet, so only its proportions change).

    Example:
        >>> import numpy as np
        >>> front = GENERATORS["14-03"](np.random.default_rng(3))
        >>> [len(vary(front, c, np.random.default_rng(1))) - len(front) for c in CHANGES]
        [-1, 1, 0]
    """
    if change == "detail removed":
        extents = [float(np.ptp(p, axis=0).max()) if len(p) else 0.0 for p, _ in front]
        body = int(np.argmax(extents))
        parts = [k for k in range(len(front)) if k != body]
        if not parts:
            return list(front)
        drop = parts[int(rng.integers(len(parts)))]
        return [line for k, line in enumerate(front) if k != drop]
    pts = np.concatenate([p for p, _ in front])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    if change == "detail added":
        size = float(np.max(hi - lo)) * _u(rng, 0.06, 0.1)
        cx, cy = lo + (hi - lo) * rng.uniform(0.3, 0.7, 2)
        detail = _ellipse(cx, cy, size / 2, size / 2, n=16) if rng.random() < 0.5 else \
            _rect(cx - size, cy - size / 4, cx + size, cy + size / 4)
        return [*front, detail]
    if change == "proportions":
        factor = np.ones(2)
        factor[int(rng.integers(2))] = _u(rng, 1.08, 1.15) if rng.random() < 0.5 else 1 / _u(rng, 1.08, 1.15)
        centre = (lo + hi) / 2
        return [((p - centre) * factor + centre, closed) for p, closed in front]
    raise ValueError(f"change: one of {CHANGES}, got {change!r}")


# --- views and rendering -----------------------------------------------------------------------------------

def _view(front: list[Polyline], view: str, depth: float, rng: Rng) -> list[Polyline]:
    """Derive a view from the front elevation (all still in unit-ish coordinates)."""
    if view == "front":
        return front
    if view == "rear":
        return [(np.column_stack([1 - p[:, 0], p[:, 1]]), c) for p, c in front]
    if view == "side":
        # a narrow elevation: the front squeezed sideways keeps the design's vertical structure
        squeeze = 0.25 + depth
        return [(np.column_stack([0.5 + (p[:, 0] - 0.5) * squeeze, p[:, 1]]), c) for p, c in front]
    # perspective: shear + shrink the front, extrude it by an oblique offset, join the outline's extremes
    shear = _u(rng, 0.15, 0.35)
    off = np.array([depth * 0.7, -depth * 0.5])
    a = np.array([[0.85, 0.0], [shear * 0.5, 0.85]])
    face = [((p - 0.5) @ a.T + 0.5 - off / 2, c) for p, c in front]
    back_outline = [(p + off, c) for p, c in face[:1]]
    pts = np.concatenate([p for p, _ in face])
    joins = []
    for idx in (pts[:, 0].argmin(), pts[:, 0].argmax(), pts[:, 1].argmin(), pts[:, 1].argmax()):
        joins.append(_poly([tuple(pts[idx]), tuple(pts[idx] + off)]))
    return face + back_outline + joins


def render_views(front: list[Polyline], views: Sequence[str], rng: Rng, size: int = CANVAS) -> list[Image.Image]:
    """Draw the given views of one design (black ink on white, mode ``L``).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> [im.getextrema() for im in render_views(GENERATORS["14-03"](rng), ["front"], rng)]
        [(0, 255)]
    """
    stroke = int(rng.choice([1, 2, 2, 3, 3, 4]))
    depth = _u(rng, 0.15, 0.35)
    images = []
    for view in views:
        lines = _view(front, view, depth, rng)
        pts = np.concatenate([p for p, _ in lines])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = max(float((hi - lo).max()), 1e-6)
        fill = _u(rng, 0.7, 0.9) * size / span  # the design fills 70-90 % of the sheet, off-centre a little
        shift = (size - (hi - lo) * fill) / 2 + rng.uniform(-0.04, 0.04, 2) * size
        im = Image.new("L", (size, size), 255)
        draw = ImageDraw.Draw(im)
        for p, closed in lines:
            xy = [tuple(q) for q in (p - lo) * fill + shift]
            if closed:
                xy.append(xy[0])
            draw.line(xy, fill=0, width=stroke, joint="curve")
        images.append(im)
    return images


def render_design(loc_code: str, rng: Rng, views: Sequence[str] = ("front",), size: int = CANVAS) -> list[Image.Image]:
    """Generate one design of subclass ``loc_code`` with ``rng`` and draw the requested ``views``.

    Example:
        >>> import numpy as np
        >>> len(render_design("12-11", np.random.default_rng(1), views=VIEWS))
        4
    """
    front = GENERATORS[loc_code](rng)
    return render_views(front, views, rng, size)


# --- colour (utility models) --------------------------------------------------------------------------------

#: Ink colours of utility-model drawings: all dark enough to stay ink in grayscale (shape search ignores them).
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (200, 30, 30), "green": (20, 140, 40), "blue": (30, 60, 200), "orange": (210, 110, 0),
    "purple": (120, 30, 160), "teal": (0, 120, 130),
}


def ink_colours(rng: Rng) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Two different ink colours of :data:`PALETTE` (outline, details) for one utility model.

    Example:
        >>> import numpy as np
        >>> a, b = ink_colours(np.random.default_rng(0)); a != b and a in PALETTE.values()
        True
    """
    names = list(PALETTE)
    first, second = rng.choice(len(names), size=2, replace=False)
    return PALETTE[names[int(first)]], PALETTE[names[int(second)]]


def colourise(image: Image.Image, inks: tuple[tuple[int, int, int], tuple[int, int, int]]) -> Image.Image:
    """A black-on-white drawing in colour: ink left of the centre line in the first colour, the rest in the
    second (an RGB image; the shape, and so its grayscale ink, is unchanged).

    Example:
        >>> im = Image.new("L", (8, 8), 255); im.putpixel((1, 1), 0); im.putpixel((6, 6), 0)
        >>> out = colourise(im, ((200, 30, 30), (30, 60, 200)))
        >>> out.mode, out.getpixel((1, 1)), out.getpixel((6, 6)), out.getpixel((0, 0))
        ('RGB', (200, 30, 30), (30, 60, 200), (255, 255, 255))
    """
    ink = np.asarray(image.convert("L")) < 128
    out = np.full((*ink.shape, 3), 255, np.uint8)
    left = np.zeros_like(ink)
    left[:, : ink.shape[1] // 2] = True
    out[ink & left] = inks[0]
    out[ink & ~left] = inks[1]
    return Image.fromarray(out, "RGB")
