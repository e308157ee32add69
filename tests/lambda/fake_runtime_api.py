#!/usr/bin/python3
"""A fake Lambda Runtime API (2018-06-01) for testing a custom runtime's bootstrap on loopback.

The bootstrap under test points AWS_LAMBDA_RUNTIME_API at 127.0.0.1:PORT and calls
  GET  /2018-06-01/runtime/invocation/next            (blocks until the test queues an event)
  POST /2018-06-01/runtime/invocation/{id}/response
  POST /2018-06-01/runtime/invocation/{id}/error      (Lambda-Runtime-Function-Error-Type header, error JSON)
  POST /2018-06-01/runtime/init/error
as Lambda's own endpoint answers them: /next gives the event body with Lambda-Runtime-Aws-Request-Id,
Lambda-Runtime-Deadline-Ms, Lambda-Runtime-Invoked-Function-Arn and Lambda-Runtime-Trace-Id; the posts answer
202 {"status":"OK"}; an unknown or already answered request id is 400 (errorType InvalidRequestID).

The test drives it through an unsigned control endpoint (JSON in, JSON out):
  POST /__control/invoke  {"event": {...}, "deadline_ms": 30000, "timeout_s": 60, "trace_id"?: "...",
                           "deadline_header"?: "..." | null}
        queue the event (deadline = now + deadline_ms, or the Lambda-Runtime-Deadline-Ms value deadline_header
        as is, or none for null) and block until the bootstrap answers it or timeout_s
        passes; answers {"request_id", "kind": "response"|"error"|"timeout", "body" (parsed JSON when it is),
        "error_type" (the header), "content_type", "deadline_epoch_ms", "answered_epoch_ms", "trace_id"}
  GET  /__control/state   {"init_errors": [{"error_type", "body", "content_type"}], "waiting": n,
                           "queued": n, "answered": n, "rejected_posts": n}
  POST /__control/reset   forget everything (queued events included)
An event handed to a /next caller whose connection is gone (a bootstrap killed while waiting) goes back to the
front of the queue, so a restarted bootstrap gets it.

Usage: fake_runtime_api.py [--port 0] [--exit-on-stdin-eof]; prints {"port": N} once listening.
Standard library only.
"""
import argparse
import collections
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime/"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:rdssecret-rotation-test"


class State:
    def __init__(self):
        self.cond = threading.Condition()
        self.reset()

    def reset(self):
        self.queue = collections.deque()        # invocations not yet handed out
        self.invocations = {}                    # request id -> dict
        self.init_errors = []
        self.waiting = 0
        self.rejected_posts = 0


def now_ms():
    return int(time.time() * 1000)


