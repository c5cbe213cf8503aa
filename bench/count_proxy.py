#!/usr/bin/env python3
"""A tiny counting reverse proxy: forwards every request to one upstream and counts it.

Each tool reports its own unit ("tests", "test cases", "examples"), and those units are not the
same thing: one test may send many requests, or a generated case may be skipped before sending.
Counting at the wire is the only number that means the same for both tools, so compare.sh runs
one extra pass of each tool through this proxy. The timed runs go straight to the server, since a
Python proxy would then be the bottleneck and hide the tools' own speed.

Usage: count_proxy.py --upstream 127.0.0.1:PORT --stats FILE
It listens on 127.0.0.1 on a free port, prints `proxy listening on http://127.0.0.1:PORT` as its
first stdout line, and on SIGTERM/SIGINT writes {"requests": N, "by_status": {...}} to FILE.
"""

import argparse
import http.client
import http.server
import json
import signal
import sys
import threading
from collections import Counter

# Hop-by-hop headers (RFC 9110 7.6.1) are per connection and must not be forwarded; the proxy
# re-frames bodies itself, so the framing headers go too and Content-Length is set fresh.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
    "upgrade", "content-length",
}

# Upstream answers slower than this mean something hangs; fail the request rather than the run.
UPSTREAM_TIMEOUT = 30

lock = threading.Lock()
total = 0
by_status = Counter()


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.1 so clients can keep connections alive, as they would against the real server.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the second waits for the
    # client's delayed ACK (~40 ms) and the proxy would add that to every request.
    disable_nagle_algorithm = True
    upstream = None  # (host, port), set in main()

    def log_message(self, *args):
        pass  # one line per request would dominate the run's output

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # Drain the optional trailers up to the blank line that ends the message.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def forward(self):
        global total
        body = self.read_body()
        # Count before forwarding, so a request the upstream never answers still counts as sent.
        with lock:
            total += 1
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn = http.client.HTTPConnection(*self.upstream, timeout=UPSTREAM_TIMEOUT)
        try:
            # skip_host/skip_accept_encoding: send the client's headers, not http.client's own.
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers.items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            status, reason, resp_headers = resp.status, resp.reason, resp.getheaders()
        except OSError as exc:
            status, reason, data = 502, "Bad Gateway", f"count_proxy: {exc}\n".encode()
            resp_headers = [("Content-Type", "text/plain")]
        finally:
            conn.close()
        with lock:
            by_status[str(status)] += 1
        self.send_response_only(status, reason)
        for k, v in resp_headers:
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # Every method goes through the same path: the tools send GET, PUT, PATCH, DELETE, OPTIONS,
    # TRACE and more to probe the endpoint's 405 handling.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.forward
        raise AttributeError(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the server")
    parser.add_argument("--stats", required=True, help="where to write the counts on exit")
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    Handler.upstream = (host, int(port))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True

    def stop(signum, frame):
        with lock:
            stats = {"requests": total, "by_status": dict(sorted(by_status.items()))}
        with open(args.stats, "w", encoding="utf-8") as f:
            json.dump(stats, f)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"proxy listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
