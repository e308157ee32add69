#!/usr/bin/python3
"""Hostile and recording TLS peers for the TLS negative tests (tests/c/test_tls.c): servers with bad certificates,
a plain HTTP server on the port a client takes for https, a server that hangs up mid-handshake, and HTTP proxies
that try to downgrade. Every byte a client sends is recorded as it arrived on the socket (and, where a TLS
handshake completed, as decrypted), so a test can prove that no credential ever reached a peer.
Standard library only; loopback only.

    /usr/bin/python3 tests/fake_aws/fake_tls_peers.py --record-dir DIR [--exit-on-stdin-eof] PEER...

PEER is NAME=MODE[,option=value...]; options: cert=PEM, key=PEM, upstream=PORT or @NAME (a peer of this process),
status=3xx, location=URL or @NAME (http://127.0.0.1:<its port>/). Modes:
  tls             TLS with cert/key; after a completed handshake the plaintext is relayed to upstream
  plain           plain HTTP: the first bytes are answered "400 Bad Request" and the connection closed (what nginx
                  does with a ClientHello)
  relay           plain TCP relay to upstream (a recording plain-http endpoint, for positive controls)
  cut             TLS with cert/key, but only the first half of the server's handshake answer is sent, then the
                  connection is closed
  proxy           HTTP proxy: CONNECT answered 200, then a TCP tunnel to upstream whatever the CONNECT named
  proxy_plain     CONNECT answered 200, then plain HTTP (a JSON 200) instead of TLS
  proxy_redirect  CONNECT answered with status (default 302) and Location: location
  proxy_mitm      CONNECT answered 200, then TLS with cert/key (an intercepting proxy), relayed to upstream if given

Once listening it prints one JSON line {"NAME": port, ...}. Then, one command per line on stdin, one JSON line back:
  stats NAME   waits until every connection accepted so far is over (and none is waiting to be accepted), then
               {"connections", "handshakes" (TLS handshakes completed), "connects" (CONNECT requests),
                "raw_bytes", "plain_bytes", "quiet"}; the bytes are in DIR/NAME.raw (as received on the socket) and
               DIR/NAME.plain (decrypted, or as relayed)
  reset        forgets every count and empties the files
Nothing it receives is ever printed."""

import json
import os
import select
import socket
import ssl
import sys
import threading
import time

MAX_HEAD = 64 * 1024
IO_TIMEOUT = 15.0               # a backstop: clients close their side long before
QUIET_WAIT = 10.0


class Peer:
    def __init__(self, name, mode, options, record_dir):
        self.name, self.mode, self.options = name, mode, options
        self.raw_path = os.path.join(record_dir, name + ".raw")
        self.plain_path = os.path.join(record_dir, name + ".plain")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.context = None
        if "cert" in options:
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.minimum_version = ssl.TLSVersion.TLSv1_2
            self.context.load_cert_chain(options["cert"], options["key"])
        self.upstream = None
        self.location = None
        self.reset()

    def reset(self):
        self.connections = self.handshakes = self.connects = 0
        self.raw_bytes = self.plain_bytes = 0
        for path in (self.raw_path, self.plain_path):
            open(path, "wb").close()

    def stats(self):
        return {"connections": self.connections, "handshakes": self.handshakes, "connects": self.connects,
                "raw_bytes": self.raw_bytes, "plain_bytes": self.plain_bytes}