def peer_closed(sock):
    """True when the client hung up (readable with nothing to read). Our clients never pipeline."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-lambda-runtime"
    sys_version = ""

    def setup(self):
        super().setup()
        # Headers and body go out as two writes: without NODELAY, Nagle plus the client's delayed ACK cost 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):
        pass

    @property
    def state(self):
        return self.server.state

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > 6 * 1024 * 1024:
            raise ValueError("too large")
        return self.rfile.read(n) if n else b""

    def send(self, status, obj, headers=()):
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    # -- the Runtime API ------------------------------------------------------------------------------
    def do_GET(self):
        if self.path == PREFIX + "invocation/next":
            return self.next_invocation()
        if self.path == "/__control/state":
            with self.state.cond:
                s = self.state
                return self.send(200, {"init_errors": s.init_errors, "waiting": s.waiting, "queued": len(s.queue),
                                       "answered": sum(1 for i in s.invocations.values() if i["kind"]),
                                       "rejected_posts": s.rejected_posts})
        self.send(404, {"errorType": "NotFound", "errorMessage": "unknown path"})

    def next_invocation(self):
        st = self.state
        with st.cond:
            st.waiting += 1
            try:
                while True:
                    if st.queue:
                        inv = st.queue.popleft()
                        break
                    st.cond.wait(0.2)
                    if peer_closed(self.connection):
                        self.close_connection = True
                        return
            finally:
                st.waiting -= 1
        deadline = inv.get("deadline_header", str(inv["deadline_epoch_ms"]))
        headers = [("Lambda-Runtime-Aws-Request-Id", inv["request_id"])]
        if deadline is not None:
            headers.append(("Lambda-Runtime-Deadline-Ms", deadline))
        headers += [("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN),
                    ("Lambda-Runtime-Trace-Id", inv["trace_id"])]
        try:
            if peer_closed(self.connection):
                raise OSError("client gone")
            self.send(200, json.dumps(inv["event"]).encode(), headers)
            inv["handed_out"] += 1
        except OSError:
            with st.cond:
                st.queue.appendleft(inv)
                st.cond.notify_all()
            self.close_connection = True

    def do_POST(self):
        try:
            body = self.body()
        except ValueError:
            self.close_connection = True
            return self.send(413, {"errorType": "RequestTooLarge", "errorMessage": "body too large"})
        path = self.path
        if path.startswith("/__control/"):
            return self.control(path[len("/__control/"):], body)
        if path == PREFIX + "init/error":
            with self.state.cond:
                self.state.init_errors.append(self.record(body))
                self.state.cond.notify_all()
            return self.send(202, {"status": "OK"})
        parts = path[len(PREFIX):].split("/") if path.startswith(PREFIX) else []
        if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            with self.state.cond:
                inv = self.state.invocations.get(parts[1])
                if inv is None or inv["kind"]:
                    self.state.rejected_posts += 1
                    return self.send(400, {"errorType": "InvalidRequestID", "errorMessage": "unknown or answered"})
                inv.update(self.record(body))
                inv["kind"] = parts[2]
                inv["answered_epoch_ms"] = now_ms()
                self.state.cond.notify_all()
            return self.send(202, {"status": "OK"})
        self.send(404, {"errorType": "NotFound", "errorMessage": "unknown path"})

    def record(self, body):
        text = body.decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        return {"body": parsed, "error_type": self.headers.get("Lambda-Runtime-Function-Error-Type"),
                "content_type": self.headers.get("Content-Type")}

    # -- control ----------------------------------------------------------------------------------------
    def control(self, action, body):
        st = self.state
        try:
            args = json.loads(body or b"{}")
        except ValueError:
            return self.send(400, {"error": "body is not JSON"})
        if action == "reset":
            with st.cond:
                st.reset()
            return self.send(200, {"ok": True})
        if action != "invoke":
            return self.send(404, {"error": "unknown action"})
        request_id = str(uuid.uuid4())
        inv = {"request_id": request_id, "event": args.get("event"), "kind": None, "body": None,
               "error_type": None, "content_type": None, "handed_out": 0,
               "trace_id": args.get("trace_id") or "Root=1-%08x-%s;Parent=%s;Sampled=0" % (
                   int(time.time()), uuid.uuid4().hex[:24], uuid.uuid4().hex[:16]),
               "deadline_epoch_ms": now_ms() + int(args.get("deadline_ms", 30000)),
               "answered_epoch_ms": None}
        if "deadline_header" in args:
            inv["deadline_header"] = args["deadline_header"]  # sent as is (a test of bad values); null: none
        with st.cond:
            st.invocations[request_id] = inv
            st.queue.append(inv)
            st.cond.notify_all()
            end = time.time() + float(args.get("timeout_s", 60))
            while inv["kind"] is None and time.time() < end:
                st.cond.wait(min(0.2, max(0.0, end - time.time())))
            if inv["kind"] is None:
                # Not answered: take it back so no later bootstrap runs a stale event.
                try:
                    st.queue.remove(inv)
                except ValueError:
                    pass
            result = dict(inv)
        result["kind"] = result["kind"] or "timeout"
        self.send(200, result)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address):
        self.state = State()
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args(argv)
    server = Server(("127.0.0.1", args.port))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    if args.exit_on_stdin_eof:
        def watch():
            try:
                while os.read(sys.stdin.fileno(), 4096):
                    pass
            except OSError:
                pass
            stop.set()
        threading.Thread(target=watch, daemon=True).start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
