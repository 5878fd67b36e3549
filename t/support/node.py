"""The JavaScript clients of t/node/NAME/ (npm packages pinned in each
package-lock.json): where they are, and one way to drive a client that signs
a user in: it prints {"authorize": URL}, a scripted browser signs in there
and hands back the URL it landed on, and the client prints its result."""
import json
import os
import shutil
import subprocess

import rig
from support.browser import Browser

NODE = shutil.which("node") or "/usr/bin/node"


def node_dir(name):
    return os.path.join(rig.TOP, "t", "node", name)


def run_signing_in(name, script, args, server, username, password, redirect,
                   check_authorize=None):
    """Runs t/node/NAME/SCRIPT with ARGS; signs USERNAME in at the URL it
    asks for (check_authorize(url) first, if given) and returns the JSON it
    printed last. Asserts the browser landed on REDIRECT and the client
    exited 0."""
    cwd = node_dir(name)
    node = subprocess.Popen([NODE, os.path.join(cwd, script), *args], cwd=cwd,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        first = json.loads(node.stdout.readline())
        assert "authorize" in first, first
        if check_authorize:
            check_authorize(first["authorize"])
        landed = Browser(server).authorize(first["authorize"], username, password)
        assert landed.startswith(redirect), landed
        node.stdin.write(landed + "\n")
        node.stdin.flush()
        out = json.loads(node.stdout.readline())
        assert node.wait(timeout=60) == 0, out
    finally:
        if node.poll() is None:
            node.kill()
    return out
