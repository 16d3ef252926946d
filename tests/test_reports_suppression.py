"""Publication-safe tables: no hidden count can be worked out from the published table and its
margins, and what is shown is the truth.

The attacker here is independent of suppression.py's own check: a plain search over integer
tables that agree with everything published ("<5" cells in 1..4, "x" cells 0 or at least 5, shown
cells and margins as shown), looking for one in which the hidden entry differs from its true
value. The attacker is even told an upper bound from the true total, which only helps them."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpline.reports.suppression import PublishedTable, suppress, with_margins

Position = tuple[int, int]


def _allowed(value: int, position: Position, table: PublishedTable) -> bool:
    k = table.threshold
    if position in table.primary:
        return 1 <= value < k
    return value == 0 or value >= k


def another_solution(table: PublishedTable, truth: list[list[int]], target: Position) -> bool:
    """Is there a table agreeing with everything published where `target` differs from the truth?"""
    rows, columns = table.rows, table.columns
    hidden_cells = [(i, j) for i in range(rows) for j in range(columns) if (i, j) in table.suppressed]
    cap = truth[rows][columns] + table.threshold
    value: dict[Position, int] = {
        (i, j): truth[i][j] for i in range(rows) for j in range(columns) if (i, j) not in table.suppressed
    }

    def margin_ok(total: int, position: Position) -> bool:
        if position in table.suppressed:
            return _allowed(total, position, table)
        return total == truth[position[0]][position[1]]

    def complete_row(i: int) -> bool:
        return all((i, j) in value for j in range(columns))

    def complete_column(j: int) -> bool:
        return all((i, j) in value for i in range(rows))

    def partial_ok(i: int, j: int) -> bool:
        row_sum = sum(value.get((i, c), 0) for c in range(columns))
        column_sum = sum(value.get((r, j), 0) for r in range(rows))
        if (i, columns) not in table.suppressed and row_sum > truth[i][columns]:
            return False
        if (rows, j) not in table.suppressed and column_sum > truth[rows][j]:
            return False
        if complete_row(i) and not margin_ok(row_sum, (i, columns)):
            return False
        if complete_column(j) and not margin_ok(column_sum, (rows, j)):
            return False
        if len(value) == rows * columns:
            total = sum(value.values())
            if not margin_ok(total, (rows, columns)):
                return False
            t = target
            if t[0] < rows and t[1] < columns:
                return value[t] != truth[t[0]][t[1]]
            if t[1] == columns and t[0] < rows:
                return sum(value[(t[0], c)] for c in range(columns)) != truth[t[0]][columns]
            if t[0] == rows and t[1] < columns:
                return sum(value[(r, t[1])] for r in range(rows)) != truth[rows][t[1]]
            return total != truth[rows][columns]
        return True

    def search(n: int) -> bool:
        if n == len(hidden_cells):
            return partial_ok(rows - 1, columns - 1) if hidden_cells else False
        i, j = hidden_cells[n]
        for v in range(cap + 1):
            if not _allowed(v, (i, j), table):
                continue
            value[(i, j)] = v
            if partial_ok(i, j) and search(n + 1):
                del value[(i, j)]
                return True
            del value[(i, j)]
        return False

    if not hidden_cells:
        return False
    return search(0)


small_counts = st.integers(0, 9).map(lambda v: v if v < 7 else v * 2)
tables = st.integers(1, 3).flatmap(
    lambda columns: st.lists(
        st.lists(small_counts, min_size=columns, max_size=columns), min_size=1, max_size=3
    )
)


@settings(max_examples=60, deadline=None)
@given(tables)
def test_no_hidden_count_can_be_recovered_from_the_published_table(cells: list[list[int]]) -> None:
    table = suppress(cells)
    truth = with_margins(cells)
    if table.withheld:  # nothing of it is published
        assert all(entry == "x" for row in table.grid for entry in row)
        return
    for position in table.suppressed:
        assert another_solution(table, truth, position), (cells, table.grid, position)


@settings(max_examples=200, deadline=None)
@given(tables, st.integers(2, 8))
def test_shown_cells_keep_their_true_values_and_every_small_count_is_hidden(
    cells: list[list[int]], k: int
) -> None:
    table = suppress(cells, threshold=k)
    truth = with_margins(cells)
    for i, row in enumerate(truth):
        for j, value in enumerate(row):
            if table.withheld:
                assert table.grid[i][j] == "x"
            elif (i, j) in table.suppressed:
                assert table.grid[i][j] in {f"<{k}", "x"}
                assert (table.grid[i][j] == f"<{k}") == (0 < value < k)
            else:
                assert table.grid[i][j] == str(value)
                assert not 0 < value < k


def test_a_lone_small_count_takes_a_neighbour_in_its_row_and_column_with_it() -> None:
    table = suppress([[3, 20, 30], [40, 50, 60]])
    assert table.grid[0][0] == "<5"
    hidden_in_row = sum(table.grid[0][j] in {"<5", "x"} for j in range(4))
    hidden_in_column = sum(table.grid[i][0] in {"<5", "x"} for i in range(3))
    assert hidden_in_row >= 2 and hidden_in_column >= 2


def test_a_table_whose_counts_are_forced_by_a_small_total_is_withheld() -> None:
    table = suppress([[1, 1], [1, 1]])
    assert table.withheld and {e for row in table.grid for e in row} == {"x"}


@pytest.mark.parametrize(
    "cells",
    [
        [[44, 1, 0], [247, 7, 0]],
        # the demo year's CHI age groups by channel (SMS, chat and the rest never used)
        [
            [244, 44, 13, 1, 2, 0, 0],
            [1501, 247, 78, 7, 8, 0, 0],
            [1944, 337, 133, 19, 11, 0, 0],
            [1323, 244, 73, 5, 7, 0, 0],
            [1133, 198, 91, 9, 4, 0, 0],
            [81, 14, 5, 1, 0, 0, 0],
            [14850, 1018, 275, 10, 18, 0, 0],
        ],
    ],
    ids=["small", "demo-age-groups"],
)
def test_a_table_with_a_few_small_counts_among_large_ones_is_published(cells: list[list[int]]) -> None:
    """The check knows that an "x" is 0 or at least the threshold, as the attacker does: when it
    did not, its solver put 1 to 4 into an "x", the exact check refused that table, every hidden
    entry was taken as forced, and cell after cell was hidden until the whole table was withheld
    (the CHI export for publication then took minutes a section and published no figure)."""
    table = suppress(cells)
    assert not table.withheld
    assert len(table.suppressed) <= (len(cells) + 1) * (len(cells[0]) + 1) // 3
    truth = with_margins(cells)
    if len(cells) < 3:  # the attacker's plain search is quick only on a small table
        for position in table.suppressed:
            assert another_solution(table, truth, position), (table.grid, position)


def test_a_table_without_small_counts_is_published_whole() -> None:
    table = suppress([[0, 20], [7, 50]])
    assert table.suppressed == frozenset()
    assert table.grid == [["0", "20", "20"], ["7", "50", "57"], ["7", "70", "77"]]


@pytest.mark.parametrize("bad", [[[-1, 2]]])
def test_negative_counts_are_refused(bad: Sequence[Sequence[int]]) -> None:
    with pytest.raises(ValueError):
        suppress(bad)
