"""pytest fixtures for the integration tests: see rig.py."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rig  # noqa: E402


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("oauth"))


@pytest.fixture(scope="session")
def keys(workdir):
    """One key per supported algorithm (and two unsupported ones)."""
    d = os.path.join(workdir, "keys")
    os.makedirs(d, exist_ok=True)
    return {alg: rig.gen_key(os.path.join(d, f"{alg}.pem"), alg)
            for alg in ("RS256", "ES256", "EdDSA", "RS1024", "ES384")}


@pytest.fixture
def redis(workdir):
    r = rig.Redis(workdir)
    yield r
    r.stop()


@pytest.fixture
def upstream():
    u = rig.Upstream()
    yield u
    u.stop()


@pytest.fixture
def nginx_factory(workdir):
    """make(http_body, port=None, workers=1, log_level="info") -> started
    rig.Nginx.
    Every nginx is stopped after the test, and the test fails if its
    error.log shows an alert, an emerg or a crashed worker."""
    started = []

    def make(http, port=None, workers=1, start=True, log_level="info"):
        port = port or rig.free_port()
        n = rig.Nginx(workdir, http.replace("{port}", str(port)), port,
                      workers=workers, log_level=log_level)
        started.append(n)
        return n.start() if start else n

    yield make
    fatal = []
    for n in started:
        n.stop()
        fatal += n.fatal_log_lines()
    assert not fatal, "error.log shows:\n" + "\n".join(fatal)
    reports = rig.sanitizer_reports()
    assert not reports, "sanitizer reports:\n" + "\n".join(reports)


@pytest.fixture
def standard_nginx(request, nginx_factory, keys, upstream):
    """make(redis_address=the test's Redis, key="RS256", **options) -> the
    standard deployment (rig.standard_http with those options, the test's
    upstream) started on a free port."""
    def make(redis_address=None, key="RS256", **options):
        port = rig.free_port()
        address = redis_address or request.getfixturevalue("redis").address
        options.setdefault("upstream_port", upstream.port)
        return nginx_factory(rig.standard_http(port, address, [keys[key]], **options),
                             port=port)
    return make


@pytest.fixture
def server(standard_nginx, redis):
    """The standard deployment (rig.standard_http) with an RS256 key."""
    return standard_nginx(redis.address)


@pytest.fixture
def ctl(redis):
    """ctl(*args) runs oauthctl against the test's Redis."""
    return lambda *args, **kw: rig.oauthctl(redis, *args, **kw)
