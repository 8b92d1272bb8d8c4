"""Open Badges 3.0 credentials: build, sign (VC-JWT, EdDSA/Ed25519) and verify; the Bitstring
Status List that revokes them. docs/credentials.md explains the format for an IT team.

What a credential says comes from SQL (public.credential_to_sign: the certificate's data, the
credential's id and its status list index, allocated once); which credentials are revoked too
(public.credential_status_list: the bits of revoked certificates). This module only shapes the
JSON the specifications ask for and signs or checks it with joserfc (no hand-written crypto).

- A credential is a VC-JWT as W3C "Securing Verifiable Credentials using JOSE and COSE" defines
  it for VC Data Model 2.0: the JOSE header is {"alg": "EdDSA", "kid", "typ": "vc+jwt", "cty":
  "vc", "jku"}, the payload the credential itself (VC 2.0 + the OB 3.0 context; no `vc` claim
  wrapper, which is the VC 1.1 JWT encoding) plus the registered claims iss (issuer.id), jti (id),
  nbf (validFrom).
- The issuer's public keys are a JWKS at /.well-known/jwks.json: the current key and the retired
  ones (CREDENTIAL_RETIRED_KEYS_FILE), so credentials signed before a rotation still verify.
- Revocation: credentialStatus is a BitstringStatusListEntry pointing at the status list
  credential (/credentials/status/1), itself a signed VC-JWT whose encodedList is the multibase
  ("u") base64url, unpadded, GZIP of a 131,072-bit (16 KiB) bitstring; bit i (most significant
  bit first) is 1 when the credential with statusListIndex i is revoked.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError, SecurityWarning
from joserfc.jwk import KeySet, OKPKey

# RFC 9864 deprecates the polymorphic "EdDSA" name in favour of "Ed25519"; OB 3.0 and the VC
# wallets in use today still expect "EdDSA" (same signature, same key), so we keep it, quietly.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

ALG = "EdDSA"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
STATUS_LIST_BITS = 131_072  # 16 KiB: the Bitstring Status List minimum (and our one list's size)
MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024  # a verifier inflates no more (a GZIP bomb stops here)
STATUS_LIST_PATH = "/credentials/status/1"
JWKS_PATH = "/.well-known/jwks.json"
ISSUER_PATH = "/issuer"
KEY_SETTINGS = ("CREDENTIAL_SIGNING_KEY", "CREDENTIAL_SIGNING_KEY_FILE", "CREDENTIAL_RETIRED_KEYS_FILE")


class CredentialError(ValueError):
    """A credential setting or key is unusable (the message names the setting)."""


# ---------------------------------------------------------------- keys and the issuer


def generate_key() -> str:
    """A new Ed25519 private key as PEM (PKCS#8): what `make run` writes for development and
    what an organisation generates once (docs/credentials.md)."""
    return OKPKey.generate_key("Ed25519", private=True).as_pem(private=True).decode()


def load_private_key(text: str, setting: str) -> OKPKey:
    """An Ed25519 private key from PEM or a JWK (JSON); its kid is the JWK's own, else its RFC
    7638 thumbprint. CredentialError naming `setting` when it is anything else."""
    text = (text or "").strip()
    try:
        if text.startswith("{"):
            key = OKPKey.import_key(json.loads(text))
        elif text.startswith("-----BEGIN"):
            key = OKPKey.import_key(text.encode())
        else:
            raise CredentialError(f"{setting} must be an Ed25519 private key as PEM or as a JWK (JSON)")
    except CredentialError:
        raise
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise CredentialError(f"{setting} is not a usable Ed25519 private key ({type(exc).__name__})") from None
    if key.get("crv") != "Ed25519":
        raise CredentialError(f"{setting} must be an Ed25519 key (got curve {key.get('crv')!r})")
    if not key.is_private:
        raise CredentialError(f"{setting} holds a public key: the issuer needs the private key")
    if not key.kid:
        key = OKPKey.import_key({**key.as_dict(private=True), "kid": key.thumbprint()})
    return key


def load_public_keys(text: str, setting: str) -> list[dict]:
    """Retired public keys, as a JWKS ({"keys": [...]}) of Ed25519 keys with a kid."""
    try:
        keys = json.loads(text)["keys"]
        out = []
        for jwk in keys:
            key = OKPKey.import_key(jwk)
            if key.get("crv") != "Ed25519" or not key.kid:
                raise ValueError("an Ed25519 key with a kid")
            out.append(key.as_dict(private=False))
        return out
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise CredentialError(f"{setting} must be a JWKS of Ed25519 public keys, each with a kid ({exc})") from None


def _read(path: str, setting: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise CredentialError(f"{setting}: cannot read {path} ({exc.strerror})") from None


@dataclass
class Issuer:
    """The organisation as an OB 3.0 Profile, its signing key (None: credentials are not issued)
    and the public keys it publishes (current first, then the retired ones)."""

    id: str
    name: str
    url: str
    key: OKPKey | None
    public_keys: list[dict] = field(default_factory=list)

    @property
    def kid(self) -> str | None:
        return self.key.kid if self.key else None

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS_PATH

    @property
    def status_list_url(self) -> str:
        return self.url + STATUS_LIST_PATH

    def jwks(self) -> dict:
        """The JWKS to publish: {"keys": [current, retired...]} (public parts only)."""
        return {"keys": self.public_keys}

    def profile(self) -> dict:
        """The issuer's OB 3.0 Profile (also embedded in each credential)."""
        return {"id": self.id, "type": ["Profile"], "name": self.name, "url": self.url}


def issuer_from_config(config) -> Issuer:
    """The Issuer the settings describe (CredentialError naming a bad setting):
    CREDENTIAL_SIGNING_KEY (PEM or JWK) or CREDENTIAL_SIGNING_KEY_FILE, CREDENTIAL_RETIRED_KEYS_FILE
    (JWKS), CREDENTIAL_ISSUER_ID (default <SITE_URL>/issuer), CREDENTIAL_ISSUER_NAME."""
    site = (config.get("SITE_URL") or "http://127.0.0.1:5000").rstrip("/")
    key = None
    if config.get("CREDENTIAL_SIGNING_KEY"):
        key = load_private_key(config["CREDENTIAL_SIGNING_KEY"], "CREDENTIAL_SIGNING_KEY")
    elif config.get("CREDENTIAL_SIGNING_KEY_FILE"):
        path = config["CREDENTIAL_SIGNING_KEY_FILE"]
        key = load_private_key(_read(path, "CREDENTIAL_SIGNING_KEY_FILE"), "CREDENTIAL_SIGNING_KEY_FILE")
    public = [key.as_dict(private=False)] if key else []
    if config.get("CREDENTIAL_RETIRED_KEYS_FILE"):
        path = config["CREDENTIAL_RETIRED_KEYS_FILE"]
        retired = load_public_keys(_read(path, "CREDENTIAL_RETIRED_KEYS_FILE"), "CREDENTIAL_RETIRED_KEYS_FILE")
        public += [k for k in retired if k["kid"] != (key.kid if key else None)]
    issuer_id = config.get("CREDENTIAL_ISSUER_ID") or site + ISSUER_PATH
    if not issuer_id.startswith(("https://", "http://", "did:")):
        raise CredentialError("CREDENTIAL_ISSUER_ID must be an https URL or a DID")
    name = config.get("CREDENTIAL_ISSUER_NAME") or "Training Team"
    return Issuer(id=issuer_id, name=name, url=site, key=key, public_keys=public)


def app_issuer(app) -> Issuer:
    """The app's Issuer, built from its config once (validated at start-up by glue.config)."""
    issuer = app.extensions.get("credential_issuer")
    if issuer is None:
        issuer = app.extensions["credential_issuer"] = issuer_from_config(app.config)
    return issuer


# ---------------------------------------------------------------- building and signing


def _iso(value: Any) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def criteria_narrative(steps: list[dict]) -> str:
    """The partner steps in order, each completed or waived (said in words)."""
    lines = ["Complete each training partner's course, in this order:"]
    for number, step in enumerate(steps, 1):
        if step.get("status") == "skipped":
            lines.append(f"{number}. {step['partner']}: waived (not completed in this program)")
        else:
            lines.append(f"{number}. {step['partner']}: completed")
    return "\n".join(lines)


def build_credential(data: dict, issuer: Issuer) -> dict:
    """The OpenBadgeCredential of one certificate (`data` from public.credential_to_sign)."""
    steps = data.get("steps") or []
    partners = ", ".join(s["partner"] for s in steps) or "our training partners"
    waived = [s["partner"] for s in steps if s.get("status") == "skipped"]
    salt = data["credential_id"].replace("-", "")[:16]
    email_hash = hashlib.sha256((data["student_email"].strip().lower() + salt).encode()).hexdigest()
    description = f"Completed the {data['program_name']} program, training with {partners} in sequence."
    if waived:
        description += f" Waived (not completed in this program): {', '.join(waived)}."
    index = int(data["status_list_index"])
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{data['credential_id']}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{data['program_name']}: Certificate of Completion",
        "issuer": issuer.profile(),
        "validFrom": _iso(data["issued_at"]),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": data["student_name"],
                },
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": f"sha256${email_hash}",
                    "salt": salt,
                },
            ],
            "achievement": {
                "id": f"{issuer.url}/achievements/{data['program_id']}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": data["program_name"],
                "description": description,
                "criteria": {"narrative": criteria_narrative(steps)},
            },
        },
        "credentialStatus": {
            "id": f"{issuer.status_list_url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(index),
            "statusListCredential": issuer.status_list_url,
        },
    }


