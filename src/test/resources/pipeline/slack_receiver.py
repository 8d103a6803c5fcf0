"""A real HTTP server on loopback that receives Slack incoming-webhook posts, for the tests.

Prints its port on the first line of stdout, then appends each POST body (one JSON per line) to
the file named by argv[1]. Answers 200 "ok", or 500 on the path /fail (to test a failing notice).
argv[2], when given, is the address to listen on (default 127.0.0.1; the real node's pods reach
this machine at 10.244.0.1).
"""
import http.server
import sys

OUT = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(OUT, "ab") as f:
            f.write(body + b"\n")
        code = 500 if self.path.startswith("/fail") else 200
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b"internal_error")

    def log_message(self, *args):
        pass


server = http.server.HTTPServer((sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
