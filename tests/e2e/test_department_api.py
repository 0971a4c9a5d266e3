"""The whole kepu.v1 API through a real gateway with the real services behind it, as department
systems use it: every RPC, the roles, batches, corrections flowing to /metrics, the watch
stream, spreadsheet imports, a client built from proto/ alone, and TLS.

One system (`kepu run`) serves the whole module; each test works on its own activity types,
years or organisations, so they do not disturb each other's figures. gRPC calls go through
``tests/e2e/grpc_driver.py`` (grpcio cannot run in this eventlet-patched process).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from libs.cli.common import wait_until_activities_know
from libs.cli.orgs import issue_token
from libs.common.rpc import ClusterRpcProxy
from libs.common.settings import REPO_ROOT
from libs.localenv.ports import free_port, free_range
from tests.certificates import self_signed
from tests.e2e.system import Driver, kepu, metric, start_system, stop_system, wait_for_metric
from tests.eventually import eventually

pytestmark = pytest.mark.e2e
AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def api(vhost_pipeline, broker_uris, tmp_path_factory):
    """`kepu run` on its own vhost, with example towns and a token per role."""
    with vhost_pipeline.get() as vhost:
        parts = urlsplit(broker_uris[0])
        amqp = f"{parts.scheme}://{parts.netloc}/{vhost}"
        var = tmp_path_factory.mktemp("api")
        env = {**os.environ, "KEPU_AMQP_URI": amqp, "KEPU_MANAGE_BROKER": "false", "KEPU_VAR_DIR": str(var),
               "KEPU_GRPC_PORT": str(free_port()), "KEPU_METRICS_PORT_BASE": str(free_range(6)),
               "KEPU_AS_OF": AS_OF, "KEPU_EVALUATE_INTERVAL": "3600", "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        proc, _ = start_system(env)
        driver = Driver(f"127.0.0.1:{env['KEPU_GRPC_PORT']}")
        try:
            with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=30) as rpc:
                for code, name in (("town-a", "示例镇甲"), ("town-b", "示例镇乙")):
                    rpc.organisations.register_org({"code": code, "name": name, "kind": "town", "is_example": True})
                assert wait_until_activities_know(rpc, ["town-a", "town-b"])
                issue = lambda org, role="reporter": issue_token(rpc.organisations, org, "test", role)[0]  # noqa
                tokens = {"cast": issue("cast"), "edu": issue("edu"), "edu_viewer": issue("edu", "viewer"),
                          "admin": issue("leading-group-office", "admin"), "town_a": issue("town-a"),
                          "women": issue("women-federation"), "agri": issue("agriculture")}
                expired_token, expired = issue_token(rpc.organisations, "edu", "soon gone", "reporter", "1h")
                revoked_token, revoked = issue_token(rpc.organisations, "edu", "revoked")
                rpc.organisations.revoke_token(revoked["token_id"])
            engine = create_engine(f"sqlite:///{var}/db/organisations.sqlite3")
            with engine.begin() as conn:  # an expiry in the past, without waiting an hour
                conn.execute(text("update api_tokens set expires_at = :t where id = :i"),
                             {"t": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), "i": expired["token_id"]})
            engine.dispose()
            tokens |= {"expired": expired_token, "revoked": revoked_token}
            yield {"env": env, "driver": driver, "tokens": tokens, "var": var, "vhost": vhost}
        finally:
            driver.close()
            stop_system(proc)


def report(activity_type: str, day: str, ext: str = "", town: str = "", **quantities) -> dict:
    return {"activity_type": activity_type, "start_date": day, "external_id": ext, "town": town,
            "quantities": quantities or {"sessions": 1}}


def actual_series(indicator: str, window: str, scope: str = "dangshan") -> str:
    return f'kepu_indicator_actual{{indicator="{indicator}",region="dangshan",scope="{scope}",window="{window}"}}'


def test_every_call_of_the_api_answers_through_the_gateway(api):
    d, t = api["driver"], api["tokens"]
    first = d.ok("ReportActivity", t["cast"], report("caravan_tour", "2023-03-01", "api-1", sessions=2,
                                                     participants=300))
    assert first["created"] is True and first["activity"]["org"] == "cast" and first["activity"]["revision"] == 1
    batch = d.ok("ReportActivities", t["cast"], {"rows": [report("caravan_tour", f"2023-04-0{i}", f"api-b{i}")
                                                          for i in range(1, 4)]})
    assert (batch["created"], batch["stored"]) == (3, True)
    assert [r["outcome"] for r in batch["results"]] == ["CREATED"] * 3
    aid = first["activity"]["activity_id"]
    corrected = d.ok("CorrectActivity", t["cast"], {"activity_id": aid, "revision": 1, "reason": "typo",
                                                    "content": report("caravan_tour", "2023-03-01", sessions=3)})
    assert corrected["activity"]["revision"] == 2 and corrected["activity"]["quantities"] == {"sessions": 3.0}
    assert corrected["activity"]["external_id"] == "api-1"  # kept when the content leaves it out
    assert d.ok("GetActivity", t["cast"], {"activity_id": aid})["revision"] == 2
    retracted = d.ok("RetractActivity", t["cast"], {"activity_id": batch["results"][0]["activity"]["activity_id"],
                                                     "reason": "entered twice"})["activity"]
    assert retracted["retracted"] is True and retracted["retract_reason"] == "entered twice"
    history = d.ok("GetActivityHistory", t["cast"], {"activity_id": aid})["entries"]
    assert [(e["action"], e["revision"], e["by_org"], e["by_role"]) for e in history] == [
        ("recorded", 1, "cast", "reporter"), ("corrected", 2, "cast", "reporter")]
    assert history[1]["reason"] == "typo" and int(history[1]["by_token_id"]) > 0

    page1 = d.ok("ListActivities", t["cast"], {"page_size": 2, "start_date_from": "2023-01-01",
                                               "start_date_to": "2023-12-31"})
    page2 = d.ok("ListActivities", t["cast"], {"page_size": 2, "page_token": page1["next_page_token"],
                                               "start_date_from": "2023-01-01", "start_date_to": "2023-12-31"})
    listed = page1["activities"] + page2["activities"]
    assert len(listed) == 3 and page2["next_page_token"] == ""  # the retracted one is left out
    assert [a["start_date"] for a in listed] == sorted((a["start_date"] for a in listed), reverse=True)

    assert wait_for_metric(api["env"], "indicators", actual_series("caravan-tours", "2023"), 5.0) == 5.0
    windows = d.ok("GetProgress", t["cast"], {"indicator": "caravan-tours"})["windows"]
    assert {(w["window"], w["scope"]) for w in windows} >= {("2023", "dangshan"), ("2023", "org:cast")}
    year = d.ok("ListProgress", t["admin"], {"year": 2023, "targets_only": True})
    caravan = next(p for p in year["indicators"] if p["indicator"] == "caravan-tours")
    assert caravan["total"]["actual"] == 5.0 and caravan["by_org"][0]["scope"] == "org:cast"
    assert all(not p["indicator"].startswith("track.") for p in year["indicators"])

    assert d.ok("GetOrganisation", t["admin"], {"code": "edu"})["name"] == "县教育局"
    assert d.ok("GetOrganisation", t["cast"], {"code": "cast"})["code"] == "cast"
    # the scope of ListOrganisations: another department is as unknown to cast as a made-up code
    assert d.call("GetOrganisation", t["cast"], {"code": "edu"})["code"] == "NOT_FOUND"
    assert d.call("GetOrganisation", t["cast"], {"code": "nowhere"})["code"] == "NOT_FOUND"
    towns = d.ok("ListOrganisations", t["admin"], {"kind": "town"})["organisations"]
    assert {o["code"] for o in towns} == {"town-a", "town-b"} and all(o["is_example"] for o in towns)
    assert [o["code"] for o in d.ok("ListOrganisations", t["cast"])["organisations"]] == ["cast"]
    alerts = d.ok("ListAlerts", t["cast"], {"state": "firing", "indicator": "caravan-tours"})["alerts"]
    assert {a["window"] for a in alerts} >= {"2021", "2022"} and all("cast" in a["recipients"] for a in alerts)
    plan = d.ok("GetPlan", t["edu"])
    caravan_type = next(a for a in plan["activity_types"] if a["code"] == "caravan_tour")
    assert caravan_type["quantities"] == ["sessions", "participants"] and plan["period_start"] == 2021
    assert {g["code"] for g in plan["target_groups"]} >= {"farmers", "youth"}
    assert any(i["tracking"] for i in plan["indicators"]) and any(o["code"] == "edu" for o in plan["organisations"])


@pytest.fixture(scope="module")
def stored(api):
    """An activity of each of cast, edu and town-a (held in town-a), for the authorisation table."""
    d, t = api["driver"], api["tokens"]
    made = {}
    for who, ext, town in (("cast", "auth-cast", "town-a"), ("edu", "auth-edu", ""), ("town_a", "auth-town", "")):
        made[who] = d.ok("ReportActivity", t[who], report("expert_school_tour", "2022-05-01", ext, town))["activity"]
    return made


# (token, action, whose activity, expected code)
MATRIX = [
    ("cast", "report", None, "OK"), ("cast", "correct", "cast", "OK"), ("cast", "correct", "edu", "PERMISSION_DENIED"),
    ("cast", "retract", "edu", "PERMISSION_DENIED"), ("cast", "get", "edu", "PERMISSION_DENIED"),
    ("cast", "list_other", "edu", "PERMISSION_DENIED"), ("cast", "history", "cast", "OK"),
    ("edu_viewer", "report", None, "PERMISSION_DENIED"), ("edu_viewer", "correct", "edu", "PERMISSION_DENIED"),
    ("edu_viewer", "retract", "edu", "PERMISSION_DENIED"), ("edu_viewer", "get", "edu", "OK"),
    ("edu_viewer", "get", "cast", "PERMISSION_DENIED"), ("edu_viewer", "history", "edu", "OK"),
    ("admin", "correct", "edu", "OK"), ("admin", "retract", "town_a", "OK"), ("admin", "get", "cast", "OK"),
    ("admin", "list_other", "edu", "OK"),
    ("town_a", "report", None, "OK"), ("town_a", "report_other_town", None, "INVALID_ARGUMENT"),
    ("town_a", "get", "cast", "OK"),  # held in town-a: the town's token covers it
    ("town_a", "correct", "cast", "PERMISSION_DENIED"), ("town_a", "get", "edu", "PERMISSION_DENIED"),
    ("expired", "get", "edu", "UNAUTHENTICATED"), ("revoked", "report", None, "UNAUTHENTICATED"),
    (None, "get", "edu", "UNAUTHENTICATED"), ("bogus", "report", None, "UNAUTHENTICATED"),
]


@pytest.mark.parametrize(("who", "action", "whose", "expected"), MATRIX,
                         ids=[f"{w}-{a}-{o}" for w, a, o, _ in MATRIX])
def test_who_may_do_what(api, stored, who, action, whose, expected):
    d = api["driver"]
    token = {None: None, "bogus": "kepu_not-a-token"}.get(who, api["tokens"].get(who))
    target = stored.get(whose) or {}
    current = d.ok("GetActivity", api["tokens"]["admin"], {"activity_id": target["activity_id"]}) if target else {}
    content = report("expert_school_tour", "2022-05-01", sessions=2, town=target.get("town", ""))
    call = {
        "report": ("ReportActivity", report("expert_school_tour", "2022-06-01")),
        "report_other_town": ("ReportActivity", report("expert_school_tour", "2022-06-01", town="town-b")),
        "correct": ("CorrectActivity", {"activity_id": target.get("activity_id"), "content": content,
                                        "revision": current.get("revision")}),
        "retract": ("RetractActivity", {"activity_id": target.get("activity_id"), "reason": "matrix"}),
        "get": ("GetActivity", {"activity_id": target.get("activity_id")}),
        "history": ("GetActivityHistory", {"activity_id": target.get("activity_id")}),
        "list_other": ("ListActivities", {"org": whose}),
    }[action]
    answer = d.call(call[0], token, call[1])
    assert (answer.get("code") or "OK") == expected, answer
    if expected == "UNAUTHENTICATED":
        assert "token" in answer["message"]
    if who == "expired":
        assert "expired" in answer["message"]


def test_a_batch_with_invalid_rows_stores_nothing_unless_invalid_rows_are_skipped(api):
    d, t = api["driver"], api["tokens"]
    rows = [report("rural_children_science", "2022-03-01", "kids-1"),
            report("rural_children_science", "2022-13-01", "kids-2"),
            report("rural_children_science", "2022-03-03", "kids-3", people=5)]
    refused = d.call("ReportActivities", t["cast"], {"rows": rows})
    assert refused["code"] == "INVALID_ARGUMENT"
    assert {f for f, _ in refused["violations"]} == {"rows[1].start_date", "rows[2].quantities.people"}
    assert d.ok("ListActivities", t["cast"], {"activity_type": "rural_children_science"})["activities"] == []
    checked = d.ok("ReportActivities", t["cast"], {"rows": rows, "validate_only": True})
    assert (checked["created"], checked["invalid"], checked["stored"]) == (1, 2, False)
    kept = d.ok("ReportActivities", t["cast"], {"rows": rows, "mode": "SKIP_INVALID"})
    assert [r["outcome"] for r in kept["results"]] == ["CREATED", "INVALID", "INVALID"] and kept["stored"]
    assert kept["results"][1]["violations"][0]["field"] == "start_date"
    again = d.ok("ReportActivities", t["cast"], {"rows": rows[:1]})
    assert again["results"][0]["outcome"] == "UNCHANGED" and again["stored"] is False
    too_many = d.call("ReportActivities", t["cast"], {"rows": [rows[0]] * 1001})
    assert too_many["code"] == "INVALID_ARGUMENT" and too_many["violations"][0][0] == "rows"


def test_corrections_and_retractions_reach_the_indicator_and_metrics(api):
    d, t, env = api["driver"], api["tokens"], api["env"]
    series = actual_series("rural-outreach", "2024")
    a = d.ok("ReportActivity", t["agri"], report("rural_outreach", "2024-04-01", "ro-1", sessions=2))["activity"]
    b = d.ok("ReportActivity", t["agri"], report("rural_outreach", "2024-04-02", "ro-2", sessions=1))["activity"]
    assert wait_for_metric(env, "indicators", series, 3.0) == 3.0
    d.ok("CorrectActivity", t["agri"], {"activity_id": a["activity_id"], "revision": 1,
                                        "content": report("rural_outreach", "2024-04-01", sessions=4)})
    assert wait_for_metric(env, "indicators", series, 5.0) == 5.0
    d.ok("RetractActivity", t["agri"], {"activity_id": b["activity_id"], "revision": 1, "reason": "not held"})
    assert wait_for_metric(env, "indicators", series, 4.0) == 4.0
    by_org = actual_series("rural-outreach", "2024", "org:agriculture")
    assert wait_for_metric(env, "indicators", by_org, 4.0) == 4.0
    stale = d.call("CorrectActivity", t["agri"], {"activity_id": a["activity_id"], "revision": 1,
                                                  "content": report("rural_outreach", "2024-04-01", sessions=9)})
    assert stale["code"] == "ABORTED" and "现在是第2版" in stale["message"]
    assert d.ok("GetActivity", t["agri"], {"activity_id": a["activity_id"]})["quantities"] == {"sessions": 4.0}
    retry = d.ok("CorrectActivity", t["agri"], {"activity_id": a["activity_id"], "revision": 1,
                                                "content": report("rural_outreach", "2024-04-01", sessions=4)})
    assert retry["activity"]["revision"] == 2  # the same correction resent: applied once


def gateway_watch_queues(rabbit_manager, vhost: str) -> list[str]:
    """The gateway's own queues of status changes (``services/gateway/watch.py``) on the broker."""
    return [q["name"] for q in rabbit_manager.get_queues(vhost) if q["name"].startswith("gateway-watch-")]