def sign(credential: dict, issuer: Issuer) -> str:
    """The credential as a compact VC-JWT signed with the issuer's key (EdDSA)."""
    if issuer.key is None:
        raise CredentialError("no signing key: set CREDENTIAL_SIGNING_KEY or CREDENTIAL_SIGNING_KEY_FILE")
    claims = {
        **credential,
        "iss": credential["issuer"]["id"] if isinstance(credential["issuer"], dict) else credential["issuer"],
    }
    claims["jti"] = credential["id"]
    claims["nbf"] = int(datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00")).timestamp())
    if "validUntil" in credential:
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"].replace("Z", "+00:00")).timestamp())
    header = {"alg": ALG, "kid": issuer.kid, "typ": "vc+jwt", "cty": "vc", "jku": issuer.jwks_url}
    return jwt.encode(header, claims, issuer.key, algorithms=[ALG])


def encode_bitstring(revoked: list[int], size: int = STATUS_LIST_BITS) -> str:
    """encodedList: "u" (multibase base64url) + unpadded base64url of the GZIP'd bitstring, bit
    i being the (i % 8)-th most significant bit of byte i // 8."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_bitstring(encoded: str) -> bytes:
    """The bitstring of an encodedList (ValueError when it is not one)."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url (no 'u' prefix)")
    body = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing
        bits = inflate.decompress(packed, MAX_STATUS_LIST_BYTES)
    except (binascii.Error, zlib.error, ValueError) as exc:
        raise ValueError(f"encodedList is not GZIP'd base64url ({exc})") from None
    if inflate.unconsumed_tail:
        raise ValueError(f"the bitstring is over {MAX_STATUS_LIST_BYTES} bytes")
    if len(bits) * 8 < STATUS_LIST_BITS:
        raise ValueError(f"the bitstring has {len(bits) * 8} bits, fewer than the {STATUS_LIST_BITS} minimum")
    return bits


