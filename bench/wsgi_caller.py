"""Calls the Django application as a WSGI server does, in this process and without a socket.

Django's test client is a testing tool: on every request it disconnects and reconnects
`close_old_connections` (each connect leaves a `weakref.finalize` behind, so a long run
slows down as the collector walks them), records rendered templates and keeps cookies.
A server does none of that: it builds the WSGI environ and calls `WSGIHandler`, with the
request_started/finished signals as in production (connection reuse and health checks).
"""

import io
import json
import sys
from dataclasses import dataclass
from typing import Any

from django.core.handlers.wsgi import WSGIHandler


@dataclass
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WsgiCaller:
    def __init__(self, token: str) -> None:
        self.handler = WSGIHandler()
        self.authorization = f"Bearer {token}"

    def post(self, path: str, payload: str) -> Answer:
        body = payload.encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": "testserver",
            "HTTP_AUTHORIZATION": self.authorization,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        response = self.handler(environ, lambda status, headers, *_: lambda data: None)
        try:
            content = b"".join(response)
        finally:
            response.close()
        return Answer(response.status_code, content)
