"""The integration test rig: real redis-server, real nginx loading the built
module, a real upstream; each started on a free loopback port and stopped by PID.
"""
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
OAUTHCTL = os.path.join(BUILD, "oauthctl")
# Which nginx the tests run: by default Debian's /usr/sbin/nginx with the
# module built against its headers (build/); `make test` runs the suite a
# second time against the vendored current stable nginx, built from source
# with the module (OAUTH_NGINX_BUILD=build/nginx-stable,
# OAUTH_NGINX_BIN=its objs/nginx; scripts/build-nginx-stable.sh).
NGINX_BUILD = os.environ.get("OAUTH_NGINX_BUILD") or BUILD
MODULE = os.path.join(NGINX_BUILD, "ngx_http_oauth_module.so")
NGINX = (os.environ.get("OAUTH_NGINX_BIN") or shutil.which("nginx")
         or "/usr/sbin/nginx")
# `make test-asan`: the module is built with ASan and UBSan and the
# uninstrumented nginx loads it with the ASan runtime preloaded; sanitizer
# reports go to files in OAUTH_SANITIZER_LOGS, which the fixtures check
# after every test (sanitizer_reports()).
SANITIZER_PRELOAD = os.environ.get("OAUTH_SANITIZER_PRELOAD")
SANITIZER_LOGS = os.environ.get("OAUTH_SANITIZER_LOGS")


def nginx_env():
    """The environment every nginx of the tests runs with."""
    env = dict(os.environ)
    if SANITIZER_PRELOAD:
        report = os.path.join(SANITIZER_LOGS, "report")
        env["LD_PRELOAD"] = SANITIZER_PRELOAD
        # nginx itself is not instrumented and frees its pools only at
        # exit: leaks are checked on the core by the unit and ABI tests.
        env["ASAN_OPTIONS"] = f"log_path={report}:detect_leaks=0"
        env["UBSAN_OPTIONS"] = f"log_path={report}:print_stacktrace=1"
    return env


def sanitizer_reports():
    """Reports written since the last call (each is returned once)."""
    if not SANITIZER_LOGS or not os.path.isdir(SANITIZER_LOGS):
        return []
    out = []
    for name in sorted(os.listdir(SANITIZER_LOGS)):
        path = os.path.join(SANITIZER_LOGS, name)
        if not name.startswith("report.") or name.endswith(".seen"):
            continue
        with open(path, errors="replace") as f:
            out.append(f.read())
        os.rename(path, path + ".seen")
    return out
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

# What no error.log may ever contain after a test.
FATAL_LOG_MARKERS = ("[alert]", "[emerg]", "exited on signal", "[crit]")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on port {port}")