def status_list_credential(issuer: Issuer, revoked: list[int], now: datetime | None = None) -> dict:
    """The BitstringStatusListCredential for revocation (`revoked`: the set bits)."""
    now = now or datetime.now(UTC)
    url = issuer.status_list_url
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.id,
        "validFrom": _iso(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(revoked),
        },
    }


def signed_status_list(issuer: Issuer, status: dict) -> str:
    """The status list credential (from public.credential_status_list()) as a signed VC-JWT."""
    return sign(status_list_credential(issuer, status["revoked"]), issuer)


# ---------------------------------------------------------------- verifying


@dataclass
class Verification:
    """The outcome of checking a credential: ok, or the first reason it fails."""

    ok: bool
    reason: str
    credential: dict | None = None
    issuer_id: str | None = None
    issuer_name: str | None = None
    kid: str | None = None
    revoked: bool | None = None

    def summary(self) -> str:
        if self.ok:
            return f"verified: signature valid, issued by {self.issuer_name} ({self.issuer_id}), not revoked"
        return f"NOT valid: {self.reason}"


def unverified_payload(token: str) -> dict:
    """The payload of a compact JWS without checking it (to show what it claims)."""
    try:
        return json.loads(jws.extract_compact(token.strip().encode()).payload)
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"not a compact JWT ({type(exc).__name__})") from None


def _check_jws(token: str, keys: KeySet) -> tuple[dict, dict]:
    """(header, claims) of a token signed by one of `keys`; ValueError with the reason."""
    try:
        compact = jws.extract_compact(token.strip().encode())
    except (JoseError, ValueError, TypeError):
        raise ValueError("malformed: not a compact JWS (header.payload.signature)") from None
    header = compact.headers()
    if header.get("alg") != ALG:
        raise ValueError(f"unexpected algorithm {header.get('alg')!r} (expected {ALG})")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ValueError("no key id (kid) in the JOSE header: the issuer's key cannot be identified")
    try:
        key = keys.get_by_kid(kid)
    except (JoseError, ValueError, KeyError):
        raise ValueError(f"signed by a key the issuer does not publish (kid {kid!r})") from None
    try:
        decoded = jwt.decode(token.strip(), key, algorithms=[ALG])
    except BadSignatureError:
        raise ValueError(f"bad signature: the credential was altered or not signed by key {kid}") from None
    except (JoseError, ValueError, TypeError) as exc:
        raise ValueError(f"malformed: {type(exc).__name__}") from None
    if not isinstance(decoded.claims, dict):
        raise ValueError("malformed: the payload is not a JSON object")
    return header, decoded.claims


