"""A three-master Redis Cluster of our own (issue 10, SPEC 7), for
t/test_cluster.py and scripts/bench-cluster: Debian's redis-server with
--cluster-enabled and its own cluster config file in a temporary directory,
joined by `redis-cli --cluster create ... --cluster-yes`."""
import json
import os
import subprocess
import tempfile
import time

import rig


def cluster_port():
    """A free port whose cluster bus port (+10000) is free and valid too."""
    import socket
    for _ in range(200):
        port = rig.free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no port for a cluster node")


class Node:
    def __init__(self, workdir):
        self.port = cluster_port()
        self.dir = tempfile.mkdtemp(prefix="cluster-node-", dir=workdir)
        self.proc = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            [rig.REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--cluster-enabled", "yes",
             "--cluster-config-file", os.path.join(self.dir, "nodes.conf"),
             "--cluster-node-timeout", "2000",
             # a stopped master's slots stay down (no replica): reads of the
             # other masters' slots must go on meanwhile
             "--cluster-require-full-coverage", "no",
             "--save", "", "--appendonly", "no", "--dir", self.dir,
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rig.wait_port(self.port)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def cli(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.port), "--raw"]
                             + [str(a) for a in args], check=True,
                             capture_output=True, text=True, timeout=30)
        return out.stdout.rstrip("\n")

    def node_id(self):
        return self.cli("CLUSTER", "MYID")

    def dbsize(self):
        return int(self.cli("DBSIZE"))

    def keys(self, pattern="*"):
        return [k for k in self.cli("KEYS", pattern).split("\n") if k]


class Cluster:
    """nodes[0..2], every one a master; `directive` for oauth_redis,
    `seeds` for oauthctl --redis-cluster."""

    def __init__(self, workdir, masters=3):
        self.nodes = [Node(workdir).start() for _ in range(masters)]
        subprocess.run(["redis-cli", "--cluster", "create"]
                       + [n.address for n in self.nodes] + ["--cluster-yes"],
                       check=True, capture_output=True, text=True, timeout=60)
        self.wait_ok()

    def wait_ok(self, nodes=None, timeout=20):
        deadline = time.time() + timeout
        for n in nodes or self.nodes:
            while "cluster_state:ok" not in n.cli("CLUSTER", "INFO"):
                if time.time() > deadline:
                    raise RuntimeError("the cluster did not become ok")
                time.sleep(0.05)

    @property
    def seeds(self):
        return ",".join(n.address for n in self.nodes)

    @property
    def directive(self):
        return "cluster=" + self.seeds

    def stop(self):
        for n in self.nodes:
            n.stop()

    def slot(self, key):
        return int(self.nodes[0].cli("CLUSTER", "KEYSLOT", key))

    def owner(self, slot):
        """The node serving slot, by CLUSTER SLOTS of nodes[0]."""
        for n in self.nodes:
            if n.proc is None:
                continue
            for line in json.loads(self.slots_json(n)):
                start, end, port = line
                if start <= slot <= end:
                    return next(x for x in self.nodes if x.port == port)
        raise KeyError(slot)

    def slots_json(self, node):
        # CLUSTER SLOTS, flattened by redis-cli --raw into lines: use a tiny
        # Lua-free reading instead, through CLUSTER SHARDS-independent text
        out = node.cli("CLUSTER", "NODES")
        ranges = []
        for line in out.splitlines():
            f = line.split()
            if "master" not in f[2] or "fail" in f[2]:
                continue
            port = int(f[1].split("@")[0].rsplit(":", 1)[1])
            for r in f[8:]:
                if r.startswith("["):
                    continue
                a, _, b = r.partition("-")
                ranges.append((int(a), int(b or a), port))
        return json.dumps(ranges)

    def get(self, key):
        """GET through redis-cli -c (follows redirections)."""
        return subprocess.run(["redis-cli", "-c", "-p", str(self.nodes[0].port),
                               "--raw", "GET", key], check=True,
                              capture_output=True, text=True,
                              timeout=10).stdout.rstrip("\n")

    def all_keys(self):
        return [k for n in self.nodes if n.proc for k in n.keys()]

    def ctl(self, *args, check=True):
        cmd = [rig.OAUTHCTL, "--redis-cluster", self.seeds] + [str(a) for a in args]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if not check:
            return out
        if out.returncode != 0:
            raise RuntimeError(f"oauthctl {' '.join(map(str, args))} failed: {out.stderr}")
        return json.loads(out.stdout) if out.stdout.strip() else None

    # -- moving a slot by hand: CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE

    def begin_migration(self, slot, src, dst):
        dst.cli("CLUSTER", "SETSLOT", slot, "IMPORTING", src.node_id())
        src.cli("CLUSTER", "SETSLOT", slot, "MIGRATING", dst.node_id())

    def migrate_keys(self, slot, src, dst):
        while True:
            keys = [k for k in src.cli("CLUSTER", "GETKEYSINSLOT", slot, 100).split("\n") if k]
            if not keys:
                return
            src.cli("MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", *keys)

    def end_migration(self, slot, dst):
        for n in self.nodes:
            if n.proc:
                n.cli("CLUSTER", "SETSLOT", slot, "NODE", dst.node_id())
