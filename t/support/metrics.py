"""Scraping oauth_metrics with the Prometheus client's own text parser."""
import requests
from prometheus_client.parser import text_string_to_metric_families

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def scrape(server, path="/metrics"):
    """{(sample name, ((label, value), ...)): value} of one scrape, and the
    families by name."""
    r = requests.get(server.url(path))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == CONTENT_TYPE
    samples, families = {}, {}
    for fam in text_string_to_metric_families(r.text):
        families[fam.name] = fam
        for s in fam.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            assert key not in samples, f"sample twice: {key}"
            samples[key] = s.value
    return samples, families


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def delta(before, after):
    """after - before for every sample (counters only grow)."""
    return {k: after[k] - before.get(k, 0) for k in after}
