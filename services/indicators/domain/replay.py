"""Which of a rebuild's replayed messages belong to the running rebuild.

The activities service replays the current revision of every activity onto the rebuild queue,
each under an event id made of the run and the activity, then a count. Messages of another run
(superseded, or from before a restart of the command) are not this run's and are dropped.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from libs.common.events import ACTIVITY_RECORDED, REBUILD_REPLAYED, ActivityRecorded, Envelope, replay_event_id


@dataclass(frozen=True)
class Replayed:
    """What a batch of replayed messages brings to one run."""

    activities: list[tuple[str, ActivityRecorded]]  # each replayed activity with its event id
    count: int | None  # how many the replay holds, once its end has come (None: not yet)


def replayed_for(run: str, envelopes: Sequence[Envelope]) -> Replayed:
    """The activities and the closing count of ``run`` among these messages."""
    activities, count = [], None
    for envelope in envelopes:
        if envelope.type == REBUILD_REPLAYED:
            marker = envelope.typed_payload()
            if marker.run == run:
                count = marker.count
        elif envelope.type == ACTIVITY_RECORDED:
            activity = envelope.typed_payload()
            if envelope.event_id == replay_event_id(run, activity.activity_id):
                activities.append((envelope.event_id, activity))
    return Replayed(activities, count)


def replay_complete(expected: int | None, replayed: int) -> bool:
    """Whether every activity of the replay is in: its count has come and as many are stored."""
    return expected is not None and replayed >= expected
