"""A minimal OpenID Connect provider on loopback, for the single sign-on tests.

A real HTTP server in a thread serves discovery, the key set, the authorization endpoint
and the token endpoint, and signs real ID tokens (RS256). Nobody types a password here:
the person the provider "signs in" is whatever ``person`` holds when the browser arrives.
``misbehave`` makes its next ID token wrong in one named way, as a broken or hostile
provider would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "govops"
CLIENT_SECRET = "provider-test-secret-9f2c"


@dataclass
class Grant:
    redirect_uri: str
    challenge: str
    nonce: str
    claims: dict[str, Any]


@dataclass
class Provider:
    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    person: dict[str, Any] = field(default_factory=dict)
    misbehave: str | None = None  # see id_token()
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: int = 0

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            **grant.claims,
        }
        key = self.key
        if self.misbehave == "wrong nonce":
            claims["nonce"] = "another"
        elif self.misbehave == "wrong audience":
            claims["aud"] = "someone-else"
        elif self.misbehave == "wrong issuer":
            claims["iss"] = "http://127.0.0.1:1/elsewhere"
        elif self.misbehave == "expired":
            claims["exp"] = now - 600
        elif self.misbehave == "foreign key":
            key = RSAKey.generate_key(2048, {"kid": "k1"})
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


@contextmanager
def running_provider() -> Iterator[Provider]:
    provider = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(provider))
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _handler_for(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: pytest shows failures, not traffic

        def do_GET(self) -> None:
            address = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(address.query).items()}
            if address.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif address.path == "/jwks":
                self._json(200, KeySet([provider.key]).as_dict(private=False))
            elif address.path == "/authorize":
                status, back = authorize(provider, query)
                if back is None:
                    self._json(status, {"error": "invalid_request"})
                else:
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path != "/token":
                self._json(404, {"error": "not_found"})
                return
            provider.token_requests += 1
            self._json(*token(provider, form, self.headers.get("authorization")))

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def authorize(provider: Provider, query: dict[str, str]) -> tuple[int, str | None]:
    """The person is signed in at once: a code for them, and the way back to the client."""
    wanted = {"response_type": "code", "client_id": CLIENT_ID, "code_challenge_method": "S256"}
    if any(query.get(name) != value for name, value in wanted.items()):
        return 400, None
    if "openid" not in query.get("scope", "").split():
        return 400, None
    code = secrets.token_urlsafe(16)
    provider.grants[code] = Grant(
        query["redirect_uri"], query["code_challenge"], query["nonce"], dict(provider.person)
    )
    back = {"code": code, "state": query["state"]}
    return 302, f"{query['redirect_uri']}?{urlencode(back)}"


def token(
    provider: Provider, form: dict[str, str], authorization: str | None
) -> tuple[int, dict[str, Any]]:
    """The ID token for a code, checking the client, the code and its PKCE verifier."""
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    if authorization != f"Basic {expected}":
        return 401, {"error": "invalid_client"}
    grant = provider.grants.pop(form.get("code", ""), None)  # a code is good once
    if grant is None or form.get("redirect_uri") != grant.redirect_uri:
        return 400, {"error": "invalid_grant"}
    verifier = form.get("code_verifier", "").encode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
    if challenge.decode() != grant.challenge:
        return 400, {"error": "invalid_grant"}
    return 200, {
        "access_token": secrets.token_urlsafe(16),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": provider.id_token(grant),
    }
