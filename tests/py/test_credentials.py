"""Issue 15: an Open Badges 3.0 credential for every certificate (VC-JWT, EdDSA), its revocation
through the published Bitstring Status List, the verify and student pages checking the credential
itself, and scripts/verify-credential offline."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import psycopg
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import OKPKey

from glue import create_app
from glue.config import ConfigError, TestConfig
from glue.credentials import (
    STATUS_LIST_BITS,
    app_issuer,
    build_credential,
    decode_bitstring,
    generate_key,
    sign,
    unverified_payload,
    verify_credential,
)
from glue.tasks import TaskContext
from glue.tasks.credential import credential as credential_task
from glue.worker import Worker
from tests.py.conftest import direct_url, new_student

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "verify-credential"
SCHEMA = json.loads((REPO / "tests" / "py" / "schemas" / "openbadgecredential.schema.json").read_text())
KEY = generate_key()
OTHER_KEY = generate_key()


@pytest.fixture
def issuing_app(db_url):
    application = create_app(
        TestConfig(DATABASE_URL=db_url, CREDENTIAL_SIGNING_KEY=KEY, SITE_URL="https://training.example.org")
    )
    yield application
    application.extensions["db"].close()


@pytest.fixture
def web(issuing_app):
    return issuing_app.test_client()


def _drain(app) -> int:
    return Worker(app, concurrency=2, scan_interval=0, monitoring_interval=0).run(once=True)


def _graduate(sql, program: str = "cna") -> dict:
    s = new_student(sql, program)
    for i, step in enumerate(s["steps"]):
        sql("select public.mark_step_complete(%s, %s)", step, f"EXT-{i}-{s['user_id']}")
    (cert,) = sql(
        "select id::text, verification_code from public.certificates where enrollment_id = %s", s["enrollment_id"]
    )
    return {**s, "certificate_id": cert["id"], "code": cert["verification_code"]}


def _jwt(sql, certificate_id) -> str | None:
    rows = sql("select jwt from public.credentials where certificate_id = %s", certificate_id)
    return rows[0]["jwt"] if rows else None


def _published(web, tmp_path) -> tuple[Path, Path]:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(web.get("/.well-known/jwks.json").get_data(as_text=True))
    status = tmp_path / "status.jwt"
    response = web.get("/credentials/status/1")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    status.write_text(response.get_data(as_text=True))
    return jwks, status


def _script(*args, env=None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=60, env=environ)


def _tamper(token: str, part: int) -> str:
    pieces = token.split(".")
    middle = len(pieces[part]) // 2
    ch = pieces[part][middle]
    pieces[part] = pieces[part][:middle] + ("A" if ch != "A" else "B") + pieces[part][middle + 1 :]
    return ".".join(pieces)


def test_round_trip_issue_verify_offline_revoke_verify_says_revoked(issuing_app, web, sql, tmp_path):
    g = _graduate(sql)
    _drain(issuing_app)
    token = _jwt(sql, g["certificate_id"])
    assert token
    (tmp_path / "credential.jwt").write_text(token)
    jwks, status = _published(web, tmp_path)
    ok = _script(tmp_path / "credential.jwt", "--jwks", jwks, "--status-list", status)
    assert ok.returncode == 0, ok.stderr
    assert (
        "verified: signature valid, issued by Training Team (https://training.example.org/issuer), not revoked"
        in ok.stdout
    )
    assert "achievement: Certified Nursing Assistant (CNA)" in ok.stdout

    # the operator console revokes the certificate: its bit flips in the published list
    sql(
        "update public.certificates set revoked_at = now(), revoked_reason = 'issued in error' where id = %s",
        g["certificate_id"],
    )
    jwks, status = _published(web, tmp_path)
    revoked = _script(tmp_path / "credential.jwt", "--jwks", jwks, "--status-list", status)
    assert revoked.returncode == 1
    assert "revoked" in revoked.stderr
    # the old status list still says valid: what a verifier sees depends on the list it is given
    assert decode_bitstring(unverified_payload(status.read_text())["credentialSubject"]["encodedList"])


def test_a_credential_with_one_byte_changed_fails(issuing_app, web, sql, tmp_path):
    g = _graduate(sql)
    _drain(issuing_app)
    token = _jwt(sql, g["certificate_id"])
    jwks, status = _published(web, tmp_path)
    for part in (1, 2):  # the payload, the signature
        path = tmp_path / f"tampered{part}.jwt"
        path.write_text(_tamper(token, part))
        result = _script(path, "--jwks", jwks, "--status-list", status)
        assert result.returncode == 1, result.stdout
        assert "bad signature" in result.stderr or "malformed" in result.stderr


def test_a_credential_signed_by_another_key_fails(issuing_app, web, sql, tmp_path):
    g = _graduate(sql)
    _drain(issuing_app)
    jwks, status = _published(web, tmp_path)
    claims = unverified_payload(_jwt(sql, g["certificate_id"]))
    issuer = app_issuer(issuing_app)
    forger = OKPKey.import_key(OTHER_KEY)
    for kid, expected in ((issuer.kid, "bad signature"), ("forger", "does not publish")):
        forged = jose_jwt.encode({"alg": "EdDSA", "kid": kid}, claims, forger, algorithms=["EdDSA"])
        path = tmp_path / "forged.jwt"
        path.write_text(forged)
        result = _script(path, "--jwks", jwks, "--status-list", status)
        assert result.returncode == 1 and expected in result.stderr, result.stderr


def test_wrong_issuer_and_expired_credentials_fail_with_their_reason(issuing_app, web, sql, tmp_path):
    g = _graduate(sql)
    _drain(issuing_app)
    jwks, status = _published(web, tmp_path)
    path = tmp_path / "credential.jwt"
    path.write_text(_jwt(sql, g["certificate_id"]))
    wrong = _script(path, "--jwks", jwks, "--status-list", status, "--issuer", "https://other.example/issuer")
    assert wrong.returncode == 1 and "wrong issuer" in wrong.stderr

    issuer = app_issuer(issuing_app)
    data = sql("select public.credential_to_sign(%s) as d", g["certificate_id"])[0]["d"]
    expired = build_credential(data, issuer)
    expired["validUntil"] = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0).isoformat()
    path.write_text(sign(expired, issuer))
    result = _script(path, "--jwks", jwks, "--status-list", status)
    assert result.returncode == 1 and "expired" in result.stderr

    # a status list from another issuer does not count
    other = {**issuer.__dict__, "id": "https://other.example/issuer"}
    from glue.credentials import Issuer, signed_status_list

    (tmp_path / "other-status.jwt").write_text(signed_status_list(Issuer(**other), {"revoked": []}))
    path.write_text(_jwt(sql, g["certificate_id"]))
    result = _script(path, "--jwks", jwks, "--status-list", tmp_path / "other-status.jwt")
    assert result.returncode == 1 and "wrong issuer" in result.stderr


def test_the_credential_carries_every_property_the_ob3_data_model_requires(issuing_app, web, sql):
    g = _graduate(sql, "medical-assistant")  # HSI -> Certiport -> CareerSafe
    _drain(issuing_app)
    token = _jwt(sql, g["certificate_id"])
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "EdDSA" and header["kid"] == app_issuer(issuing_app).kid
    claims = unverified_payload(token)
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    validator.validate(claims)
    assert claims["iss"] == claims["issuer"]["id"] and claims["jti"] == claims["id"]
    achievement = claims["credentialSubject"]["achievement"]
    assert achievement["name"] == "Medical Assistant"
    narrative = achievement["criteria"]["narrative"]
    assert "1. HSI" in narrative and "2. Certiport" in narrative and "3. CareerSafe" in narrative
    # the schema has teeth: the data model's required properties, with their types
    for broken in (
        {k: v for k, v in claims.items() if k != "validFrom"},
        {**claims, "type": ["VerifiableCredential"]},
        {**claims, "credentialStatus": {**claims["credentialStatus"], "statusListIndex": 3}},
        {
            **claims,
            "credentialSubject": {
                **claims["credentialSubject"],
                "achievement": {"id": "urn:x", "type": ["Achievement"]},
            },
        },
    ):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(broken)
    # the status list credential too
    status = unverified_payload(web.get("/credentials/status/1").get_data(as_text=True))
    jsonschema.validate(status, {**SCHEMA["$defs"]["BitstringStatusListCredential"], "$defs": SCHEMA["$defs"]})


def test_waived_steps_are_named_as_such_in_the_criteria(issuing_app, sql):
    s = new_student(sql, "cna")
    sql("select public.admin_skip_step(%s, 'credit from elsewhere')", s["steps"][0])
    sql("select public.mark_step_complete(%s, 'CP-W')", s["steps"][1])
    _drain(issuing_app)
    (row,) = sql(
        "select r.jwt from public.credentials r join public.certificates c on c.id = r.certificate_id"
        " where c.enrollment_id = %s",
        s["enrollment_id"],
    )
    achievement = unverified_payload(row["jwt"])["credentialSubject"]["achievement"]
    assert (
        "HSI (Health & Safety Institute): waived (not completed in this program)"
        in achievement["criteria"]["narrative"]
    )
    assert "Certiport: completed" in achievement["criteria"]["narrative"]
    assert "Waived (not completed in this program): HSI" in achievement["description"]


def test_the_status_list_is_16_kib_gzip_base64url_and_its_bit_follows_revocation(issuing_app, web, sql):
    g = _graduate(sql)
    _drain(issuing_app)
    index = sql("select status_list_index from public.credentials where certificate_id = %s", g["certificate_id"])[0][
        "status_list_index"
    ]

    def bit() -> int:
        subject = unverified_payload(web.get("/credentials/status/1").get_data(as_text=True))["credentialSubject"]
        assert subject["encodedList"].startswith("u")
        raw = gzip.decompress(base64.urlsafe_b64decode(subject["encodedList"][1:] + "=="))
        assert len(raw) * 8 == STATUS_LIST_BITS == 131072
        return (raw[index // 8] >> (7 - index % 8)) & 1

    assert bit() == 0
    sql("update public.certificates set revoked_at = now() where id = %s", g["certificate_id"])
    assert bit() == 1
    sql("update public.certificates set revoked_at = null where id = %s", g["certificate_id"])  # reissued
    assert bit() == 0


def test_issue_is_idempotent_under_concurrent_completion(issuing_app, sql, db_url):
    """The last step completed by 8 racing connections, then the credential job run by 8 racing
    threads (a redelivered job, two workers): one certificate, one credential, one index, and
    every thread ends with the same stored JWT."""
    s = new_student(sql, "cpr-first-aid")  # HSI only
    (step,) = s["steps"]
    barrier = threading.Barrier(8)

    def complete(_):
        with psycopg.connect(direct_url(db_url), autocommit=True) as conn:
            conn.execute("set role service_role")
            barrier.wait()
            try:
                conn.execute("select public.mark_step_complete(%s, 'HSI-RACE')", (step,))
                return "ok"
            except psycopg.Error as exc:
                return exc.sqlstate

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(complete, range(8)))
    assert "ok" in outcomes and set(outcomes) <= {"ok", "PS003"}
    (cert,) = sql("select id::text from public.certificates where enrollment_id = %s", s["enrollment_id"])
    (job,) = sql(
        "select msg_id from queue.jobs where queue_name = 'credential' and message ->> 'certificate_id' = %s",
        cert["id"],
    )

    ctx = TaskContext(issuing_app)
    barrier = threading.Barrier(8)

    def issue(_):
        barrier.wait()
        return credential_task(ctx, job["msg_id"], {"certificate_id": cert["id"]})

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(issue, range(8)))
    rows = sql("select jwt, status_list_index from public.credentials where certificate_id = %s", cert["id"])
    assert len(rows) == 1 and rows[0]["jwt"]
    # Ed25519 signatures are deterministic: every racer signed the same bytes; one row was written
    assert len(set(results)) == 1 and results[0].startswith("credential "), results
    assert sql("select count(*)::integer as n from queue.jobs where msg_id = %s", job["msg_id"])[0]["n"] == 0
    assert sql("select outcome from queue.jobs_archive where msg_id = %s", job["msg_id"]) == [{"outcome": "done"}]


def test_rotation_keeps_old_credentials_verifiable(db_url, sql, tmp_path):
    old_app = create_app(TestConfig(DATABASE_URL=db_url, CREDENTIAL_SIGNING_KEY=OTHER_KEY))
    g = _graduate(sql)
    _drain(old_app)
    old_app.extensions["db"].close()
    old = app_issuer(old_app)
    retired = tmp_path / "retired.jwks.json"
    retired.write_text(json.dumps(old.jwks()))
    new_app = create_app(
        TestConfig(DATABASE_URL=db_url, CREDENTIAL_SIGNING_KEY=KEY, CREDENTIAL_RETIRED_KEYS_FILE=str(retired))
    )
    web = new_app.test_client()
    kids = [k["kid"] for k in web.get("/.well-known/jwks.json").get_json()["keys"]]
    assert kids == [app_issuer(new_app).kid, old.kid]
    html = web.get(f"/certificates/{g['code']}").get_data(as_text=True)
    assert "Digital credential verified: signature valid, issued by Training Team, not revoked." in html
    without = create_app(TestConfig(DATABASE_URL=db_url, CREDENTIAL_SIGNING_KEY=KEY))
    html = without.test_client().get(f"/certificates/{g['code']}").get_data(as_text=True)
    assert "Digital credential not valid: signed by a key the issuer does not publish" in html
    new_app.extensions["db"].close()
    without.extensions["db"].close()


def test_the_verify_page_checks_the_credential_itself_and_agrees_with_the_status_list(issuing_app, web, sql):
    s = new_student(sql, "cna")
    sql("select public.admin_skip_step(%s, 'credit from elsewhere')", s["steps"][0])
    sql("select public.mark_step_complete(%s, 'CP-V')", s["steps"][1])
    (cert,) = sql(
        "select id, verification_code as code from public.certificates where enrollment_id = %s", s["enrollment_id"]
    )
    html = web.get(f"/certificates/{cert['code']}").get_data(as_text=True)
    assert "Waived steps (not completed in this program): HSI (Health &amp; Safety Institute)" in html
    assert "Digital credential" not in html  # not signed yet: nothing claimed
    _drain(issuing_app)
    html = web.get(f"/certificates/{cert['code']}").get_data(as_text=True)
    assert "Digital credential verified: signature valid, issued by Training Team, not revoked." in html
    token = web.get(f"/certificates/{cert['code']}/credential.jwt")
    assert token.status_code == 200 and token.mimetype == "application/vc+jwt"
    pretty = web.get(f"/certificates/{cert['code']}/credential.json")
    assert pretty.get_json() == unverified_payload(token.get_data(as_text=True))
    assert 'filename="credential-' in pretty.headers["Content-Disposition"]

    # the page does not trust the row: a stored credential altered is shown as not valid
    sql(
        "update public.credentials set jwt = %s where certificate_id = %s",
        _tamper(token.get_data(as_text=True), 1),
        cert["id"],
    )
    html = web.get(f"/certificates/{cert['code']}").get_data(as_text=True)
    assert "Digital credential not valid: bad signature" in html
    sql("update public.credentials set jwt = %s where certificate_id = %s", token.get_data(as_text=True), cert["id"])

    sql("update public.certificates set revoked_at = now() where id = %s", cert["id"])
    html = web.get(f"/certificates/{cert['code']}").get_data(as_text=True)
    assert "Digital credential revoked by its issuer, Training Team." in html
    assert web.get(f"/certificates/{'0' * 32}/credential.jwt").status_code == 404
    assert web.get("/certificates/nope/credential.json").status_code == 404


def test_the_student_downloads_her_own_credential_and_nobody_else_s(issuing_app, web, sql):
    from tests.py.test_student_progress import token

    ann, bob = _graduate(sql), _graduate(sql)
    _drain(issuing_app)
    auth = {"Authorization": f"Bearer {token(ann['user_id'], email=ann['email'])}"}
    html = web.get("/student/progress", headers=auth).get_data(as_text=True)
    assert "Digital credential verified: signature valid, issued by Training Team, not revoked." in html
    assert f"/student/credentials/{ann['certificate_id']}.jwt" in html
    own = web.get(f"/student/credentials/{ann['certificate_id']}.jwt", headers=auth)
    assert own.status_code == 200 and own.get_data(as_text=True) == _jwt(sql, ann["certificate_id"])
    assert own.headers["Cache-Control"] == "private, no-store"
    assert web.get(f"/student/credentials/{ann['certificate_id']}.json", headers=auth).get_json()["credentialSubject"]
    assert web.get(f"/student/credentials/{bob['certificate_id']}.jwt", headers=auth).status_code == 404
    # RLS: as Ann, the table shows her credential only
    rows = sql(
        "select set_config('request.jwt.claims', %s, false), set_config('role', 'authenticated', false)",
        json.dumps({"sub": str(ann["user_id"]), "role": "authenticated"}),
    )
    assert rows
    seen = sql("select certificate_id::text from public.credentials")
    sql("reset role")
    assert [r["certificate_id"] for r in seen] == [ann["certificate_id"]]


def test_without_a_signing_key_no_credential_is_issued_and_nothing_fails(app, client, sql):
    g = _graduate(sql)
    _drain(app)
    assert _jwt(sql, g["certificate_id"]) is None
    assert sql("select count(*)::integer as n from queue.jobs where queue_name = 'credential'")[0]["n"] == 0
    archived = sql("select outcome from queue.jobs_archive where queue_name = 'credential'")
    assert archived and {r["outcome"] for r in archived} == {"done"}  # finished, not dead: no alert
    assert client.get("/credentials/status/1").status_code == 404
    assert client.get("/.well-known/jwks.json").get_json() == {"keys": []}
    assert "Digital credential" not in client.get(f"/certificates/{g['code']}").get_data(as_text=True)


@pytest.mark.parametrize(
    "settings, named",
    [
        ({"CREDENTIAL_SIGNING_KEY": "not a key"}, "CREDENTIAL_SIGNING_KEY"),
        (
            {"CREDENTIAL_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"},
            "CREDENTIAL_SIGNING_KEY",
        ),
        (
            {"CREDENTIAL_SIGNING_KEY": json.dumps(OKPKey.import_key(KEY).as_dict(private=False))},
            "CREDENTIAL_SIGNING_KEY",
        ),
        ({"CREDENTIAL_SIGNING_KEY_FILE": "/nonexistent/key.pem"}, "CREDENTIAL_SIGNING_KEY_FILE"),
        ({"CREDENTIAL_SIGNING_KEY": KEY, "CREDENTIAL_ISSUER_ID": "ftp://x"}, "CREDENTIAL_ISSUER_ID"),
    ],
)
def test_a_bad_credential_setting_stops_start_up_naming_it(db_url, settings, named):
    with pytest.raises(ConfigError, match=named):
        create_app(TestConfig(DATABASE_URL=db_url, **settings))


def test_a_retired_keys_file_that_is_not_a_jwks_stops_start_up(db_url, tmp_path):
    bad = tmp_path / "retired.json"
    bad.write_text('{"keys": [{"kty": "oct", "k": "AAAA"}]}')
    with pytest.raises(ConfigError, match="CREDENTIAL_RETIRED_KEYS_FILE"):
        create_app(TestConfig(DATABASE_URL=db_url, CREDENTIAL_SIGNING_KEY=KEY, CREDENTIAL_RETIRED_KEYS_FILE=str(bad)))


def test_verify_credential_script_answers_help_without_a_database_and_fails_clearly(tmp_path):
    result = _script("--help")
    assert result.returncode == 0 and "--status-list" in result.stdout
    assert _script(tmp_path / "missing.jwt").returncode == 2
    (tmp_path / "junk.jwt").write_text("not a jwt")
    junk = _script(tmp_path / "junk.jwt", "--jwks", tmp_path / "junk.jwt")
    assert junk.returncode == 2 and "cannot verify: the key set" in junk.stderr
    no_keys = _script(tmp_path / "junk.jwt")
    assert no_keys.returncode == 1 and "no --jwks given" in no_keys.stderr


def test_verify_credential_library_reports_an_unusable_status_list():
    from glue.credentials import Issuer

    issuer = Issuer(id="https://t.example/issuer", name="T", url="https://t.example", key=OKPKey.import_key(KEY))
    issuer.key = OKPKey.import_key({**issuer.key.as_dict(private=True), "kid": "k1"})
    issuer.public_keys = [issuer.key.as_dict(private=False)]
    data = {
        "credential_id": "00000000-0000-4000-8000-000000000001",
        "status_list_index": 5,
        "student_email": "a@example.org",
        "student_name": "A",
        "program_name": "CNA",
        "program_id": "p",
        "issued_at": "2026-01-01T00:00:00+00:00",
        "steps": [{"partner": "HSI", "status": "completed"}],
    }
    token = sign(build_credential(data, issuer), issuer)
    assert verify_credential(token, issuer.jwks(), lambda url: signed_list(issuer, [])).ok
    assert verify_credential(token, issuer.jwks(), lambda url: signed_list(issuer, [5])).revoked
    down = verify_credential(token, issuer.jwks(), lambda url: (_ for _ in ()).throw(OSError("down")))
    assert not down.ok and "revocation status unknown" in down.reason
    assert not verify_credential(token, issuer.jwks(), None).ok


def signed_list(issuer, revoked):
    from glue.credentials import signed_status_list

    return signed_status_list(issuer, {"revoked": revoked})


def _test_issuer():
    from glue.credentials import Issuer, load_private_key

    key = load_private_key(KEY, "KEY")
    return Issuer(
        id="https://t.example/issuer",
        name="T",
        url="https://t.example",
        key=key,
        public_keys=[key.as_dict(private=False)],
    )


GOOD = {"type": ["VerifiableCredential", "OpenBadgeCredential"], "issuer": {"id": "https://t.example/issuer"}}


@pytest.mark.parametrize(
    "header, claims, reason",
    [
        ({}, GOOD, "no key id"),
        ({"kid": None}, [1, 2], "no key id"),
        (None, [1, 2], "malformed"),
        (None, {**GOOD, "type": "VerifiableCredential OpenBadgeCredential"}, "not an OpenBadgeCredential"),
        (None, {**GOOD, "issuer": 5, "iss": 5}, "wrong issuer"),
        (None, {**GOOD, "iss": "https://t.example/issuer", "credentialStatus": "x"}, "revocation status unknown"),
        (
            None,
            {**GOOD, "iss": "https://t.example/issuer", "credentialStatus": {"type": 3}},
            "revocation status unknown",
        ),
        (None, {**GOOD, "iss": "https://t.example/issuer", "exp": "tomorrow"}, "malformed exp"),
        (None, {**GOOD, "iss": "https://t.example/issuer", "exp": 1}, "expired"),
        (None, {**GOOD, "iss": "https://t.example/issuer", "nbf": 4_000_000_000}, "not yet valid"),
        (None, {**GOOD, "iss": "https://t.example/issuer", "validFrom": 7}, "malformed"),
        (None, {**GOOD, "iss": "https://t.example/issuer", "validFrom": "2026-01-01T00:00:00"}, "malformed"),
        (
            None,
            {**GOOD, "iss": "https://t.example/issuer", "issuer": {"id": "https://t.example/issuer", "name": 3}},
            "valid",
        ),
    ],
)
def test_signed_but_hostile_credentials_are_refused_with_a_reason_never_a_crash(header, claims, reason):
    issuer = _test_issuer()
    protected = {"alg": "EdDSA", "kid": issuer.kid} if header is None else {"alg": "EdDSA", **header}
    if protected.get("kid") is None:
        protected.pop("kid", None)
    payload = json.dumps(claims).encode()
    from joserfc import jws

    token = jws.serialize_compact(protected, payload, issuer.key, algorithms=["EdDSA"])
    result = verify_credential(token, issuer.jwks(), None)
    assert reason in result.reason
    assert result.ok is (reason == "valid")


def test_a_gzip_bomb_status_list_is_refused():
    from glue.credentials import MAX_STATUS_LIST_BYTES

    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(MAX_STATUS_LIST_BYTES + 1))).decode().rstrip("=")
    with pytest.raises(ValueError, match="over"):
        decode_bitstring(bomb)
    with pytest.raises(ValueError, match="multibase"):
        decode_bitstring("H4sI")
    with pytest.raises(ValueError, match="fewer"):
        decode_bitstring("u" + base64.urlsafe_b64encode(gzip.compress(bytes(10))).decode().rstrip("="))


def test_certificates_issued_before_credentials_or_without_a_key_get_theirs_later(fresh_db, tmp_path):
    """The migration queues the credentials of the certificates issued before it, and
    queue_missing_credentials() those finished while no signing key was configured."""
    import shutil

    from glue import migrate

    before = tmp_path / "migrations"
    before.mkdir()
    for path in sorted(migrate.MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "20261203500001":
            shutil.copy(path, before / path.name)
    url = fresh_db()
    migrate.migrate(url, before)
    migrate.seed(url)
    with psycopg.connect(url, autocommit=True, row_factory=psycopg.rows.dict_row) as conn:

        def sql(query, *params):
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

        old = _graduate(sql)
        migrate.migrate(url)
        queued = sql("select message ->> 'certificate_id' as id from queue.jobs where queue_name = 'credential'")
        assert queued == [{"id": old["certificate_id"]}]

        keyless = create_app(TestConfig(DATABASE_URL=url))
        _drain(keyless)
        keyless.extensions["db"].close()
        assert _jwt(sql, old["certificate_id"]) is None
        assert sql("select public.queue_missing_credentials() as n") == [{"n": 1}]
        assert sql("select public.queue_missing_credentials() as n") == [{"n": 0}]  # already queued
        issuing = create_app(TestConfig(DATABASE_URL=url, CREDENTIAL_SIGNING_KEY=KEY))
        _drain(issuing)
        token = _jwt(sql, old["certificate_id"])
        web = issuing.test_client()
        status = web.get("/credentials/status/1").get_data(as_text=True)
        jwks = app_issuer(issuing).jwks()
        assert verify_credential(token, jwks, lambda url: status).ok
        issuing.extensions["db"].close()
        assert sql("select public.queue_missing_credentials() as n") == [{"n": 0}]
