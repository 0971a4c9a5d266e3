"""Prometheus metrics of the organisations service: the registry as info series, for the
dashboards' joins (towns by name, which towns are example data) and their region filter."""
from prometheus_client import Gauge

ORG_INFO = Gauge("kepu_organisation_info", "1 per registered organisation, with its name, kind, parent, region "
                 "(a region's own row: itself; \"\" for one above every region) and whether it is example data.",
                 ["org", "name", "kind", "parent", "region", "example"])


def publish_orgs(orgs: list[dict]) -> None:
    """``orgs``: the registry as ``app.list_orgs`` gives it, each with its region (``_regions``)."""
    ORG_INFO.clear()
    for o in orgs:
        example = "true" if o["is_example"] else "false"
        ORG_INFO.labels(o["code"], o["name"], o["kind"], o["parent"] or "", o["region"] or "", example).set(1)
