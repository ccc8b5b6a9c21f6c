"""Which occurrence each answered item takes: the assignment most consistent with the whole answer.

The items of one list (quotes, actors or agreements, in the answer's order) are placed together.
Each has its occurrences on word edges (`anchor.candidates`) and, as a fallback, those glued inside
a written word; an assignment picks one per item and is scored lexicographically, lower first:

1. **order breaks**: items placed at or before the previous item's occurrence (by start; at one
   start the longer first), or on an occurrence of the same label that clashes with it (`clash`);
2. **glued**: occurrences inside a written word used while one on word edges was possible;
3. **hints missed**: each item may have a consistency hint (an actor inside the quote whose content
   names it, outside every quote when no content names it; a speaker near its quote; an agreement
   near a mention of each of its parties, one hint per party): the assignment satisfying the most wins;
4. **earliest**: the smallest sum of start offsets (with no break and no hint, first-fit in order).

The best assignment is found exactly by dynamic programming over the items (each step looks only at
the previous item's occurrence), so a hint can move an item past an unannotated occurrence but never
at the price of the order of mention. An occurrence that the assignment gives twice to one label
(possible only when the answer breaks its order) is then moved to the first free occurrence of that item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Spot = tuple[int, int]


def clash(a: Spot, b: Spot, label: str) -> bool:
    """Whether two occurrences cannot both be mentions of one label."""
    if label == "PER":
        # A person's name holds no other person's (one nesting in the whole corpus): `حداد` after
        # `سمير حداد` is the next `حداد`, not the surname inside the full name.
        return a[0] < b[1] and b[0] < a[1]
    partial = a[0] < b[0] < a[1] < b[1] or b[0] < a[0] < b[1] < a[1]
    return a[0] == b[0] or partial


def after(spot: Spot, prev: Spot) -> bool:
    """Whether `spot` comes after `prev` in the order of mention."""
    return (spot[0], -spot[1]) > (prev[0], -prev[1])


@dataclass
class Item:
    """One answered string to place: its occurrences on word edges, those glued inside words, its label
    and its consistency hint (how many of its hints an occurrence satisfies)."""

    found: list[Spot]
    glued: list[Spot]
    label: str
    hint: Callable[[Spot], int] | None = None


@dataclass
class Placed:
    spot: Spot
    in_order: bool
    glued: bool


Cost = tuple[int, int, int, int]


def _step(item: Item, spot: Spot, glued: bool, prev: tuple[Spot, str] | None) -> Cost:
    broken = prev is not None and (not after(spot, prev[0]) or (prev[1] == item.label and clash(spot, prev[0], item.label)))
    return (int(broken), int(glued), -(item.hint(spot) if item.hint else 0), spot[0])


def assign(items: list[Item]) -> list[Placed | None]:
    """One occurrence per item (None for an item without any), by the scores of the module docstring."""
    # states: (cost, spot, glued, index of the item, backpointer to the previous state)
    layers: list[list[tuple[Cost, Spot, bool, int, int]]] = []
    for i, item in enumerate(items):
        options = [(s, False) for s in item.found] + [(s, True) for s in item.glued if s not in item.found]
        if not options:
            continue
        layer = []
        for spot, glued in options:
            if not layers:
                layer.append((_step(item, spot, glued, None), spot, glued, i, -1))
                continue
            best = None
            for k, (cost, pspot, _, pi, _) in enumerate(layers[-1]):
                step = _step(item, spot, glued, (pspot, items[pi].label))
                total = tuple(a + b for a, b in zip(cost, step, strict=True))
                if best is None or total < best[0]:
                    best = (total, k)
            layer.append((best[0], spot, glued, i, best[1]))
        layers.append(layer)
    out: list[Placed | None] = [None] * len(items)
    if not layers:
        return out
    k = min(range(len(layers[-1])), key=lambda j: layers[-1][j][0])
    for depth in range(len(layers) - 1, -1, -1):
        cost, spot, glued, i, back = layers[depth][k]
        prev = layers[depth - 1][back] if depth else None
        in_order = prev is None or _step(items[i], spot, glued, (prev[1], items[prev[3]].label))[0] == 0
        out[i] = Placed(spot, in_order, glued)
        k = back
    return _unshare(items, out)


def _unshare(items: list[Item], placed: list[Placed | None]) -> list[Placed | None]:
    taken: dict[str, list[Spot]] = {}
    for item, p in zip(items, placed, strict=True):
        if p is None:
            continue
        used = taken.setdefault(item.label, [])
        if any(clash(p.spot, u, item.label) for u in used):
            free = [s for s in item.found + item.glued if not any(clash(s, u, item.label) for u in used)]
            if free:
                p.spot, p.in_order, p.glued = free[0], False, free[0] not in item.found
        used.append(p.spot)
    return placed
