"""A local stand-in for Tencent Cloud's SMS API (2021-01-11 SendSms), for the SDK to talk to.

`mode` decides the next answers: "ok", "error" (a final per-number error), "internal" (the
API's InternalError), "timeout" (answers later than the client waits), or a list of modes
consumed one request at a time.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeTencentSms:
    def __init__(self, mode="ok", delay=3.0):
        self.mode = mode
        self.delay = delay
        self.requests = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                mode = server._next_mode()
                with server._lock:
                    server.requests.append({"headers": dict(self.headers), "body": body, "mode": mode})
                if mode == "timeout":
                    time.sleep(server.delay)
                request_id = str(uuid.uuid4())
                if mode == "internal":
                    answer = {
                        "Error": {"Code": "InternalError.Timeout", "Message": "upstream timed out"},
                        "RequestId": request_id,
                    }
                else:
                    answer = {
                        "SendStatusSet": [
                            {
                                "SerialNo": f"2433:{uuid.uuid4().hex[:12]}" if mode != "error" else "",
                                "PhoneNumber": phone,
                                "Fee": 1,
                                "SessionContext": body.get("SessionContext", ""),
                                "Code": "Ok" if mode != "error" else "FailedOperation.PhoneNumberInBlacklist",
                                "Message": "send success" if mode != "error" else "the number is blacklisted",
                                "IsoCode": "CN",
                            }
                            for phone in body.get("PhoneNumberSet", [])
                        ],
                        "RequestId": request_id,
                    }
                payload = json.dumps({"Response": answer}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _next_mode(self):
        with self._lock:
            if isinstance(self.mode, list):
                return self.mode.pop(0) if len(self.mode) > 1 else self.mode[0]
            return self.mode

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
