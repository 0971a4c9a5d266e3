"""Real receivers for alert deliveries, started by the tests on loopback: an HTTP server that
checks each payload against the receiver's documented shape (Alertmanager webhook v4, 企业微信
and 钉钉 group robots with DingTalk's signature), an SMTP server (aiosmtpd, its own process, with
STARTTLS) and Prometheus Alertmanager (Debian's ``prometheus-alertmanager``)."""