def _issuer_id(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    return issuer_id if isinstance(issuer_id, str) and issuer_id else None


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def verify_credential(
    token: str,
    jwks: dict,
    status_list: Callable[[str], str] | None,
    expected_issuer: str | None = None,
    now: datetime | None = None,
) -> Verification:
    """Check an OB 3.0 VC-JWT: the signature against `jwks` (the issuer's published keys), the
    issuer, validity dates, and the revocation bit in the status list credential that
    `status_list(url)` returns (a signed VC-JWT, checked with the same keys and issuer). None for
    `status_list` skips nothing: a credential with a credentialStatus then fails (unknown status)."""
    now = now or datetime.now(UTC)
    try:
        keys = KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError, AttributeError):
        return Verification(False, "the issuer's key set (JWKS) is not usable")
    try:
        header, claims = _check_jws(token, keys)
    except ValueError as exc:
        return Verification(False, str(exc))
    try:
        return _check_claims(header, claims, keys, status_list, expected_issuer, now)
    except (AttributeError, TypeError, ValueError, KeyError, OverflowError) as exc:  # signed but ill-formed
        return Verification(False, f"malformed credential ({type(exc).__name__})", credential=claims)


def _check_claims(header, claims, keys, status_list, expected_issuer, now) -> Verification:
    issuer = claims.get("issuer")
    result = Verification(
        False,
        "",
        credential=claims,
        issuer_id=_issuer_id(claims),
        issuer_name=(str(issuer.get("name") or "") or None) if isinstance(issuer, dict) else None,
        kid=header.get("kid"),
    )
    types = claims.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types or "OpenBadgeCredential" not in types:
        result.reason = "not an OpenBadgeCredential"
        return result
    if not result.issuer_id or claims.get("iss") != result.issuer_id:
        result.reason = (
            f"wrong issuer: the JWT's iss {claims.get('iss')!r} is not the credential's issuer {result.issuer_id!r}"
        )
        return result
    if expected_issuer and result.issuer_id != expected_issuer:
        result.reason = f"wrong issuer: issued by {result.issuer_id}, expected {expected_issuer}"
        return result
    try:
        if "validFrom" in claims and _when(claims["validFrom"]) > now:
            result.reason = f"not yet valid (valid from {claims['validFrom']})"
            return result
        if "validUntil" in claims and _when(claims["validUntil"]) <= now:
            result.reason = f"expired on {claims['validUntil']}"
            return result
    except (ValueError, AttributeError):
        result.reason = "malformed validFrom/validUntil"
        return result
    for claim in ("exp", "nbf"):
        if claim in claims and (isinstance(claims[claim], bool) or not isinstance(claims[claim], int | float)):
            result.reason = f"malformed {claim} claim"
            return result
    if "exp" in claims and claims["exp"] <= now.timestamp():
        result.reason = f"expired on {datetime.fromtimestamp(claims['exp'], UTC).isoformat()}"
        return result
    if "nbf" in claims and claims["nbf"] > now.timestamp() + 300:  # 5 minutes of clock skew
        result.reason = f"not yet valid (nbf {datetime.fromtimestamp(claims['nbf'], UTC).isoformat()})"
        return result
    entry = claims.get("credentialStatus")
    if entry:
        try:
            result.revoked = _revoked(entry, keys, result.issuer_id, status_list)
        except ValueError as exc:
            result.reason = f"revocation status unknown: {exc}"
            return result
        if result.revoked:
            result.reason = "revoked by the issuer (its bit is set in the status list)"
            return result
    else:
        result.revoked = False
    result.ok = True
    result.reason = "valid"
    return result


