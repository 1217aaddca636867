"""Google's OAuth side for the loopback server: service-account keys, the token endpoint, bearer checks."""

from __future__ import annotations

import base64
import json
import threading
from datetime import datetime

from .google_values import ApiError

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MISSING = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INVALID = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)

_KEY_LOCK = threading.Lock()
_KEY: str | None = None


def private_key_pem() -> str:
    """An RSA key generated once per test process (generating is the slow part)."""
    global _KEY
    with _KEY_LOCK:
        if _KEY is None:
            try:
                from cryptography.hazmat.primitives import serialization
                from cryptography.hazmat.primitives.asymmetric import rsa

                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                _KEY = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode()
            except ImportError:  # google-auth's pure-Python fallback
                import rsa as pyrsa

                _KEY = pyrsa.newkeys(2048)[1].save_pkcs1().decode()
        return _KEY


def without_boundary_lookup(credentials):
    """Stop google-auth (>= 2.62) from looking up the service account's "regional access boundary".

    After its first token, a service-account credential starts a background thread that GETs
    https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/EMAIL/allowedLocations (a
    fixed URL: no client option moves it). Offline that fails after three urllib3 retries, logs
    warnings and cools down for 15 minutes. Marking the boundary as known and unrestricted ("0x0",
    as gcloud can) skips the lookup; the credential then sends `x-allowed-locations: 0x0`.
    """
    if hasattr(credentials, "_set_regional_access_boundary"):
        credentials._set_regional_access_boundary({"encodedLocations": "0x0", "expiry": datetime(2100, 1, 1)})
    return credentials


def _error_info(reason: str, **metadata) -> list[dict]:
    info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "googleapis.com"}
    if metadata:
        info["metadata"] = metadata
    return [info]


class AuthMixin:
    """The token endpoint and bearer checks of GoogleServer (needs self.lock, self.url, self.allow_anonymous)."""

    def _init_auth(self) -> None:
        self.token_requests: list[dict] = []  # {"grant_type", "claims" (the JWT payload), "token"}
        self.scopes_seen: list[str] = []  # every scope requested, first time first
        self._tokens: dict[str, tuple[str, ...] | None] = {}
        self._expired: set[str] = set()

    def service_account_info(self, client_email: str = "fvma-bot@fvma-test.iam.gserviceaccount.com") -> dict:
        """A service-account key file's JSON whose token_uri is this server."""
        return {
            "type": "service_account",
            "project_id": "fvma-test",
            "private_key_id": "0123456789abcdef0123456789abcdef01234567",
            "private_key": private_key_pem(),
            "client_email": client_email,
            "client_id": "100000000000000000001",
            "auth_uri": self.url + "/auth",
            "token_uri": self.url + "/token",
            "auth_provider_x509_cert_url": self.url + "/certs",
            "client_x509_cert_url": self.url + "/certs/" + client_email,
            "universe_domain": "googleapis.com",
        }

    def credentials(self, scopes: list[str] | None = None):
        """google.oauth2.service_account.Credentials for service_account_info() (no boundary lookup)."""
        from google.oauth2.service_account import Credentials

        scopes = list(scopes or ["https://www.googleapis.com/auth/spreadsheets"])
        creds = Credentials.from_service_account_info(self.service_account_info(), scopes=scopes)
        return without_boundary_lookup(creds)

    def expire_tokens(self) -> None:
        """Expire every issued token: the next API call gets 401 and the client must get a new one."""
        with self.lock:
            self._expired.update(self._tokens)
            self._tokens.clear()

    def _issue_token(self, form: dict[str, str]) -> tuple[int, dict]:
        grant = form.get("grant_type")
        scopes: tuple[str, ...] | None = None
        claims: dict = {}
        if grant == JWT_BEARER:
            # The signature is not checked: any well-formed service-account JWT gets a token.
            try:
                payload = form["assertion"].split(".")[1]
                claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            except Exception:
                return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            scopes = tuple(claims.get("scope", "").split()) or None
        elif grant == "refresh_token":
            scopes = tuple(form.get("scope", "").split()) or None
        else:
            return 400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant}"}
        with self.lock:
            token = f"tok-{len(self.token_requests) + 1}"
            self._tokens[token] = scopes
            self.token_requests.append({"grant_type": grant, "claims": claims, "token": token})
            for s in scopes or ():
                if s not in self.scopes_seen:
                    self.scopes_seen.append(s)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}

    def _check_auth(self, headers: dict[str, str], spec: dict, method_id: str) -> None:
        """401 without a live token from /token (unless allow_anonymous); 403 when none of the
        method's scopes (from the discovery document) was granted."""
        header = headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        with self.lock:
            known = token in self._tokens
            scopes = self._tokens.get(token) if known else None
            expired = token in self._expired
        if not known:
            if self.allow_anonymous:
                return
            if token is None:
                raise ApiError(401, MISSING, details=_error_info("CREDENTIALS_MISSING"))
            reason = "ACCESS_TOKEN_EXPIRED" if expired else "ACCESS_TOKEN_TYPE_UNSUPPORTED"
            raise ApiError(401, INVALID, details=_error_info(reason))
        if scopes is not None and not set(scopes) & set(spec.get("scopes", [])):
            raise ApiError(403, "Request had insufficient authentication scopes.",
                           details=_error_info("ACCESS_TOKEN_SCOPE_INSUFFICIENT", method=method_id))
