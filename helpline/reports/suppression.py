"""Publication-safe tables (Article 49: nothing published may single a child out).

`suppress(cells, k)` takes a table of counts, adds its margins (row totals, column totals, the
grand total) and hides:

* primary: every count from 1 to k-1, cell or margin, shown as "<k";
* complementary: further cells, shown as "x", until no hidden count can be worked out from what is
  shown. A line (row or column, margins included) with exactly one hidden entry gives it away by
  subtraction, so every line hides none or at least two; and since two hidden cells can still be
  pinned by the lines crossing them, each hidden entry's feasible values are then computed exactly
  (a small integer programme over the published table: "<k" cells lie in 1..k-1, "x" cells are 0
  or at least k) and another cell is hidden beside any entry left with a single possible value.

A table that cannot be protected that way (all of it hidden and still one count forced, as when
every cell is 1 and the total is under k) is withheld whole: every entry "x", `withheld` set.

Zeros are published: "nobody" identifies no one. Shown cells keep their true values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

DEFAULT_THRESHOLD = 5
HIDDEN = "x"

Position = tuple[int, int]


@dataclass(frozen=True)
class PublishedTable:
    """The table with its margins: grid[i][j] for i < rows, j < columns are cells; column
    `columns` holds row totals and row `rows` column totals (grid[rows][columns]: the total)."""

    grid: list[list[str]]
    rows: int
    columns: int
    primary: frozenset[Position]
    complementary: frozenset[Position]
    threshold: int
    withheld: bool = False

    @property
    def suppressed(self) -> frozenset[Position]:
        return self.primary | self.complementary


def with_margins(cells: Sequence[Sequence[int]]) -> list[list[int]]:
    columns = len(cells[0]) if cells else 0
    grid = [[*row, sum(row)] for row in cells]
    totals = [sum(row[j] for row in cells) for j in range(columns)]
    return [*grid, [*totals, sum(totals)]]


def _lines(rows: int, columns: int) -> list[list[Position]]:
    """Every row and column of the grid with margins (each sums to its last entry)."""
    return [[(i, j) for j in range(columns + 1)] for i in range(rows + 1)] + [
        [(i, j) for i in range(rows + 1)] for j in range(columns + 1)
    ]


def feasible_range(
    grid: Sequence[Sequence[int]],
    primary: set[Position],
    complementary: set[Position],
    threshold: int,
    tick: Callable[[], None] | None = None,
) -> dict[Position, tuple[int, int]]:
    """The smallest and largest value each hidden entry can take, given everything shown. `tick`
    is called after each entry's pair of solves (a large table takes minutes: its caller shows
    that the work still moves)."""
    hidden = sorted(primary | complementary)
    if not hidden:
        return {}
    rows, columns = len(grid) - 1, len(grid[0]) - 1
    index = {p: n for n, p in enumerate(hidden)}
    # No entry exceeds the grand total: a bound as loose as the truth allows, yet small enough that
    # the solver's tolerance cannot turn "0 or at least k" into "a little more than 0".
    big = float(grid[rows][columns] + threshold)
    flags = [p for p in hidden if p in complementary]  # one 0/1 variable each: 0 or >= threshold
    size = len(hidden) + len(flags)
    matrix: list[np.ndarray] = []
    rhs: list[float] = []
    bounded: list[np.ndarray] = []  # in pairs: x - k*b >= 0, x - BIG*b <= 0
    for line in _lines(rows, columns):
        # cells minus the margin (last entry) = 0; shown entries move to the right-hand side
        coefficients = np.zeros(size)
        constant = 0.0
        for position in line:
            sign = -1.0 if position == line[-1] else 1.0
            if position in index:
                coefficients[index[position]] += sign
            else:
                constant -= sign * grid[position[0]][position[1]]
        if coefficients.any():
            matrix.append(coefficients)
            rhs.append(constant)
    for n, position in enumerate(flags):
        # threshold*b <= x <= BIG*b
        low = np.zeros(size)
        low[index[position]], low[len(hidden) + n] = 1.0, -float(threshold)
        high = np.zeros(size)
        high[index[position]], high[len(hidden) + n] = 1.0, -big
        bounded += [low, high]
    lower = np.array([1.0 if p in primary else 0.0 for p in hidden] + [0.0] * len(flags))
    upper = np.array([float(threshold - 1) if p in primary else big for p in hidden] + [1.0] * len(flags))
    equal = list(zip(matrix, rhs, strict=True))
    constraints = []
    if equal:
        constraints.append(
            LinearConstraint(np.array([r for r, _ in equal]), [v for _, v in equal], [v for _, v in equal])
        )
    if bounded:
        # rows in pairs: x - k*b >= 0, x - BIG*b <= 0
        a = np.array(bounded)
        constraints.append(LinearConstraint(a[0::2], 0.0, np.inf))
        constraints.append(LinearConstraint(a[1::2], -np.inf, 0.0))
    out: dict[Position, tuple[int, int]] = {}
    for position in hidden:
        ends = []
        for sense in (1.0, -1.0):
            objective = np.zeros(size)
            objective[index[position]] = sense
            result = milp(
                objective,
                constraints=constraints,
                integrality=np.ones(size),
                bounds=Bounds(lower, upper),
            )
            found = result.success and _exact(result.x[: len(hidden)], hidden, grid, primary, threshold)
            # A solution that fails the exact check counts as none: the entry is taken as pinned
            # and more is hidden (never less).
            ends.append(round(sense * result.fun) if found else grid[position[0]][position[1]])
        out[position] = (ends[0], ends[1])
        if tick is not None:
            tick()
    return out


def _exact(
    values: np.ndarray,
    hidden: list[Position],
    grid: Sequence[Sequence[int]],
    primary: set[Position],
    threshold: int,
) -> bool:
    """The solver's table, rounded, checked in whole numbers: every line adds up and every hidden
    entry keeps to what its mark says."""
    table = [list(row) for row in grid]
    for position, value in zip(hidden, values, strict=True):
        table[position[0]][position[1]] = round(float(value))
    for position in hidden:
        v = table[position[0]][position[1]]
        if (position in primary and not 1 <= v < threshold) or (
            position not in primary and 0 < v < threshold
        ):
            return False
        if v < 0:
            return False
    rows, columns = len(grid) - 1, len(grid[0]) - 1
    return all(
        sum(table[i][j] for i, j in line[:-1]) == table[line[-1][0]][line[-1][1]]
        for line in _lines(rows, columns)
    )


def _pick(
    line: list[Position], grid: Sequence[Sequence[int]], hidden: set[Position], rows: int, columns: int
) -> Position | None:
    """The cell to hide beside a lone hidden one: the smallest non-zero cell (least information
    lost), margins last, zeros only when nothing else is left."""
    shown = [p for p in line if p not in hidden]
    if not shown:
        return None

    def cost(p: Position) -> tuple[int, int, int]:
        value = grid[p[0]][p[1]]
        margin = p[0] == rows or p[1] == columns
        return (value == 0, margin, value)

    return min(shown, key=cost)


def suppress(
    cells: Sequence[Sequence[int]],
    threshold: int = DEFAULT_THRESHOLD,
    tick: Callable[[], None] | None = None,
) -> PublishedTable:
    if threshold < 2:
        raise ValueError("a threshold below 2 hides nothing")
    if any(v < 0 for row in cells for v in row):
        raise ValueError("counts are never negative")
    grid = with_margins(cells)
    rows, columns = len(grid) - 1, len(grid[0]) - 1
    primary = {(i, j) for i in range(rows + 1) for j in range(columns + 1) if 0 < grid[i][j] < threshold}
    complementary: set[Position] = set()
    lines = _lines(rows, columns)
    withheld = False
    while True:
        hidden = primary | complementary
        lone = next((line for line in lines if sum(p in hidden for p in line) == 1), None)
        if lone is not None:
            pick = _pick(lone, grid, hidden, rows, columns)
            if pick is not None:
                complementary.add(pick)
                continue
        pinned = [
            p
            for p, (low, high) in feasible_range(grid, primary, complementary, threshold, tick).items()
            if low == high
        ]
        if not pinned:
            break
        hidden = primary | complementary
        candidates = [
            pick
            for line in lines
            if pinned[0] in line
            for pick in [_pick(line, grid, hidden, rows, columns)]
            if pick is not None
        ]
        if not candidates:
            # Everything in its lines is hidden already: hide the rest of the table.
            rest = {(i, j) for i in range(rows + 1) for j in range(columns + 1)} - hidden
            if not rest:
                withheld = True
                break
            complementary |= rest
            continue
        complementary.add(min(candidates, key=lambda p: (grid[p[0]][p[1]] == 0, grid[p[0]][p[1]])))
    if withheld:
        every = frozenset((i, j) for i in range(rows + 1) for j in range(columns + 1))
        grid_hidden = [[HIDDEN] * (columns + 1) for _ in range(rows + 1)]
        return PublishedTable(grid_hidden, rows, columns, frozenset(), every, threshold, withheld=True)
    shown = [
        [
            f"<{threshold}" if (i, j) in primary else HIDDEN if (i, j) in complementary else str(grid[i][j])
            for j in range(columns + 1)
        ]
        for i in range(rows + 1)
    ]
    return PublishedTable(shown, rows, columns, frozenset(primary), frozenset(complementary), threshold)
