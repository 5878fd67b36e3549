"""A Redis Sentinel deployment on loopback for the tests: one primary, one
replica, three `redis-server --sentinel` (quorum 2, down-after 1000 ms),
each with its config file in a temporary directory, stopped by PID."""
import os
import signal
import socketserver
import subprocess
import tempfile
import threading
import time

import rig

MASTER = "oauth"


class Server:
    """A redis-server (data node or sentinel) started from a config file."""

    def __init__(self, workdir, kind, lines, password=None):
        self.port = rig.free_port()
        self.password = password
        self.dir = tempfile.mkdtemp(prefix=f"{kind}-", dir=workdir)
        self.conf = os.path.join(self.dir, f"{kind}.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join([f"port {self.port}", "bind 127.0.0.1",
                               f"dir {self.dir}",
                               f"logfile {self.dir}/{kind}.log"] + lines)
                    + "\n")
        args = [rig.REDIS_SERVER, self.conf]
        if kind == "sentinel":
            args.append("--sentinel")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                self.cli("PING")
                break
            except subprocess.CalledProcessError:
                if time.time() > deadline:
                    raise RuntimeError(f"{kind} did not start")
                time.sleep(0.02)

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def cli(self, *args):
        env = dict(os.environ)
        if self.password:
            env["REDISCLI_AUTH"] = self.password
        out = subprocess.run(["redis-cli", "-p", str(self.port), "--raw"]
                             + [str(a) for a in args], check=True,
                             capture_output=True, text=True, env=env,
                             timeout=10)
        if out.stdout.startswith(("ERR", "NOAUTH", "WRONGPASS", "LOADING")):
            raise subprocess.CalledProcessError(1, args, out.stdout)
        return out.stdout.rstrip("\n")

    def kill(self):
        """SIGKILL: the process dies as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Topology:
    """Primary, replica and three sentinels watching them as MASTER."""

    def __init__(self, workdir, password=None, sentinel_password=None,
                 down_after=1000, failover_timeout=3000):
        self.password = password
        self.sentinel_password = sentinel_password
        auth = []
        if password:
            # the replica authenticates to its primary, and either node may
            # become the other's replica after a failover
            auth = [f"requirepass {password}", f"masterauth {password}"]
        base = ["save \"\"", "appendonly no"] + auth
        self.primary = Server(workdir, "primary", base, password)
        self.replica = Server(workdir, "replica",
                              base + [f"replicaof 127.0.0.1 "
                                      f"{self.primary.port}"], password)
        lines = [f"sentinel monitor {MASTER} 127.0.0.1 {self.primary.port} 2",
                 f"sentinel down-after-milliseconds {MASTER} {down_after}",
                 f"sentinel failover-timeout {MASTER} {failover_timeout}",
                 f"sentinel parallel-syncs {MASTER} 1"]
        if password:
            lines.append(f"sentinel auth-pass {MASTER} {password}")
        if sentinel_password:
            lines.append(f"requirepass {sentinel_password}")
        self.sentinels = [Server(workdir, "sentinel", lines, sentinel_password)
                          for _ in range(3)]
        self.wait_ready()

    @property
    def sentinel_list(self):
        return ",".join(s.address for s in self.sentinels)

    def directive_args(self):
        """The oauth_redis arguments for this deployment."""
        args = f"sentinel={self.sentinel_list} master={MASTER}"
        if self.password:
            args += f" password={self.password}"
        if self.sentinel_password:
            args += f" sentinel_password={self.sentinel_password}"
        return args

    def oauthctl_args(self):
        args = ["--redis-sentinel", self.sentinel_list, "--redis-master",
                MASTER]
        if self.password:
            args += ["--redis-password", self.password]
        if self.sentinel_password:
            args += ["--redis-sentinel-password", self.sentinel_password]
        return args

    def master_port(self, sentinel=None):
        """The primary's port as a sentinel names it now."""
        out = (sentinel or self.sentinels[0]).cli(
            "SENTINEL", "get-master-addr-by-name", MASTER)
        return int(out.split("\n")[1])

    def sentinel_info(self, sentinel):
        out = sentinel.cli("SENTINEL", "master", MASTER).split("\n")
        return dict(zip(out[0::2], out[1::2]))

    def wait_ready(self, timeout=20):
        """Until the replica is in sync and every sentinel knows the
        replica and the two other sentinels (a failover can then happen)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                infos = [self.sentinel_info(s) for s in self.sentinels]
                link = self.replica.cli("INFO", "replication")
                if ("master_link_status:up" in link
                        and all(i.get("num-slaves") == "1"
                                and i.get("num-other-sentinels") == "2"
                                for i in infos)):
                    return
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the sentinels did not see each other in time")

    def wait_replicated(self, timeout=5):
        """Until the replica has every write the primary acknowledged."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            p = self.primary.cli("INFO", "replication")
            r = self.replica.cli("INFO", "replication")
            po = int(p.split("master_repl_offset:")[1].split()[0])
            ro = int(r.split("slave_repl_offset:")[1].split()[0])
            if ro >= po:
                return
            time.sleep(0.02)
        raise RuntimeError("the replica did not catch up")

    def wait_failover(self, old_port, timeout=30):
        """Until a sentinel names another primary; its time."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for s in self.sentinels:
                try:
                    if self.master_port(s) != old_port:
                        return time.time()
                except (subprocess.CalledProcessError, IndexError):
                    pass
            time.sleep(0.02)
        raise RuntimeError("no failover")

    def stop(self):
        for s in self.sentinels + [self.primary, self.replica]:
            s.stop()


class FakeSentinel:
    """A sentinel that names whichever port the test sets and never
    announces a switch: failovers it does not tell about (READONLY, ROLE)
    are found by the workers asking again.  Speaks just enough RESP."""

    def __init__(self, port_of_primary):
        self.primary_port = port_of_primary
        self.asked = 0
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                while True:
                    cmd = self.command()
                    if cmd is None:
                        return
                    name = cmd[0].upper()
                    if name == "SENTINEL":
                        fake.asked += 1
                        port = str(fake.primary_port)
                        self.wfile.write(
                            f"*2\r\n$9\r\n127.0.0.1\r\n${len(port)}\r\n"
                            f"{port}\r\n".encode())
                    elif name == "SUBSCRIBE":
                        self.wfile.write(b"*3\r\n$9\r\nsubscribe\r\n"
                                         b"$14\r\n+switch-master\r\n:1\r\n")
                    elif name == "PING":
                        self.wfile.write(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n")
                    else:
                        self.wfile.write(b"+OK\r\n")

            def command(self):
                line = self.rfile.readline()
                if not line.startswith(b"*"):
                    return None
                args = []
                for _ in range(int(line[1:])):
                    n = int(self.rfile.readline()[1:])
                    args.append(self.rfile.read(n + 2)[:-2].decode())
                return args

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
