"""The client's HTTP layer against a tiny in-process server (no dpr needed)."""

import json
import threading
import unittest
from http.server import BaseHTTPRequestHandler, HTTPServer

from pynqpartial_client import Client, DprError


class _Handler(BaseHTTPRequestHandler):
    seen = []

    def log_message(self, *args):
        pass

    def _answer(self, status, body, content_type="application/json", headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        _Handler.seen.append((self.command, self.path, dict(self.headers), body))
        if self.path in ("/healthz",):
            return self._answer(200, {"status": "ok"})
        if self.path == "/readyz":
            return self._answer(503, {"type": "about:blank", "title": "Not ready", "status": 503},
                                "application/problem+json", {"Retry-After": "2"})
        if self.headers.get("Authorization") != "Bearer good":
            return self._answer(401, {"type": "https://dpr.dev/problems/unauthorized", "title": "Unauthorized",
                                      "status": 401, "detail": "unknown key", "field": "authorization"},
                                "application/problem+json", {"WWW-Authenticate": "Bearer"})
        if self.command == "POST" and self.path == "/v1/jobs":
            sent = json.loads(body)
            if sent.get("stride") != 1:
                return self._answer(400, {"title": "Bad input", "status": 400, "detail": "stride: 3",
                                          "field": "stride"}, "application/problem+json")
            return self._answer(202, {"id": "j1", "state": "queued", "duplicate": False},
                                headers={"Location": "/v1/jobs/j1"})
        if self.command == "GET" and self.path.startswith("/v1/jobs?"):
            return self._answer(200, {"jobs": []})
        if self.command == "GET" and self.path == "/v1/jobs":
            return self._answer(429, {"title": "Too many open jobs", "status": 429, "field": "quota"},
                                "application/problem+json", {"Retry-After": "7"})
        if self.command == "DELETE" and self.path == "/v1/jobs/j1":
            return self._answer(200, {"id": "j1", "state": "cancelled"})
        return self._answer(404, b"no route", "text/plain")

    do_GET = do_POST = do_DELETE = _handle


class HttpLayerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.httpd = HTTPServer(("127.0.0.1", 0), _Handler)
        cls.thread = threading.Thread(target=cls.httpd.serve_forever, daemon=True)
        cls.thread.start()
        cls.url = "http://127.0.0.1:%d/" % cls.httpd.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()
        cls.httpd.server_close()

    def setUp(self):
        _Handler.seen.clear()

    def test_a_submission_is_json_with_the_bearer_key(self):
        client = Client(self.url, "good")
        self.assertEqual(client.submit("conv3x3_int8", ([1, 1, 1, 1], [5]), ([1, 1, 3, 3], [0] * 9)), "j1")
        method, path, headers, body = _Handler.seen[-1]
        self.assertEqual((method, path), ("POST", "/v1/jobs"))
        self.assertEqual(headers["Authorization"], "Bearer good")
        self.assertEqual(headers["Content-Type"], "application/json")
        sent = json.loads(body)
        self.assertEqual(sent["input"], {"shape": [1, 1, 1, 1], "data": "BQ=="})

    def test_problems_become_dpr_errors(self):
        client = Client(self.url, "good")
        with self.assertRaises(DprError) as e:
            client.submit("conv3x3_int8", ([1, 1, 1, 1], [5]), ([1, 1, 3, 3], [0] * 9), stride=3)
        self.assertEqual((e.exception.status, e.exception.title, e.exception.field), (400, "Bad input", "stride"))
        with self.assertRaises(DprError) as e:
            Client(self.url, "bad").jobs()
        self.assertEqual((e.exception.status, e.exception.field, e.exception.detail),
                         (401, "authorization", "unknown key"))
        with self.assertRaises(DprError) as e:
            client._request("GET", "/v1/jobs")
        self.assertEqual((e.exception.status, e.exception.field, e.exception.retry_after), (429, "quota", 7))
        with self.assertRaises(DprError) as e:
            client.job("nope")
        self.assertEqual((e.exception.status, e.exception.detail), (404, "no route"))

    def test_query_and_path(self):
        client = Client(self.url, "good")
        self.assertEqual(client.jobs(state="queued", limit=10), [])
        self.assertEqual(_Handler.seen[-1][1], "/v1/jobs?state=queued&limit=10")
        self.assertEqual(client.cancel("j1"), {"id": "j1", "state": "cancelled"})

    def test_operations_need_no_key(self):
        client = Client(self.url, None)
        self.assertEqual(client.health(), {"status": "ok"})
        self.assertFalse(client.ready())
        self.assertNotIn("Authorization", _Handler.seen[-1][2])


if __name__ == "__main__":
    unittest.main()