def test_a_department_watches_its_indicator_turn_as_reports_arrive(api, rabbit_manager):
    d, t = api["driver"], api["tokens"]
    # the gateway's first watchers: it binds its queue once the first stream is subscribed
    assert gateway_watch_queues(rabbit_manager, api["vhost"]) == []
    mine = d.send({"watch": "kepu.v1.IndicatorService/WatchStatusChanges", "token": t["women"],
                   "request": {"indicator": "smart-mother"}, "seconds": 6})
    others = d.send({"watch": "kepu.v1.IndicatorService/WatchStatusChanges", "token": t["edu"],
                     "request": {}, "seconds": 6})
    eventually(lambda: gateway_watch_queues(rabbit_manager, api["vhost"]), what="the gateway following status changes")
    d.ok("ReportActivity", t["women"], report("smart_mother", "2024-05-01", "sm-1", sessions=5))
    got = d.send({"collect": mine["stream"]})["messages"]
    assert any(m["indicator"] == "smart-mother" and m["window"] == "2024" and m["status"] == "achieved"
               and m["previous"] == "lagging" for m in got), got
    assert all(m.get("indicator") != "smart-mother" for m in d.send({"collect": others["stream"]})["messages"])


SHEET_HEADERS = ["编号", "活动类型", "活动名称", "开始日期", "结束日期", "镇（园区）", "对象人群", "协办单位", "场次", "人次"]


