"""Namesakes in a role: the persons drawn for a role (buyers) include pairs who share a name.

The recipe's `namesakes.people` gives a tenth of the persons another's first and last name, but
a role of eight buyers out of hundreds of persons rarely holds such a pair, so a gold that
groups purchase orders by `PERSON_ID, FULL_NAME` returns the same rows as its neighbour that
groups by `FULL_NAME` alone. EBS keys no person by name (PER_ALL_PEOPLE_F's unique key is the
person id and its dates), so two buyers may share one: `with_namesakes` swaps a few of the
drawn persons for namesakes of others. Nothing is renamed, so every copy of a person's name
(logins, parties) stays as the generator made it, and a swap keeps the role's size and order,
so what the other persons of the role own (a buyer's orders) stays theirs.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from harness.datagen.generic import is_null


def with_namesakes(rng: np.random.Generator, names: np.ndarray, picked: np.ndarray,
                   pairs: int) -> np.ndarray:
    """`picked` (distinct positions of `names`, in the role's order) with persons swapped in
    place until `pairs` pairs of the picks share a name, or no swap can add one: first a
    namesake of a pick for another pick, else two namesakes for two picks. No pair among the
    picks loses a member."""
    out = np.array(picked, dtype=np.int64).copy()
    present = ~is_null(names)
    by_name: dict[object, list[int]] = {}
    for i in np.flatnonzero(present):
        by_name.setdefault(names[i], []).append(int(i))
    while True:
        counts = Counter(names[p] for p in out if present[p])
        if sum(n > 1 for n in counts.values()) >= pairs:
            return out
        free, seen = [], Counter()
        for i, p in enumerate(out):  # no pair loses a member: only lone picks, or a third
            if present[p]:
                seen[names[p]] += 1
            if not present[p] or counts[names[p]] == 1 or seen[names[p]] > 2:
                free.append(i)
        chosen = set(out.tolist())
        # a pick whose name another (unpicked) person shares
        anchors = [i for i in free if present[out[i]]
                   and any(q not in chosen for q in by_name[names[out[i]]])]
        if anchors and len(free) > 1:
            a = int(rng.choice(anchors))
            twin = int(rng.choice([q for q in by_name[names[out[a]]] if q not in chosen]))
            out[int(rng.choice([i for i in free if i != a]))] = twin
            continue
        groups = [g for g in by_name.values() if sum(q not in chosen for q in g) > 1]
        if not groups or len(free) < 2:
            return out
        group = [q for q in groups[int(rng.integers(len(groups)))] if q not in chosen]
        slots = rng.choice(free, 2, replace=False)
        out[slots] = rng.choice(group, 2, replace=False)
