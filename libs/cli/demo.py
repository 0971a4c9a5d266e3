"""``kepu demo``: a realistic year of example data, sent through the public gRPC API as the
departments' systems would send it (operator command: towns and tokens on RPC)."""
from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from libs.cli.common import CaFile, Gateway, console, errors, services, wait_until_activities_know
from libs.cli.orgs import issue_token

BATCH = 500


def demo(year: int = typer.Option(None, help="The year to fill (default: the system clock's year, or the "
                                  "nearest year of a plan)."),
         region: str = typer.Option(None, help="The region whose departments report (default: the top region)."),
         towns: int = typer.Option(6, min=0, max=20, help="Example towns to register (marked as example data)."),
         seed: int = typer.Option(2024, help="Another seed draws other indicators to lag."),
         gateway_: Gateway = None, ca_file: CaFile = None) -> None:
    """Load a year of example activities: every department of the plan reports the activities that
    feed its indicators (campaign days in their month); some indicators keep pace, some lag.
    Running it again resends the same activities, which count once."""
    from libs.client.client import ClientError, KepuClient
    from libs.common.plan.atlas import load_atlas
    from libs.common.settings import get_settings
    from libs.demo import demo_submissions, demo_towns, demo_year

    settings = get_settings()
    atlas = load_atlas(settings.plan_file)
    region = region or atlas.first_region
    if region not in atlas.regions:
        errors.print(f"--region: no region {region!r}; regions here: {', '.join(sorted(atlas.regions))}",
                     markup=False)
        raise typer.Exit(2)
    with services() as rpc:
        today = dt.date.fromisoformat(rpc.activities.today())
        year = year or atlas.year_in_plan(region, today)
        plan = atlas.plan_of_year(region, year)
        if plan is None:
            periods = ", ".join(f"{p.meta.period.start}–{p.meta.period.end}" for p in atlas.plans_of(region))
            errors.print(f"--year: {year} is outside the plans of {region} ({periods})", markup=False)
            raise typer.Exit(2)
        example_towns = demo_towns(towns, prefix="" if atlas.single else f"{region}-")
        town_category = next((o.code for o in plan.organisations if o.kind == "town_category"), None)
        known = {o["code"] for o in rpc.organisations.list_orgs("town")}
        for town in example_towns:
            if town.code not in known:
                rpc.organisations.register_org({"code": town.code, "name": town.name, "kind": "town",
                                                "parent": town_category, "is_example": True})
        wait_until_activities_know(rpc, [town.code for town in example_towns])
        reports = demo_year(plan, year, today, example_towns, seed)
        tokens = {org: issue_token(rpc.organisations, org, "kepu demo", "reporter", "1d")[0]
                  for org in [*reports, *(town.code for town in example_towns)]}
    table = Table("organisation", "sent", "new", "already there", "refused")
    totals = [0, 0, 0]
    for org, rows in sorted(reports.items()):
        counts = [0, 0, 0]
        with KepuClient(gateway_ or settings.grpc_target, tokens[org], ca_file or settings.grpc_ca_file) as client:
            for i in range(0, len(rows), BATCH):
                try:
                    answer = client.report_batch(rows[i:i + BATCH], skip_invalid=True)
                except ClientError as exc:
                    for line in exc.lines():
                        errors.print(f"{org}: {line}", markup=False)
                    raise typer.Exit(1) from None
                counts[0] += answer.created
                counts[1] += answer.unchanged + answer.corrected
                counts[2] += answer.invalid + answer.conflicts
        table.add_row(org, str(len(rows)), *map(str, counts))
        totals = [a + b for a, b in zip(totals, counts)]
    console.print(table)
    submitted = _submit_periods(demo_submissions(plan, year, today, example_towns, reports, seed), tokens,
                                gateway_ or settings.grpc_target, ca_file or settings.grpc_ca_file)
    console.print(f"{year}: {totals[0]} example activities stored up to {today} ({totals[1]} were there already, "
                  f"{totals[2]} refused); {submitted} reporting periods submitted (some 本期无活动), others "
                  f"left missing; "
                  f"towns {', '.join(t.code for t in example_towns) or 'none'} are marked as example data. "
                  f"Open the dashboards, or `kepu indicator year --year {year}`.", highlight=False)


def _submit_periods(submissions: list[tuple[str, str, bool]], tokens: dict[str, str], target: str,
                    ca_file) -> int:
    """本期已报送 for the demo's organisations through the gateway, each with its own token (as a
    clerk would): how many were accepted. A period the office has approved since an earlier run is
    left as it is (FAILED_PRECONDITION, printed)."""
    from libs.client.client import ClientError, KepuClient

    accepted = 0
    with KepuClient(target, "", ca_file) as shared:
        for org, period, nil in submissions:
            try:
                shared.with_token(tokens[org]).submit_period(period, nil)
                accepted += 1
            except ClientError as exc:
                errors.print(f"{org} {period}: {' '.join(exc.lines())}", markup=False)
    return accepted