def _xlsx(path, rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(SHEET_HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_spreadsheet_import_dry_run_partial_reimport_and_edited_rows(api, tmp_path):
    env, d, t = api["env"], api["driver"], api["tokens"]
    token = ["--token", t["edu"]]
    rows = [[f"edu-{i}", "科普大篷车巡展", f"巡展{i}", dt.date(2022, 9, i), None, "town-a", "青少年", "cast", 1, 100]
            for i in range(1, 5)]
    bad = rows + [["edu-9", "科普大篷车巡展", "坏行", "2022/9/31", None, "", "", "", "abc", 1]]
    path = tmp_path / "活动.xlsx"
    _xlsx(path, bad)
    dry = kepu(env, "import", str(path), "--dry-run", *token, check=False)
    assert dry.returncode == 1 and "读取5行：将新增4条" in dry.stdout, dry.stdout + dry.stderr
    assert "第6行「开始日期」：「2022/9/31」：没有这一天" in dry.stderr  # row 6, by its column, in Chinese
    assert "第6行「场次」：「abc」不是数字" in dry.stderr
    refused = kepu(env, "import", str(path), *token, check=False)
    assert refused.returncode == 1 and "没有保存任何活动" in refused.stderr
    assert d.ok("ListActivities", t["edu"], {"activity_type": "caravan_tour"})["activities"] == []
    partial = kepu(env, "import", str(path), "--skip-invalid", *token)
    assert "新增4条" in partial.stdout
    again = kepu(env, "import", str(path), "--skip-invalid", *token)
    assert "新增0条，无变化4条" in again.stdout
    rows[1][8] = 3  # an edited number of sessions becomes a correction
    _xlsx(path, rows)
    edited = kepu(env, "import", str(path), *token)
    assert "新增0条，无变化3条，更正1条" in edited.stdout, edited.stdout
    listed = d.ok("ListActivities", t["edu"], {"activity_type": "caravan_tour"})["activities"]
    assert sorted(a["quantities"]["sessions"] for a in listed) == [1.0, 1.0, 1.0, 3.0]
    assert {a["town"] for a in listed} == {"town-a"} and listed[0]["co_organisers"] == ["cast"]


def test_gb18030_csv_imports_like_a_workbook_and_the_template_round_trips(api, tmp_path):
    env, t = api["env"], api["tokens"]
    template = tmp_path / "模板.xlsx"
    kepu(env, "import", "--template", str(template), "--token", t["agri"])
    from openpyxl import load_workbook

    headers = [c.value for c in next(load_workbook(template).active.iter_rows(max_row=1))]
    assert headers[:4] == ["编号", "活动类型", "活动名称", "开始日期"] and "场次" in headers and "人数" in headers
    csv = tmp_path / "培训.csv"
    csv.write_bytes(textwrap.dedent("""\
        活动类型,活动名称,开始日期,对象人群,人数
        高素质农民培育,果树栽培培训,2023-03-15,农民,120
        高素质农民培育,电商培训,2023-04-20,农民,80
        """).encode("gb18030"))
    result = kepu(env, "import", str(csv), "--token", t["agri"])
    assert "新增2条" in result.stdout, result.stdout + result.stderr
    assert wait_for_metric(env, "indicators", actual_series("high-quality-farmers", "2021-2025"), 200.0) == 200.0
    assert "新增0条，无变化2条" in kepu(env, "import", str(csv), "--token", t["agri"]).stdout


def test_a_client_generated_from_the_proto_files_alone_reports_and_reads(api, tmp_path):
    """What an integrator does: protoc over proto/, then call the gateway, no project code."""
    import grpc_tools

    out = tmp_path / "gen"
    out.mkdir()
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    protos = sorted(str(p.relative_to(REPO_ROOT / "proto")) for p in (REPO_ROOT / "proto").rglob("*.proto"))
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{REPO_ROOT / 'proto'}", f"-I{include}",
                    f"--python_out={out}", f"--grpc_python_out={out}", *protos], check=True)
    script = textwrap.dedent(f"""
        import sys, grpc
        from kepu.v1 import activity_service_pb2 as a, activity_service_pb2_grpc as ag
        from kepu.v1 import indicator_service_pb2 as i, indicator_service_pb2_grpc as ig
        channel = grpc.insecure_channel("{api['driver'].target}")
        md = [("authorization", "Bearer {api['tokens']['cast']}")]
        r = ag.ActivityServiceStub(channel).ReportActivity(a.ReportActivityRequest(
            activity_type="caravan_tour", start_date="2021-07-01", external_id="proto-only",
            quantities={{"sessions": 1}}), metadata=md, timeout=30)
        p = ig.IndicatorServiceStub(channel).GetProgress(i.GetProgressRequest(indicator="caravan-tours"),
                                                         metadata=md, timeout=30)
        assert not [m for m in sys.modules if m == "libs" or m.startswith("libs.")]
        print(r.created, len(p.windows) > 0)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=out, env={**os.environ, "PYTHONPATH": str(out)},
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "True"], done.stdout + done.stderr


def test_kepu_indicators_rebuild_recounts_from_the_stored_activities(api):
    """The operator's rebuild over everything this module stored: the figures come out the same."""
    env, var = api["env"], api["var"]
    series = actual_series("caravan-tours", "2024")
    api["driver"].ok("ReportActivity", api["tokens"]["cast"], report("caravan_tour", "2024-05-02", "rebuild-1"))
    reads = [metric(env, "indicators", series)]
    while len(reads) < 3 or len(set(reads[-3:])) > 1:  # the count settled: nothing on its way any more
        time.sleep(0.5)
        reads.append(metric(env, "indicators", series))
    before = reads[-1]
    engine = create_engine(f"sqlite:///{var}/db/activities.sqlite3")
    with engine.connect() as conn:
        stored = conn.execute(text("select count(*) from activities")).scalar()
    engine.dispose()
    done = json.loads(kepu(env, "indicators", "rebuild", "--json").stdout)
    assert (done["state"], done["expected"]) == ("switched", stored) and stored > 0
    assert metric(env, "indicators", series) == before
    status = kepu(env, "indicators", "rebuild-status", done["run"]).stdout
    assert f"rebuild {done['run']}: switched, {stored} of {stored} activities in" in status


def test_kepu_run_serves_tls_from_settings(api, vhost_pipeline, broker_uris, tmp_path):
    """A whole system whose gateway has a certificate: clients that trust it get answers, a
    plaintext client does not, and `kepu --ca-file` works."""
    cert, key = self_signed(tmp_path, "gateway")
    with vhost_pipeline.get() as vhost:
        parts = urlsplit(broker_uris[0])
        env = {**api["env"], "KEPU_AMQP_URI": f"{parts.scheme}://{parts.netloc}/{vhost}",
               "KEPU_VAR_DIR": str(tmp_path / "var"), "KEPU_GRPC_PORT": str(free_port()),
               "KEPU_METRICS_PORT_BASE": str(free_range(6)), "KEPU_GRPC_TLS_CERT_FILE": str(cert),
               "KEPU_GRPC_TLS_KEY_FILE": str(key), "KEPU_PORTAL_PORT": str(free_port()),
               # the portal is a client of the gateway like any other: it trusts the certificate
               "KEPU_GRPC_CA_FILE": str(cert), "KEPU_GRPC_HOST": "localhost"}
        proc, _ = start_system(env)
        try:
            token = kepu(env, "org", "token", "edu").stdout.strip()
            tls = Driver(f"localhost:{env['KEPU_GRPC_PORT']}")
            try:
                plan = tls.send({"call": "kepu.v1.PlanService/GetPlan", "token": token, "ca_file": str(cert)})
                assert plan["ok"] and plan["response"]["code"] == "dangshan-2021-2025", plan
                plain = tls.send({"call": "kepu.v1.PlanService/GetPlan", "token": token, "timeout": 5})
                assert plain["code"] == "UNAVAILABLE"
            finally:
                tls.close()
            listed = kepu({**env, "KEPU_GRPC_HOST": "localhost"}, "activity", "types", "--token", token,
                          "--ca-file", str(cert))
            assert "caravan_tour" in listed.stdout
        finally:
            stop_system(proc)


def add_person(api, account: str, org: str = "women-federation", role: str = "reporter") -> str:
    """`kepu org user add` as an operator runs it; returns the set-up code from the printed link."""
    out = kepu(api["env"], "org", "user", "add", org, account, "--name", "王芳", "--role", role, "--valid", "1h")
    link = out.stdout.strip()
    assert link.startswith(f"http://127.0.0.1:{api['env']['KEPU_PORTAL_PORT']}/setup/"), out.stdout
    return link.rsplit("/", 1)[1]


def test_a_person_sets_up_signs_in_reports_as_themselves_and_signs_out(api):
    d, t = api["driver"], api["tokens"]
    code = add_person(api, "fulian-wang")
    assert d.ok("DescribeSetup", None, {"setup_code": code})["display_name"] == "王芳"
    d.ok("CompleteSetup", None, {"setup_code": code, "password": "砀山妇联科普2024"})
    used = d.call("DescribeSetup", None, {"setup_code": code})
    assert (used["code"], used["message"]) == ("NOT_FOUND", "设置链接无效或已过期，请联系县科协重新获取")

    wrong = d.call("SignIn", None, {"account": "fulian-wang", "password": "砀山妇联科普2025"})
    unknown = d.call("SignIn", None, {"account": "nobody-here", "password": "砀山妇联科普2024"})
    assert wrong["code"] == unknown["code"] == "UNAUTHENTICATED"
    assert wrong["message"] == unknown["message"] == "账号或密码不正确"
    signed_in = d.ok("SignIn", None, {"account": "fulian-wang", "password": "砀山妇联科普2024"})
    session = signed_in["session_token"]
    assert session.startswith("kps_") and signed_in["idle_timeout_seconds"] == 8 * 3600
    me = d.ok("WhoAmI", session)
    assert (me["org"], me["org_name"], me["role"], me["account"], me["display_name"]) == (
        "women-federation", "县妇联", "reporter", "fulian-wang", "王芳")
    system = d.ok("WhoAmI", t["cast"])
    assert (system["org_name"], system["account"], system["display_name"]) == ("县科协", "", "")

    made = d.ok("ReportActivity", session, report("earth_day", "2021-04-22", "portal-1", participants=40))
    (entry,) = d.ok("GetActivityHistory", session, {"activity_id": made["activity"]["activity_id"]})["entries"]
    assert (entry["by_org"], entry["by_role"], entry["by_account"], entry["by_token_id"]) == (
        "women-federation", "reporter", "fulian-wang", "0")
    by_token = d.ok("ReportActivity", t["women"], report("earth_day", "2021-04-23", "portal-2"))
    (entry,) = d.ok("GetActivityHistory", t["women"], {"activity_id": by_token["activity"]["activity_id"]})["entries"]
    assert entry["by_account"] == "" and int(entry["by_token_id"]) > 0

    not_a_session = d.call("SignOut", t["cast"])
    assert not_a_session["code"] == "FAILED_PRECONDITION" and "kepu org revoke" in not_a_session["message"]
    d.ok("SignOut", session)
    after = d.call("WhoAmI", session)  # at once: the gateway's cache of the session is dropped
    assert (after["code"], after["message"]) == ("UNAUTHENTICATED", "已退出登录，请重新登录")
    sessions = kepu(api["env"], "org", "user", "sessions", "--account", "fulian-wang", "--all").stdout
    assert "signed_out" in sessions


def test_five_failed_sign_ins_hold_the_account_back_and_are_counted(api):
    d = api["driver"]
    code = add_person(api, "lockout-case", org="edu", role="viewer")
    refused = d.call("CompleteSetup", None, {"setup_code": code, "password": "short"})
    assert refused["code"] == "INVALID_ARGUMENT" and ["password", "密码至少需要10个字符"] in refused["violations"]
    d.ok("CompleteSetup", None, {"setup_code": code, "password": "县教育局科普工作密码"})
    for _ in range(5):
        assert d.call("SignIn", None, {"account": "lockout-case", "password": "not it at all"})["code"] == \
            "UNAUTHENTICATED"
    held = d.call("SignIn", None, {"account": "lockout-case", "password": "县教育局科普工作密码"})
    assert held["code"] == "RESOURCE_EXHAUSTED" and held["message"].startswith("登录失败次数过多，请")
    counted = 'kepu_gateway_requests_total{code="RESOURCE_EXHAUSTED",method="SignIn"}'
    assert metric(api["env"], "gateway", counted) == 1.0
    assert metric(api["env"], "gateway", 'kepu_gateway_requests_total{code="UNAUTHENTICATED",method="SignIn"}') >= 5
    listed = kepu(api["env"], "org", "user", "list", "--org", "edu").stdout
    assert "lockout-case" in listed and "set up" in listed


def test_a_period_is_submitted_approved_locked_and_reopened_through_the_gateway(api):
    """Reporting as a duty over the public API: a missing period has no figure (not 0), a nil report
    is complete with 0, approval locks the quarter (FAILED_PRECONDITION naming the approval, in
    Chinese), reopening with a reason unlocks it, and both are in the audit trail."""
    d, t = api["driver"], dict(api["tokens"])
    with ClusterRpcProxy({"AMQP_URI": api["env"]["KEPU_AMQP_URI"]}, timeout=30) as rpc:  # a unit no other test uses
        t["civil"] = issue_token(rpc.organisations, "civil-affairs", "periods", "reporter")[0]
    status = d.ok("ListReportingStatus", t["civil"], {"year": 2023})
    assert status["year"] == 2023 and {p["org"] for p in status["periods"]} == {"civil-affairs"}
    q2 = next(p for p in status["periods"] if p["period"] == "2023Q2")
    assert q2["state"] == "missing" and "activities" not in q2  # no value, least of all a 0
    nil = d.ok("SubmitPeriod", t["civil"], {"period": "2023Q2", "nil": True})
    assert (nil["state"], nil["nil"], nil["activities"]) == ("late", True, 0)
    assert d.call("SubmitPeriod", t["civil"], {"period": "2023Q9"})["violations"][0][0] == "period"
    assert d.call("SubmitPeriod", t["edu_viewer"], {"period": "2023Q2"})["code"] == "PERMISSION_DENIED"
    assert d.call("ApprovePeriod", t["civil"], {"org": "civil-affairs", "period": "2023Q2"})["code"] == "PERMISSION_DENIED"
    assert d.call("ApprovePeriod", t["admin"], {"org": "civil-affairs", "period": "2023Q3"})["code"] == \
        "FAILED_PRECONDITION"  # never submitted: nothing to approve
    approved = d.ok("ApprovePeriod", t["admin"], {"org": "civil-affairs", "period": "2023Q2"})
    assert approved["approved_at"] and approved["approved_by"]

    locked = d.call("ReportActivity", t["civil"], report("high_quality_farmer_training", "2023-05-10", "lock-1", people=20))
    assert locked["code"] == "FAILED_PRECONDITION" and "2023年第二季度已于" in locked["message"]
    assert "审核锁定" in locked["message"]
    assert d.call("SubmitPeriod", t["civil"], {"period": "2023Q2"})["code"] == "FAILED_PRECONDITION"
    refused = d.call("ReopenPeriod", t["admin"], {"org": "civil-affairs", "period": "2023Q2"})
    assert refused["code"] == "INVALID_ARGUMENT" and refused["violations"][0][0] == "reason"
    d.ok("ReopenPeriod", t["admin"], {"org": "civil-affairs", "period": "2023Q2", "reason": "补报一场培训"})
    d.ok("ReportActivity", t["civil"], report("high_quality_farmer_training", "2023-05-10", "lock-1", people=20))
    late = d.ok("ListReportingStatus", t["admin"], {"year": 2023, "org": "civil-affairs", "state": "late"})["periods"]
    assert [(p["period"], p["nil"], p["activities"]) for p in late] == [("2023Q2", False, 1)]

    def civil_share() -> dict:  # civil affairs' share of a yearly target it answers for, in 2024
        found = d.ok("ListProgress", t["admin"], {"year": 2024, "indicator": "rural-outreach"})["indicators"]
        (item,) = found
        return next(row for row in item["by_org"] if row["scope"] == "org:civil-affairs")

    assert "actual" not in civil_share() and civil_share()["missing_periods"] == ["2024Q1"]
    d.ok("SubmitPeriod", t["civil"], {"period": "2024Q1", "nil": True})
    assert (civil_share()["actual"], civil_share()["missing_periods"]) == (0.0, [])  # 本期无活动: a true zero

    shown = kepu(api["env"], "period", "status", "--year", "2023", "--token", t["civil"]).stdout
    assert "2023年第二季度" in shown and "逾期报送" in shown and "逾期未报送" in shown
    engine = create_engine(f"sqlite:///{api['var']}/db/activities.sqlite3")
    with engine.connect() as conn:
        audit = conn.execute(text("select action, reason from period_audit where org = 'civil-affairs' "
                                  "order by id")).all()
    engine.dispose()
    assert [tuple(a) for a in audit] == [("submitted", None), ("approved", None), ("reopened", "补报一场培训"),
                                         ("submitted", None)]


def test_the_quarterly_pack_has_the_figures_as_they_stood_at_the_quarter_s_end(api):
    """The 调度会 pack through the gateway: the quarter just ended (2024Q2, today 2024-06-30) says
    what ListProgress says now, in the PDF's text and as numbers in the workbook; an earlier
    quarter's pack leaves out what was reported after it, even when it is dated inside it."""
    import io

    import openpyxl
    from pypdf import PdfReader

    from libs.common.plan import load_plan
    from libs.common.wording import amount

    d, t = api["driver"], api["tokens"]

    def targets() -> dict:
        return {i["indicator"]: i for i in d.ok("ListProgress", t["admin"], {"year": 2024, "targets_only": True})[
            "indicators"] if i.get("total") and i["window"] in ("2024", "2021-2025", "2024Q2")}

    before = targets().get("caravan-tours", {}).get("total", {}).get("actual", 0.0)
    d.ok("ReportActivity", t["cast"], report("caravan_tour", "2024-02-01", "pack-late-1", sessions=3))
    now = eventually(lambda: (found := targets())["caravan-tours"]["total"]["actual"] >= before + 3 and found,
                     what="the late caravan tour counted")

    def workbook(quarter: str) -> dict:
        answer = d.ok("GetQuarterPack", t["admin"], {"quarter": quarter, "format": "xlsx"})
        sheet = openpyxl.load_workbook(io.BytesIO(__import__("base64").b64decode(answer["content"])))["各项目标"]
        return {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}

    q2 = workbook("2024Q2")
    assert set(q2) == set(now)  # every target of the plan
    assert all(q2[code][4] == item["total"]["actual"] for code, item in now.items())  # numbers, not text
    assert now["caravan-tours"]["total"]["actual"] >= 3 and workbook("2024Q1")["caravan-tours"][4] == 0

    pdf = d.ok("GetQuarterPack", t["admin"], {"quarter": "2024Q2"})
    assert pdf["filename"] == "砀山县2024年第二季度调度会材料.pdf" and pdf["as_of"] == "2024-06-30"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(__import__("base64").b64decode(pdf["content"])))
                   .pages).replace("\n", "")
    whole = load_plan(REPO_ROOT / "plans" / "dangshan-2021-2025.yaml").figures_whole()
    for code, item in now.items():  # every target, with its figure as people say it (17985人, not 17984.7人)
        assert item["name"] in text and amount(item["total"]["actual"], item["unit"], whole=whole[code]) in text
    assert d.call("GetQuarterPack", t["cast"], {"quarter": "2024Q2"})["code"] == "PERMISSION_DENIED"
    for bad, field in (({"quarter": "2024Q3"}, "quarter"), ({"quarter": "2024"}, "quarter"),
                       ({"quarter": "2024Q2", "format": "odt"}, "format")):
        refused = d.call("GetQuarterPack", t["admin"], bad)
        assert refused["code"] == "INVALID_ARGUMENT" and refused["violations"][0][0] == field, refused


