"""Access tokens for the OAuth tests: real ones from the provider's token
endpoint, and negative ones signed with the provider's OWN private keys.

Each negative token differs from a good one in exactly one property, so a
server that refuses it refuses that property, not a bad signature by
accident. pyjwt refuses to build some forgeries (`alg: none`, HMAC keyed
with an asymmetric key, non-string `iss`); those are assembled by hand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

KIDS = {"RS256": "rs256-1", "ES256": "es256-1", "EdDSA": "eddsa-1"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def provider_token(issuer: str, resource: str, client: str = "mcp-cc", scope: str = "twilio:read twilio:write") -> str:
    """A client-credentials access token from the provider's real token endpoint."""
    meta = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    r = httpx.post(
        meta["token_endpoint"],
        auth=(client, f"{client}-secret"),
        data={"grant_type": "client_credentials", "resource": resource, "scope": scope},
    )
    r.raise_for_status()
    return r.json()["access_token"]


class Minter:
    """Signs tokens with the provider's private keys (its KEYS_FILE)."""

    def __init__(self, issuer: str, resource: str, keys: dict[str, dict]):
        self.issuer, self.resource = issuer, resource
        self.private = {
            "RS256": RSAAlgorithm.from_jwk(keys["rs256-1"]),
            "ES256": ECAlgorithm.from_jwk(keys["es256-1"]),
            "EdDSA": OKPAlgorithm.from_jwk(keys["eddsa-1"]),
        }

    def claims(self, **changes) -> dict:
        now = int(time.time())
        claims = {
            "jti": b64(os.urandom(12)),
            "sub": "test-user",
            "iat": now,
            "exp": now + 600,
            "scope": "twilio:read twilio:write",
            "client_id": "mcp-native",
            "iss": self.issuer,
            "aud": self.resource,
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict, alg: str = "RS256", **header) -> str:
        return jwt.encode(claims, self.private[alg], algorithm=alg, headers={"typ": "at+jwt", "kid": KIDS[alg], **header})

    def sign_raw(self, payload: dict, alg: str = "RS256") -> str:
        """Any JSON payload (pyjwt's JWT layer refuses some malformed claims; its JWS layer does not)."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        return jwt.api_jws.PyJWS().encode(body, self.private[alg], algorithm=alg, headers={"typ": "at+jwt", "kid": KIDS[alg]})

    def good(self) -> dict[str, str]:
        """Tokens the server must accept (one per algorithm, plus edge cases)."""
        now = int(time.time())
        return {
            "minted-rs256": self.sign(self.claims()),
            "minted-es256": self.sign(self.claims(), "ES256"),
            "minted-eddsa": self.sign(self.claims(), "EdDSA"),
            "aud-array": self.sign(self.claims(aud=["http://127.0.0.1:1/other", self.resource])),
            "exp-within-leeway": self.sign(self.claims(iat=now - 700, exp=now - 5)),
        }

    def bad(self, other_resource_token: str) -> dict[str, str]:
        """Tokens the server must refuse, by what is wrong with them."""
        now = int(time.time())
        c = self.claims
        good = self.sign(c())
        h, p, s = good.split(".")
        widened = b64(json.dumps(c(scope="twilio:read twilio:write", sub="admin"), separators=(",", ":")).encode())
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        stranger_jwk = json.loads(RSAAlgorithm.to_jwk(stranger.public_key()))
        public = self.private["RS256"].public_key()
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

        def raw(header: dict, payload: dict, signature: bytes = b"") -> str:
            return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{b64(signature)}"

        def hs256(secret: bytes) -> str:
            head = b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": "rs256-1"}).encode())
            body = b64(json.dumps(c()).encode())
            mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
            return f"{head}.{body}.{b64(mac)}"

        return {
            "expired": self.sign(c(iat=now - 7200, exp=now - 3600)),
            "not-yet-valid": self.sign(c(nbf=now + 3600)),
            "wrong-audience": self.sign(c(aud=self.resource.replace("/mcp", "/other"))),
            "audience-origin-only": self.sign(c(aud=self.resource.rsplit("/", 1)[0])),
            "other-resource": other_resource_token,
            "wrong-issuer": self.sign(c(iss="http://127.0.0.1:1")),
            "issuer-trailing-slash": self.sign(c(iss=self.issuer + "/")),
            "iss-array": self.sign_raw(c(iss=[self.issuer])),
            "missing-exp": self.sign(c(exp=None)),
            "missing-aud": self.sign(c(aud=None)),
            "missing-sub": self.sign(c(sub=None)),
            "exp-not-a-number": self.sign(c(exp="tomorrow")),
            "nbf-not-a-number": self.sign(c(nbf=str(now + 3600))),
            "aud-number": self.sign_raw(c(aud=3000)),
            "unknown-kid": jwt.encode(c(), stranger, algorithm="RS256", headers={"typ": "at+jwt", "kid": "rs256-unknown"}),
            "stranger-key-known-kid": jwt.encode(c(), stranger, algorithm="RS256", headers={"typ": "at+jwt", "kid": "rs256-1"}),
            "no-kid": jwt.encode(c(), self.private["RS256"], algorithm="RS256", headers={"typ": "at+jwt"}),
            "alg-none": raw({"alg": "none", "typ": "at+jwt", "kid": "rs256-1"}, c()),
            "alg-none-with-signature": raw({"alg": "none", "typ": "at+jwt", "kid": "rs256-1"}, c(), b"x" * 32),
            "hs256-with-public-key-pem": hs256(pem),
            "hs256-with-public-key-der": hs256(der),
            "tampered-payload": f"{h}.{widened}.{s}",
            "tampered-signature": f"{h}.{p}.{s[:-4]}AAAA",
            "es256-signature-on-rsa-kid": jwt.encode(c(), self.private["ES256"], algorithm="ES256", headers={"typ": "at+jwt", "kid": "rs256-1"}),
            "embedded-jwk": jwt.encode(c(), stranger, algorithm="RS256", headers={"typ": "at+jwt", "kid": "x", "jwk": stranger_jwk}),
            "jku-injection": jwt.encode(c(), stranger, algorithm="RS256", headers={"typ": "at+jwt", "kid": "x", "jku": "http://127.0.0.1:9/jwks"}),
            "typ-jwt": self.sign(c(), typ="JWT"),
            "crit-unknown": self.sign(c(), crit=["exp-ext"], **{"exp-ext": 1}),
            "not-a-jwt": "abc.def",
            "garbage": "not a token at all",
            "oversized": self.sign(c(pad="x" * 20000)),
        }
