"""Every use case of the activities service, on in-memory SQLite and the fictional plan: what is
stored, what is staged for the bus, and what is refused (as violations naming field and code).
The broker tests (tests/interface/test_activities.py) then only prove the wiring."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from libs.common.access import Caller
from libs.common.errors import BadRequest, Conflict, NotFound, PermissionDenied, StaleRevision
from libs.common.events import OrganisationChanged
from libs.common.plan import load_plan
from libs.common.plan.atlas import atlas_of
from libs.common.settings import REPO_ROOT
from services.activities import app
from services.activities.models import Activity, ActivityAudit, Base, OutboxEvent

PLAN = load_plan(REPO_ROOT / "tests" / "plans" / "fictional-county.yaml")
TODAY = dt.date(2024, 6, 30)
NOW = dt.datetime(2024, 6, 30, 12, tzinfo=dt.timezone.utc)
LIBRARY = Caller(org="qinglan-library", org_kind="department", role="reporter", token_id=1)
ASSOCIATION = Caller(org="qinglan-science-association", org_kind="body", role="reporter", token_id=2)
ADMIN = Caller(org="qinglan-science-association", org_kind="body", role="admin", token_id=3)
VIEWER = Caller(org="qinglan-library", org_kind="department", role="viewer", token_id=4)
TOWN = Caller(org="town-a", org_kind="town", role="reporter", token_id=5)
REPORT = {"activity_type": "star_night", "start_date": "2024-05-01", "quantities": {"booths": 3, "visitors": 200},
          "external_id": "lib-001", "town": "town-a"}


def organisation(code: str, kind: str, at: dt.datetime = NOW, name: str | None = None) -> OrganisationChanged:
    return OrganisationChanged(code=code, name=name or code, kind=kind, changed_at=at)


@pytest.fixture
def ctx():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        app.apply_organisations(session, [organisation("town-a", "town"), organisation("town-b", "town"),
                                          organisation("qinglan-library", "department"),
                                          organisation("qinglan-science-association", "body")])
        yield app.Context(session, atlas_of([PLAN]), TODAY)


def staged(ctx) -> list[dict]:
    return [json.loads(row.body) for row in ctx.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]


def count(ctx, model) -> int:
    return ctx.session.scalar(select(func.count()).select_from(model))


def test_a_report_is_stored_with_its_audit_entry_and_its_event_and_a_resend_changes_nothing(ctx):
    first = app.report_one(ctx, LIBRARY, REPORT)
    again = app.report_one(ctx, LIBRARY, REPORT)
    assert first["created"] is True and again == {**first, "created": False}
    assert (first["org"], first["revision"], first["end_date"]) == ("qinglan-library", 1, "2024-05-01")
    (event,) = staged(ctx)
    assert event["type"] == "activity_recorded" and event["payload"]["activity_id"] == first["activity_id"]
    assert event["payload"]["quantities"] == {"booths": 3.0, "visitors": 200.0}
    assert count(ctx, ActivityAudit) == 1


def test_a_report_is_refused_with_violations_naming_field_and_code_and_nothing_is_stored(ctx):
    bad = {**REPORT, "town": "qinglan-library", "co_organisers": ["ghost"], "quantities": {"booths": 2.5}}
    with pytest.raises(BadRequest) as info:
        app.report_one(ctx, LIBRARY, bad)
    assert [(v.field, v.code) for v in info.value.violations] == [("quantities.booths", "quantity_out_of_bounds")]
    with pytest.raises(BadRequest) as info:
        app.report_one(ctx, LIBRARY, {**bad, "quantities": {"booths": 2}})
    assert [(v.field, v.code) for v in info.value.violations] == [("town", "unknown_town"),
                                                                  ("co_organisers.0", "unknown_organisation")]
    assert count(ctx, Activity) == 0 and staged(ctx) == []


def test_an_external_id_reused_for_other_content_is_a_conflict(ctx):
    app.report_one(ctx, LIBRARY, REPORT)
    with pytest.raises(Conflict) as info:
        app.report_one(ctx, LIBRARY, {**REPORT, "quantities": {"booths": 4}})
    assert [v.code for v in info.value.violations] == ["external_id_reused"]
    assert app.report_one(ctx, ASSOCIATION, REPORT)["created"] is True  # another org's id space


def test_a_batch_is_all_or_nothing_by_default_naming_rows(ctx):
    rows = [{**REPORT, "external_id": f"b-{i}"} for i in range(3)]
    rows[1] = {**rows[1], "start_date": "2024-12-01"}
    with pytest.raises(BadRequest) as info:
        app.report_batch(ctx, LIBRARY, rows)
    assert [(v.field, v.code) for v in info.value.violations] == [("rows[1].start_date", "in_future")]
    assert count(ctx, Activity) == 0


def test_a_batch_may_skip_invalid_rows_and_stores_one_event_for_the_rest(ctx):
    rows = [{**REPORT, "external_id": f"b-{i}"} for i in range(3)] + [{**REPORT, "external_id": "b-9", "town": "x"}]
    result = app.report_batch(ctx, LIBRARY, rows, skip_invalid=True)
    assert (result.created, result.invalid, result.stored) == (3, 1, True)
    assert [(v.field, v.code) for v in result.results[3].violations] == [("town", "unknown_town")]
    (event,) = staged(ctx)
    assert event["type"] == "activities_recorded" and len(event["payload"]["activities"]) == 3


def test_a_dry_run_says_what_would_happen_and_stores_nothing(ctx):
    app.report_one(ctx, LIBRARY, REPORT)
    rows = [REPORT, {**REPORT, "external_id": "new"}, {**REPORT, "quantities": {"booths": 9}}]
    result = app.report_batch(ctx, LIBRARY, rows, validate_only=True, correct_changed=True)
    assert [r.outcome for r in result.results] == ["unchanged", "created", "invalid"]
    assert not result.stored and result.results[2].violations[0].code == "external_id_repeated"
    assert count(ctx, Activity) == 1


def test_a_changed_resend_becomes_a_correction_when_asked(ctx):
    app.report_one(ctx, LIBRARY, REPORT)
    result = app.report_batch(ctx, LIBRARY, [{**REPORT, "quantities": {"booths": 5}}], correct_changed=True)
    assert result.corrected == 1 and result.results[0].activity["revision"] == 2


def test_a_group_of_single_reports_answers_each_as_if_sent_alone(ctx):
    answers = app.report_group(ctx, LIBRARY, [REPORT, REPORT, {**REPORT, "external_id": "x", "town": "nowhere"}])
    assert answers[0].created and not answers[1].created
    assert answers[1].activity["activity_id"] == answers[0].activity["activity_id"]
    assert answers[2].refusal == "BadRequest" and [v.code for v in answers[2].violations] == ["unknown_town"]
    with pytest.raises(BadRequest):
        answers[2].result()
    assert len(staged(ctx)) == 1


def test_a_correction_needs_the_current_revision_and_a_retraction_a_reason(ctx):
    first = app.report_one(ctx, LIBRARY, REPORT)
    changed = {**REPORT, "quantities": {"booths": 7}}
    with pytest.raises(BadRequest) as info:
        app.correct(ctx, LIBRARY, first["activity_id"], 0, changed)
    assert [v.field for v in info.value.violations] == ["revision"]
    corrected, did = app.correct(ctx, LIBRARY, first["activity_id"], 1, changed, "typo")
    assert did and corrected["revision"] == 2 and corrected["quantities"]["booths"] == 7
    assert app.correct(ctx, LIBRARY, first["activity_id"], 1, changed)[1] is False  # a retried correction
    with pytest.raises(StaleRevision):
        app.retract(ctx, LIBRARY, first["activity_id"], 1, "held twice")
    with pytest.raises(BadRequest) as info:
        app.retract(ctx, LIBRARY, first["activity_id"], 2, "  ")
    assert [(v.field, v.code) for v in info.value.violations] == [("reason", "missing")]
    retracted, did = app.retract(ctx, LIBRARY, first["activity_id"], 2, "held twice")
    assert did and retracted["retracted"] and retracted["revision"] == 3
    history = app.history(ctx, LIBRARY, first["activity_id"])
    assert [(h["action"], h["reason"]) for h in history] == [("recorded", None), ("corrected", "typo"),
                                                           ("retracted", "held twice")]
    assert [e["payload"]["revision"] for e in staged(ctx)] == [1, 2, 3]


def test_only_the_reporter_or_an_admin_changes_an_activity_and_a_viewer_writes_nothing(ctx):
    first = app.report_one(ctx, LIBRARY, REPORT)
    with pytest.raises(PermissionDenied):
        app.retract(ctx, ASSOCIATION, first["activity_id"], 0, "not mine")
    with pytest.raises(PermissionDenied):
        app.report_one(ctx, VIEWER, REPORT)
    with pytest.raises(PermissionDenied):
        app.get(ctx, ASSOCIATION, first["activity_id"])
    assert app.retract(ctx, ADMIN, first["activity_id"], 0, "duplicate")[1] is True
    with pytest.raises(NotFound):
        app.get(ctx, ADMIN, "nope")


def test_a_town_reports_only_in_the_town_and_reads_what_was_held_there(ctx):
    with pytest.raises(BadRequest) as info:
        app.report_one(ctx, TOWN, {**REPORT, "town": "town-b"})
    assert [v.code for v in info.value.violations] == ["outside_own_town"]
    held_there = app.report_one(ctx, LIBRARY, REPORT)
    assert app.get(ctx, TOWN, held_there["activity_id"])["town"] == "town-a"


def test_the_listing_pages_by_key_newest_first(ctx):
    for day in range(1, 6):
        app.report_one(ctx, LIBRARY, {**REPORT, "external_id": f"d{day}", "start_date": f"2024-05-0{day}"})
    first = app.list_page(ctx, LIBRARY, {}, page_size=2)
    second = app.list_page(ctx, LIBRARY, {}, page_size=2, page_token=first["next_page_token"])
    days = [a["start_date"][-1] for a in first["activities"] + second["activities"]]
    assert days == ["5", "4", "3", "2"]
    with pytest.raises(BadRequest) as info:
        app.list_page(ctx, LIBRARY, {"start_date_from": "2024/05/01"})
    assert [v.field for v in info.value.violations] == ["start_date_from"]
    with pytest.raises(PermissionDenied):
        app.list_page(ctx, LIBRARY, {"org": "qinglan-science-association"})


def test_the_copy_of_the_organisations_keeps_the_newest_state_of_each(ctx):
    later = NOW + dt.timedelta(minutes=1)
    assert app.apply_organisations(ctx.session, [organisation("town-c", "town", later)]) == 1
    assert app.apply_organisations(ctx.session, [organisation("town-c", "town", later)]) == 0  # redelivered
    assert app.apply_organisations(ctx.session, [organisation("town-c", "village", NOW)]) == 0  # older
    assert app.report_one(ctx, LIBRARY, {**REPORT, "town": "town-c"})["created"]


def test_an_empty_copy_asks_organisations_once(ctx):
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as empty:
        assert app.ask_for_reference(empty, NOW) is True
        (row,) = empty.scalars(select(OutboxEvent))
        assert json.loads(row.body)["payload"]["service"] == "activities"
        app.apply_organisations(empty, [organisation("town-a", "town")])
        assert app.ask_for_reference(empty, NOW) is False
    assert app.ask_for_reference(ctx.session, NOW) is False


def test_a_replay_sends_every_activity_then_the_count(ctx):
    for i in range(3):
        app.report_one(ctx, LIBRARY, {**REPORT, "external_id": f"r{i}"})
    sent = []
    assert app.replay(ctx.session, "run-1", sent.extend) == 3
    assert [e.type for e in sent] == ["activity_recorded"] * 3 + ["rebuild_replayed"]
    assert all(e.event_id.startswith("replay-run-1-") for e in sent[:3])