def test_the_year_end_assessment_ranks_the_units_of_an_ended_year(api):
    """The 考核 table through the gateway: a workbook of every unit ranked (or set apart in words),
    a PDF, and the refusals of a year not ended or outside the plan."""
    import base64
    import io

    import openpyxl

    d, t = api["driver"], api["tokens"]
    answer = d.ok("GetAssessment", t["admin"], {"year": 2023, "format": "xlsx"})
    assert answer["filename"] == "砀山县2023年目标考核表.xlsx" and answer["as_of"] == "2023-12-31"
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(answer["content"])))
    rows = list(book["部门和单位"].iter_rows(min_row=2, values_only=True))
    assert {r[2] for r in rows} >= {"cast", "edu"}  # every unit of the plan that answers for a target
    assert all(r[0].endswith("名") or r[0] in ("无考核指标", "考核期未结束，暂不评分") for r in rows)
    assert all(isinstance(r[3], int | float) for r in rows if r[0].endswith("名"))  # scores as numbers
    pdf = d.ok("GetAssessment", t["admin"], {"year": 2023})
    assert base64.b64decode(pdf["content"])[:5] == b"%PDF-"
    for year, code in ((2024, "not_ended"), (2030, "outside_plan_period")):
        refused = d.call("GetAssessment", t["admin"], {"year": year})
        assert refused["code"] == "INVALID_ARGUMENT" and refused["violations"][0][0] == "year", refused
    assert d.call("GetAssessment", t["edu"], {"year": 2023})["code"] == "PERMISSION_DENIED"