class Peers:
    def __init__(self, peers):
        self.peers = peers
        self.by_sock = {p.sock: p for p in peers}
        self.lock = threading.Lock()
        self.active = 0
        self.stopping = False

    def record(self, peer, kind, data):
        if not data:
            return
        with self.lock:
            with open(peer.raw_path if kind == "raw" else peer.plain_path, "ab") as f:
                f.write(data)
            if kind == "raw":
                peer.raw_bytes += len(data)
            else:
                peer.plain_bytes += len(data)

    def count(self, peer, what):
        with self.lock:
            setattr(peer, what, getattr(peer, what) + 1)

    # Accepting and counting happen under the lock, and `stats` looks for connections waiting to be accepted under
    # the same lock: a connection the client made before asking is always seen.
    def accept_loop(self):
        socks = list(self.by_sock)
        while not self.stopping:
            readable, _, _ = select.select(socks, [], [], 0.05)
            for sock in readable:
                peer = self.by_sock[sock]
                with self.lock:
                    try:
                        conn, _ = sock.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    peer.connections += 1
                    self.active += 1
                threading.Thread(target=self.serve, args=(peer, conn), daemon=True).start()

    def quiet(self):
        deadline = time.monotonic() + QUIET_WAIT
        while True:
            with self.lock:
                waiting, _, _ = select.select(list(self.by_sock), [], [], 0)
                if not waiting and self.active == 0:
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    def serve(self, peer, conn):
        try:
            conn.setblocking(True)
            conn.settimeout(IO_TIMEOUT)
            handler = getattr(self, "mode_" + peer.mode)
            handler(peer, conn)
        except (OSError, ssl.SSLError, ValueError):
            pass                        # clients hanging up on purpose are the point of these peers
        finally:
            try:
                conn.close()
            except OSError:
                pass
            with self.lock:
                self.active -= 1

    # -- building blocks ---------------------------------------------------------------------------
    def recv(self, peer, conn):
        data = conn.recv(65536)
        self.record(peer, "raw", data)
        return data

    def drain(self, peer, conn):
        """Record whatever the client still sends, until it closes."""
        try:
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while self.recv(peer, conn):
            pass

    def read_head(self, peer, conn):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < MAX_HEAD:
            data = self.recv(peer, conn)
            if not data:
                break
            head += data
        return head

    def pipe(self, peer, client, upstream, client_data=None):
        """Relay both ways until either side closes. client_data(raw) -> bytes to forward (TLS decrypts there)."""
        while True:
            readable, _, _ = select.select([client, upstream], [], [], IO_TIMEOUT)
            if not readable:
                return
            if client in readable:
                data = self.recv(peer, client)
                if not data:
                    return
                forward = client_data(data) if client_data else data
                if client_data is None:
                    self.record(peer, "plain", data)
                if forward:
                    upstream.sendall(forward)
            if upstream in readable:
                data = upstream.recv(65536)
                if not data:
                    return
                client.sendall(data)

    def connect_upstream(self, peer):
        if peer.upstream is None:
            return None
        return socket.create_connection(("127.0.0.1", peer.upstream), timeout=IO_TIMEOUT)

    def tls(self, peer, conn, cut=False):
        """A TLS server over memory BIOs, so that the raw bytes are seen before OpenSSL takes them."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = peer.context.wrap_bio(incoming, outgoing, server_side=True)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                answer = outgoing.read()
                if cut and answer:
                    conn.sendall(answer[:len(answer) // 2])
                    self.drain(peer, conn)
                    return
                if answer:
                    conn.sendall(answer)
                data = self.recv(peer, conn)
                if not data:
                    return
                incoming.write(data)
            except ssl.SSLError:
                answer = outgoing.read()        # the alert, if any
                if answer:
                    conn.sendall(answer)
                self.drain(peer, conn)
                return
        self.count(peer, "handshakes")
        conn.sendall(outgoing.read())
        upstream = self.connect_upstream(peer)
        if upstream is None:
            self.drain(peer, conn)
            return

        def decrypt(raw):
            incoming.write(raw)
            out = b""
            while True:
                try:
                    plain = tls.read(65536)
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLError:
                    break
                if not plain:
                    break
                out += plain
            self.record(peer, "plain", out)
            pending = outgoing.read()          # key updates, session tickets, alerts
            if pending:
                conn.sendall(pending)
            return out

        class Encrypting:
            def __init__(self, sock):
                self.sock = sock

            def sendall(self, data):
                tls.write(data)
                self.sock.sendall(outgoing.read())

            def fileno(self):
                return self.sock.fileno()

            def recv(self, n):
                return self.sock.recv(n)

        try:
            # The client's first request may have come with its Finished message: relay it now.
            first = decrypt(b"")
            if first:
                upstream.sendall(first)
            self.pipe(peer, Encrypting(conn), upstream, client_data=decrypt)
        finally:
            upstream.close()

    # -- modes ---------------------------------------------------------------------------------------
    def mode_tls(self, peer, conn):
        self.tls(peer, conn)

    def mode_cut(self, peer, conn):
        self.tls(peer, conn, cut=True)

    def mode_plain(self, peer, conn):
        if not self.recv(peer, conn):
            return
        body = b"<html><body><h1>400 Bad Request</h1>The plain HTTP request was sent to HTTPS port</body></html>"
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nServer: fake-plain\r\nContent-Type: text/html\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        self.drain(peer, conn)

    def mode_relay(self, peer, conn):
        upstream = self.connect_upstream(peer)
        try:
            self.pipe(peer, conn, upstream)
        finally:
            upstream.close()

    def proxy_head(self, peer, conn):
        head = self.read_head(peer, conn)
        if head.startswith(b"CONNECT "):
            self.count(peer, "connects")
            return True
        conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        self.drain(peer, conn)
        return False

    def mode_proxy(self, peer, conn):
        if not self.proxy_head(peer, conn):
            return
        upstream = self.connect_upstream(peer)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        try:
            # A proxy can read no more than the ciphertext, which raw holds: its plain record stays empty.
            self.pipe(peer, conn, upstream, client_data=lambda raw: raw)
        finally:
            upstream.close()

    def mode_proxy_plain(self, peer, conn):
        if not self.proxy_head(peer, conn):
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if not self.recv(peer, conn):     # the ClientHello, answered in plain text
            return
        body = b'{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf","Name":"x",' \
               b'"SecretString":"downgraded","VersionId":"00000000-0000-0000-0000-000000000000",' \
               b'"VersionStages":["AWSCURRENT"],"CreatedDate":1.7E9}'
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
        self.drain(peer, conn)

    def mode_proxy_redirect(self, peer, conn):
        if not self.proxy_head(peer, conn):
            return
        status = int(peer.options.get("status", "302"))
        reason = {301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
                  308: "Permanent Redirect"}.get(status, "Redirect")
        conn.sendall(b"HTTP/1.1 %d %s\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
                     % (status, reason.encode(), peer.location.encode()))
        self.drain(peer, conn)

    def mode_proxy_mitm(self, peer, conn):
        if not self.proxy_head(peer, conn):
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.tls(peer, conn)


def parse_peer(spec, record_dir):
    name, sep, rest = spec.partition("=")
    if not sep or not name.replace("_", "").replace("-", "").isalnum():
        raise SystemExit("bad peer %r: NAME=MODE[,option=value...]" % spec)
    mode, *pairs = rest.split(",")
    if not hasattr(Peers, "mode_" + mode):
        raise SystemExit("unknown mode %r" % mode)
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit("bad option %r" % pair)
        options[key] = value
    if mode in ("tls", "cut", "proxy_mitm") and not ("cert" in options and "key" in options):
        raise SystemExit("mode %s needs cert= and key=" % mode)
    return Peer(name, mode, options, record_dir)


def main(argv):
    args = list(argv)
    record_dir, exit_on_eof = None, False
    specs = []
    while args:
        arg = args.pop(0)
        if arg == "--record-dir":
            record_dir = args.pop(0)
        elif arg == "--exit-on-stdin-eof":
            exit_on_eof = True
        else:
            specs.append(arg)
    if not record_dir or not specs:
        raise SystemExit(__doc__)
    peers = [parse_peer(spec, record_dir) for spec in specs]
    by_name = {p.name: p for p in peers}

    def resolve(value):
        if value.startswith("@"):
            return by_name[value[1:]].port
        return int(value)
    for p in peers:
        if "upstream" in p.options:
            p.upstream = resolve(p.options["upstream"])
        if "location" in p.options:
            loc = p.options["location"]
            p.location = "http://127.0.0.1:%d/" % resolve(loc) if loc.startswith("@") else loc
    if any(p.mode in ("relay", "proxy") and p.upstream is None for p in peers):
        raise SystemExit("relay and proxy need upstream=")
    if any(p.mode == "proxy_redirect" and p.location is None for p in peers):
        raise SystemExit("proxy_redirect needs location=")

    state = Peers(peers)
    threading.Thread(target=state.accept_loop, daemon=True).start()
    print(json.dumps({p.name: p.port for p in peers}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "stats" and len(words) == 2 and words[1] in by_name:
            quiet = state.quiet()
            with state.lock:
                answer = by_name[words[1]].stats()
            answer["quiet"] = quiet
        elif words[0] == "reset":
            state.quiet()
            with state.lock:
                for p in peers:
                    p.reset()
            answer = {"ok": True}
        else:
            answer = {"error": "unknown command"}
        print(json.dumps(answer), flush=True)
    state.stopping = True
    if not exit_on_eof:
        threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
