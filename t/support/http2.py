"""HTTP/2 for the integration tests: the listen syntax of the nginx under
test, and a small blocking client (python3-h2, prior knowledge over
cleartext) that can reset its streams."""
import socket
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions

import rig


def listen_h2(address):
    """The server{} lines of an HTTP/2 cleartext listener: "listen ...
    http2" before nginx 1.25.1, "http2 on" since (the listen parameter is
    deprecated there)."""
    if rig.nginx_version() >= (1, 25, 1):
        return f"listen {address};\n    http2 on;"
    return f"listen {address} http2;"


class H2Client:
    """One HTTP/2 connection; request() sends a stream, wait() collects
    the answers of the streams it is given."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True,
                                             header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.flush()
        self.streams = {}   # id -> {"status", "headers", "body", "done"}

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, method, path, headers=(), body=None):
        sid = self.conn.get_next_available_stream_id()
        hdrs = [(":method", method), (":path", path), (":scheme", "http"),
                (":authority", "127.0.0.1")] + list(headers)
        self.conn.send_headers(sid, hdrs, end_stream=body is None)
        self.streams[sid] = {"status": None, "headers": {}, "body": b"",
                             "done": False}
        self.flush()
        if body is not None:
            self.send_body(sid, body)
        return sid

    def send_body(self, sid, body):
        while body:
            if self.streams[sid]["done"]:
                # answered (and reset) before the whole body was sent:
                # allowed by RFC 9113 section 8.1
                return
            window = min(self.conn.local_flow_control_window(sid),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                self.pump(0.5)
                continue
            chunk, body = body[:window], body[window:]
            try:
                self.conn.send_data(sid, chunk, end_stream=not body)
            except h2.exceptions.StreamClosedError:
                return
            self.flush()

    def reset(self, sid):
        self.conn.reset_stream(sid, error_code=8)   # CANCEL
        self.streams[sid]["done"] = True
        self.flush()

    def pump(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        if not data:
            raise ConnectionError("nginx closed the HTTP/2 connection")
        for ev in self.conn.receive_data(data):
            st = self.streams.get(getattr(ev, "stream_id", None))
            if isinstance(ev, h2.events.ResponseReceived) and st:
                st["headers"] = dict(ev.headers)
                st["status"] = int(st["headers"][":status"])
            elif isinstance(ev, h2.events.DataReceived) and st:
                st["body"] += ev.data
                self.conn.acknowledge_received_data(
                    ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, (h2.events.StreamEnded,
                                 h2.events.StreamReset)) and st:
                st["done"] = True
        self.flush()

    def wait(self, sids, timeout=10):
        deadline = time.time() + timeout
        while not all(self.streams[s]["done"] for s in sids):
            if time.time() > deadline:
                raise TimeoutError("HTTP/2 streams did not finish")
            self.pump(0.2)
        return [self.streams[s] for s in sids]

    def close(self):
        try:
            self.conn.close_connection()
            self.flush()
        except OSError:
            pass
        self.sock.close()