def _revoked(entry: dict, keys: KeySet, issuer_id: str, status_list: Callable[[str], str] | None) -> bool:
    if not isinstance(entry, dict):
        raise ValueError("credentialStatus is not an object")
    if entry.get("type") != "BitstringStatusListEntry" or entry.get("statusPurpose") != "revocation":
        raise ValueError("credentialStatus is not a revocation BitstringStatusListEntry")
    url = entry.get("statusListCredential")
    try:
        index = int(entry["statusListIndex"])
    except (KeyError, TypeError, ValueError):
        raise ValueError("statusListIndex is not an integer") from None
    if status_list is None:
        raise ValueError("no status list to check against")
    try:
        token = status_list(url)
    except Exception as exc:  # a fetch or read failure: report it, never crash
        raise ValueError(f"cannot get the status list {url} ({exc})") from None
    try:
        _header, claims = _check_jws(token, keys)
    except ValueError as exc:
        raise ValueError(f"the status list {url}: {exc}") from None
    if not isinstance(claims.get("type"), list) or "BitstringStatusListCredential" not in claims["type"]:
        raise ValueError(f"{url} is not a BitstringStatusListCredential")
    if _issuer_id(claims) != issuer_id or claims.get("iss") != issuer_id:
        raise ValueError(f"wrong issuer: the status list is issued by {_issuer_id(claims)!r}, not {issuer_id!r}")
    if claims.get("id") != url:
        raise ValueError(f"the status list's id {claims.get('id')!r} is not {url!r}")
    subject = claims.get("credentialSubject")
    if not isinstance(subject, dict) or subject.get("statusPurpose") != "revocation":
        raise ValueError("the status list is not for revocation")
    if not isinstance(subject.get("encodedList"), str):
        raise ValueError("the status list has no encodedList")
    bits = decode_bitstring(subject["encodedList"])
    if index < 0 or index >= len(bits) * 8:
        raise ValueError(f"statusListIndex {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


# ---------------------------------------------------------------- scripts/verify-credential


def _load(source: str, what: str) -> str:
    """A URL (fetched) or a file's text."""
    if source.startswith(("https://", "http://")):
        import requests

        try:
            response = requests.get(source, timeout=10)
        except requests.RequestException as exc:
            raise ValueError(f"cannot fetch the {what} {source} ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise ValueError(f"cannot fetch the {what} {source} (HTTP {response.status_code})")
        return response.text
    try:
        return Path(source).read_text()
    except OSError as exc:
        raise ValueError(f"cannot read the {what} {source} ({exc.strerror})") from None


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def main(argv: list[str] | None = None) -> int:
    """scripts/verify-credential: check an Open Badges 3.0 VC-JWT offline or online."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="scripts/verify-credential",
        description="Verify an Open Badges 3.0 credential (VC-JWT): its Ed25519 signature against the issuer's "
        "published keys, its issuer, its validity dates and its revocation bit in the issuer's Bitstring Status "
        "List. Offline with --jwks FILE and --status-list FILE; otherwise they are fetched (the JWKS from the "
        "token's jku when it is on the issuer's site, the status list from the credential). Needs no database. "
        "Exit 0: valid; 1: not valid (the reason is printed); 2: usage or unreadable input.",
    )
    parser.add_argument("file", help="the credential: a .jwt file (or - for standard input)")
    parser.add_argument("--jwks", metavar="URL|FILE", help="the issuer's public keys (JWKS JSON)")
    parser.add_argument("--status-list", metavar="URL|FILE", help="the status list credential (VC-JWT)")
    parser.add_argument("--issuer", metavar="ID", help="fail unless the credential was issued by this issuer id")
    args = parser.parse_args(argv)

    try:
        token = (sys.stdin.read() if args.file == "-" else _load(args.file, "credential")).strip()
    except (ValueError, UnicodeDecodeError) as exc:
        print(f"cannot verify: {exc}", file=sys.stderr)
        return 2
    jwks_source = args.jwks
    if not jwks_source:
        try:  # where the token says its keys are: only believed on its issuer's own site
            header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=" * (-len(token.split(".")[0]) % 4)))
            jku, issuer_id = header.get("jku") or "", _issuer_id(unverified_payload(token)) or ""
        except (ValueError, binascii.Error, UnicodeDecodeError, AttributeError):
            jku = issuer_id = ""
        if not jku or not issuer_id.startswith(("https://", "http://")) or _origin(jku) != _origin(issuer_id):
            print("NOT valid: no --jwks given and the token names no key set on its issuer's site", file=sys.stderr)
            return 1
        jwks_source = jku
    try:
        jwks = json.loads(_load(jwks_source, "key set"))
    except (ValueError, UnicodeDecodeError) as exc:
        print(f"cannot verify: the key set: {exc}", file=sys.stderr)
        return 2

    def status_list(url: str) -> str:
        return _load(args.status_list or url, "status list").strip()

    result = verify_credential(token, jwks, status_list, expected_issuer=args.issuer)
    subject = (result.credential or {}).get("credentialSubject") or {}
    achievement = (subject.get("achievement") or {}).get("name")
    if result.ok:
        print(result.summary())
        if achievement:
            print(f"achievement: {achievement}")
        return 0
    print(result.summary(), file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
