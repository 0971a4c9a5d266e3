"""A parsed sheet sent through the gateway's batch call, batch by batch, and what came back: one
definition for ``kepu import`` and the portal's 批量导入.

Every row goes with the stable external_id the sheet reader gave it and ``correct_changed``, so
importing a file again changes nothing and an edited quantity becomes a correction.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from libs.client.sheets import ParsedSheet, Problem
from libs.common.contracts.activity import ActivityReport

MAX_BATCH = 1000  # the gateway's largest batch


@dataclass
class Tally:
    """What the batches did (or, checking, would do), and each problem at its row and column."""

    created: int = 0
    unchanged: int = 0
    corrected: int = 0
    invalid: int = 0
    conflicts: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, answer, sheet: ParsedSheet, offset: int) -> None:
        for name in ("created", "unchanged", "corrected", "invalid", "conflicts"):
            setattr(self, name, getattr(self, name) + getattr(answer, name))
        for result in answer.results:
            row = sheet.rows[offset + result.index].row
            self.problems += [Problem(row, column_of(sheet, v.field), v.description) for v in result.violations]

    @property
    def problem_rows(self) -> int:
        return len({p.row for p in self.problems})


def column_of(sheet: ParsedSheet, field: str) -> str:
    """The column a server's violation points at: the file's own header for the field, else the
    contract's Chinese title of the field (a column the file does not have, e.g. 编号)."""
    found = sheet.column_for(field)
    if found:
        return found
    name = field.split(".")[0]
    return (ActivityReport.model_fields[name].title or "") if name in ActivityReport.model_fields else ""


def send(client, sheet: ParsedSheet, batch: int, validate_only: bool, skip_invalid: bool,
         progress: Callable[[int], None] = lambda sent: None) -> Tally:
    """Every row of ``sheet`` in batches of ``batch`` (checking only, with ``validate_only``);
    ``progress`` hears how many rows were sent after each batch. The sheet's own problems (rows
    that could not even be read) lead the tally's."""
    tally = Tally()
    for offset in range(0, len(sheet.rows), min(batch, MAX_BATCH)):
        rows = [r.report for r in sheet.rows[offset:offset + min(batch, MAX_BATCH)]]
        answer = client.report_batch(rows, skip_invalid=skip_invalid or validate_only, validate_only=validate_only,
                                     correct_changed=True)
        tally.add(answer, sheet, offset)
        progress(offset + len(rows))
    tally.problems = [*sheet.problems, *tally.problems]
    return tally