class Redis:
    """A redis-server of our own; stop() and start() keep its port."""

    def __init__(self, workdir, password=None, unix=False):
        self.port = free_port()
        self.password = password
        self.dir = tempfile.mkdtemp(prefix="redis-", dir=workdir)
        self.socket = os.path.join(self.dir, "redis.sock") if unix else None
        self.proc = None
        self.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", self.dir,
                "--logfile", os.path.join(self.dir, "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
        if self.socket:
            args += ["--unixsocket", self.socket, "--unixsocketperm", "700"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if self.cli("PING") == "PONG":
                    return
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def cli(self, *args, db=0):
        cmd = ["redis-cli", "-p", str(self.port), "-n", str(db), "--raw"]
        env = dict(os.environ)
        if self.password:
            env["REDISCLI_AUTH"] = self.password
        out = subprocess.run(cmd + [str(a) for a in args], check=True,
                             capture_output=True, text=True, env=env,
                             timeout=10)
        return out.stdout.rstrip("\n")

    def keys(self, pattern="*"):
        out = self.cli("KEYS", pattern)
        return [k for k in out.split("\n") if k]

    def dump_all(self):
        """Every key and every value, as text, for secrets-at-rest scans."""
        text = []
        for key in self.keys():
            kind = self.cli("TYPE", key)
            if kind == "string":
                text.append(key + " " + self.cli("GET", key))
            elif kind == "hash":
                text.append(key + " " + self.cli("HGETALL", key))
            elif kind == "set":
                text.append(key + " " + self.cli("SMEMBERS", key))
            elif kind == "zset":
                text.append(key + " " + self.cli("ZRANGE", key, 0, -1))
            elif kind == "list":
                text.append(key + " " + self.cli("LRANGE", key, 0, -1))
        return "\n".join(text)


class Upstream:
    """An HTTP upstream that answers every request with the headers it got."""

    def __init__(self):
        self.hits = 0
        self.last_headers = {}
        self.seen = []  # (path, headers) of every request, in order
        rig = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                rig.hits += 1
                rig.last_headers = {k.lower(): v for k, v in self.headers.items()}
                rig.seen.append((self.path, rig.last_headers))
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                body = json.dumps({"path": self.path,
                                   "headers": rig.last_headers}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def gen_key(path, alg):
    """A PEM private key made by the openssl command line."""
    args = {
        "RS256": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        "RS1024": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        "ES256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "ES384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "EdDSA": ["-algorithm", "ED25519"],
    }[alg]
    subprocess.run(["openssl", "genpkey", *args, "-out", path], check=True,
                   capture_output=True)
    return path


def nginx_version():
    """(major, minor, patch) of the nginx under test."""
    out = subprocess.run([NGINX, "-v"], capture_output=True, text=True)
    m = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out.stdout + out.stderr)
    return tuple(int(x) for x in m.groups())


def nginx_has_debug():
    """Whether the nginx under test was built --with-debug (without it,
    error_log ... debug writes no debug line at all)."""
    out = subprocess.run([NGINX, "-V"], capture_output=True, text=True)
    return "--with-debug" in out.stdout + out.stderr


class Nginx:
    """nginx (master + workers) with a generated configuration.

    `http` is the body of http{} after the module's globals; the rig adds
    load_module, temp paths and the logs. Call url(path) for addresses."""

    def __init__(self, workdir, http, port, workers=1, log_level="info"):
        self.port = port
        self.prefix = tempfile.mkdtemp(prefix="nginx-", dir=workdir)
        for d in ("logs", "tmp"):
            os.makedirs(os.path.join(self.prefix, d), exist_ok=True)
        self.error_log = os.path.join(self.prefix, "logs", "error.log")
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(render_main_conf(self.prefix, http, workers, log_level))
        self.proc = None

    def test_config(self):
        """`nginx -t`: (exit status, everything it printed)."""
        out = subprocess.run([NGINX, "-t", "-p", self.prefix, "-c", self.conf,
                              "-e", self.error_log], env=nginx_env(),
                             capture_output=True, text=True, timeout=30)
        return out.returncode, out.stdout + out.stderr + self.log()

    def start(self):
        self.proc = subprocess.Popen(
            [NGINX, "-p", self.prefix, "-c", self.conf, "-e", self.error_log,
             "-g", "daemon off;"], env=nginx_env(),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_port(self.port)
        except RuntimeError:
            self.proc.kill()
            raise RuntimeError("nginx did not start:\n" + self.log())
        return self

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"

    def log(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def worker_pids(self):
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)],
                             capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def fatal_log_lines(self):
        return [line for line in self.log().splitlines()
                if any(m in line for m in FATAL_LOG_MARKERS)]


def render_main_conf(prefix, http, workers=1, log_level="info"):
    return textwrap.dedent(f"""\
        load_module {MODULE};
        worker_processes {workers};
        pid {prefix}/nginx.pid;
        error_log {prefix}/logs/error.log {log_level};
        events {{ worker_connections 1024; }}
        http {{
            access_log off;
            client_body_temp_path {prefix}/tmp/body;
            proxy_temp_path {prefix}/tmp/proxy;
            fastcgi_temp_path {prefix}/tmp/fastcgi;
            uwsgi_temp_path {prefix}/tmp/uwsgi;
            scgi_temp_path {prefix}/tmp/scgi;
        """) + textwrap.indent(textwrap.dedent(http), "    ") + "}\n"


ENDPOINTS = """\
location = /.well-known/openid-configuration {{ oauth_discovery; }}
location = /.well-known/oauth-authorization-server {{ oauth_discovery; }}
location = /oauth2/jwks {{ oauth_jwks; }}
location = /oauth2/token {{ oauth_token; }}
location = /oauth2/introspect {{ oauth_introspect; }}
location = /oauth2/revoke {{ oauth_revoke; }}
location = /oauth2/authorize {{ oauth_authorize; }}
location = /oauth2/login {{ oauth_login; }}
location = /oauth2/consent {{ oauth_consent; }}
location = /oauth2/userinfo {{ oauth_userinfo; }}
location = /oauth2/device_authorization {{ oauth_device_authorization; }}
location = /oauth2/device {{ oauth_device_verification; }}
location = /oauth2/login/accept {{ oauth_login_accept; }}
location = /oauth2/logout {{ oauth_logout; }}
"""


def oauth_head(port, redis_address, keys, redis_options=""):
    """The http{} lines a test configuration starts with: its Redis, the
    issuer on that port, and one oauth_signing_key per key file."""
    key_lines = "\n".join(f"oauth_signing_key {k};" for k in keys)
    return f"""
oauth_redis {redis_address} {redis_options};
oauth_issuer http://127.0.0.1:{port};
{key_lines}
"""


def standard_http(port, redis_address, keys, upstream_port=None,
                  http_extra="", server_extra="", redis_options=""):
    """A typical deployment: every endpoint, /api/ protected, /plain/ not."""
    proxy = ""
    if upstream_port:
        proxy = f"""
        location /api/ {{
            oauth_require;
            proxy_set_header X-User $oauth_sub;
            proxy_set_header X-Client $oauth_client_id;
            proxy_set_header X-Scope $oauth_scope;
            proxy_pass http://127.0.0.1:{upstream_port};
        }}
        location /plain/ {{ proxy_pass http://127.0.0.1:{upstream_port}; }}
        """
    return oauth_head(port, redis_address, keys, redis_options) + f"""
{http_extra}
server {{
    listen 127.0.0.1:{port};
{textwrap.indent(ENDPOINTS.format(), "    ")}
{textwrap.indent(textwrap.dedent(proxy), "    ")}
{textwrap.indent(textwrap.dedent(server_extra), "    ")}
}}
"""


def oauthctl(redis, *args, check=True, env=None):
    """Runs build/oauthctl against the test's Redis; JSON out, or the
    CompletedProcess when check is False."""
    cmd = [OAUTHCTL, "--redis", redis.address]
    if redis.password:
        cmd += ["--redis-password", redis.password]
    out = subprocess.run(cmd + [str(a) for a in args], capture_output=True,
                         text=True, timeout=60, env=env)
    if not check:
        return out
    if out.returncode != 0:
        raise RuntimeError(f"oauthctl {' '.join(map(str, args))} failed: "
                           f"{out.stderr}")
    return json.loads(out.stdout) if out.stdout.strip() else None


def example_prefix(workdir, path, keys, replace=None):
    """A conf-examples file laid out as a user would: the file as nginx.conf
    in a prefix holding modules/ and keys/; `replace` maps strings of the
    file to what a test needs instead (addresses). Returns the prefix."""
    prefix = tempfile.mkdtemp(prefix="example-", dir=workdir)
    for d in ("modules", "keys", "logs", "tmp"):
        os.makedirs(os.path.join(prefix, d))
    os.symlink(MODULE, os.path.join(prefix, "modules",
                                    "ngx_http_oauth_module.so"))
    for alg, name in (("RS256", "rs256.pem"), ("ES256", "es256.pem"),
                      ("EdDSA", "ed25519.pem")):
        shutil.copy(keys[alg], os.path.join(prefix, "keys", name))
    with open(path) as f:
        text = f.read()
    for old, new in (replace or {}).items():
        assert old in text, f"{path} has no {old!r}"
        text = text.replace(old, new)
    with open(os.path.join(prefix, "nginx.conf"), "w") as f:
        f.write(text)
    return prefix


def check_example(workdir, path, keys):
    """`nginx -t` on a conf-examples file as a user would lay it out."""
    prefix = example_prefix(workdir, path, keys)
    out = subprocess.run([NGINX, "-t", "-p", prefix,
                          "-c", os.path.join(prefix, "nginx.conf"),
                          "-e", os.path.join(prefix, "logs", "error.log")],
                         env=nginx_env(), capture_output=True, text=True,
                         timeout=30)
    return out.returncode, out.stdout + out.stderr


class ExampleNginx(Nginx):
    """A conf-examples file run as it is, but for `replace` (see
    example_prefix); started and stopped like Nginx."""

    def __init__(self, workdir, path, keys, port, replace):
        self.port = port
        self.prefix = example_prefix(workdir, path, keys, replace)
        self.error_log = os.path.join(self.prefix, "logs", "error.log")
        self.conf = os.path.join(self.prefix, "nginx.conf")
        self.proc = None
