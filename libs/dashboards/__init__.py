"""Grafana dashboards as code (grafanalib): ``python -m libs.dashboards.generate`` (``make
dashboards``) writes their JSON into ``deploy/grafana/dashboards``; a test keeps it fresh, and
another evaluates every panel's query against a real Prometheus scraping a system with demo data."""
