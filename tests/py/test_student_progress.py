"""The student progress page (/student/progress) through the Flask test client on a real database:
authentication, row level security (a student sees only their own enrollments), every step state
in plain words, the Launch Training link, the certificate links, and escaping of untrusted text."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser

import jwt
import pytest

from devtools.cluster import free_port
from glue import create_app
from glue.config import TestConfig
from tests.py.conftest import new_student

JWT_SECRET = TestConfig().SUPABASE_JWT_SECRET

ADMIN = "00000000-0000-4000-a000-000000000001"
ADA = "00000000-0000-4000-a000-000000000011"
BEN = "00000000-0000-4000-a000-000000000012"
CARA = "00000000-0000-4000-a000-000000000013"
DEV = "00000000-0000-4000-a000-000000000014"
EVE = "00000000-0000-4000-a000-000000000015"


# --- helpers ---------------------------------------------------------------------------------


def token(user_id, secret: str = JWT_SECRET, ttl: int = 3600, **extra) -> str:
    """An access token like Supabase Auth issues."""
    now = int(time.time())
    return jwt.encode(
        {"sub": str(user_id), "role": "authenticated", "aud": "authenticated", "iat": now, "exp": now + ttl, **extra},
        secret,
        algorithm="HS256",
    )


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    """A parsed HTML element (just enough of a DOM for these assertions)."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        """Descendants (self included) by tag, one class name and exact attribute values (`aria_current=`
        for aria-current)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.attrs.get("class", "").split())
            and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag or '*'} class={cls} {attrs}> in {self.text()[:200]!r}"
        return found[0]

    def text(self) -> str:
        """The text content, whitespace collapsed."""
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return " ".join(" ".join(parts).split())


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def enrollments(doc: Node) -> dict[str, Node]:
    """The enrollment cards of a progress page by program name (the card's h2)."""
    return {section.find("h2").text(): section for section in doc.find_all("section", cls="enrollment")}


def steps(card: Node) -> list[Node]:
    return card.find("ol", cls="steps").find_all("li", cls="step")


def partner(step: Node) -> str:
    """The partner's name as shown (without the screen-reader 'Step n:' prefix)."""
    return re.sub(r"^Step \d+: ", "", step.find("h3").text())


def human_date(sql, expression: str, *params) -> str:
    """A timestamp formatted by PostgreSQL the way the page shows it ('3 March 2026', UTC)."""
    return sql(f"select to_char(({expression}) at time zone 'UTC', 'FMDD FMMonth YYYY') as d", *params)[0]["d"]


NONCE = re.compile(r'nonce="[^"]*"')
# random values a "not in html" check could mistake for leaked content: the CSRF token and the
# live refresh's version (md5 hex)
RANDOM_VALUES = re.compile(r'(name="csrf_token" value|data-version)="[^"]*"')


@pytest.fixture
def page(client):
    """`page(user_id, **claims)` → (status, html, parsed document) of /student/progress. The html
    has the CSP nonces, the CSRF token and the versions blanked: a random value may contain "422"
    or "JRI", which the "not in html" checks below would take for leaked content."""

    def get(user_id, **claims):
        response = client.get("/student/progress", headers={"Authorization": f"Bearer {token(user_id, **claims)}"})
        html = RANDOM_VALUES.sub(r'\1=""', NONCE.sub('nonce=""', response.get_data(as_text=True)))
        return response.status_code, html, parse(html)

    return get


def step_of(sql, enrollment_id, order: int) -> str:
    return sql(
        "select id from public.enrollment_steps where enrollment_id = %s and sequence_order = %s", enrollment_id, order
    )[0]["id"]


def enrollment_of(sql, user_id) -> str:
    return sql("select id from public.enrollments where user_id = %s", user_id)[0]["id"]


# --- authentication and isolation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "Please sign in"),
        ({"Authorization": "Bearer not.a.jwt"}, "could not be verified"),
        ({"Authorization": f"Bearer {token(BEN, ttl=-3600)}"}, "expired"),
        ({"Authorization": f"Bearer {token(BEN, secret='another-secret-of-at-least-32-bytes!!')}"}, "could not"),
    ],
)
def test_without_a_valid_token_it_is_401_with_the_sign_in_page(client, headers, reason):
    r = client.get("/student/progress", headers=headers)
    assert r.status_code == 401
    html = r.get_data(as_text=True)
    assert "<h1>Sign in</h1>" in html and reason in html
    assert "Medical Assistant" not in html and "partners complete" not in html


def test_the_cookie_signs_in_like_the_header(client):
    client.set_cookie("sb-access-token", token(BEN))
    r = client.get("/student/progress")
    assert r.status_code == 200
    assert "Medical Assistant" in r.get_data(as_text=True)


def test_it_queries_as_the_signed_in_user(app, client):
    db = app.extensions["db"]
    seen: list[dict] = []
    original = db.as_user

    def spy(claims):
        seen.append(claims)
        return original(claims)

    db.as_user = spy
    assert client.get("/student/progress", headers={"Authorization": f"Bearer {token(BEN)}"}).status_code == 200
    # the session check (server-side sign-out) and the page's query, both as Ben (authenticated + his claims: RLS)
    assert [c["sub"] for c in seen] == [BEN, BEN]


def test_rls_alone_hides_other_students_rows_from_the_pages_query(app):
    """Even without the query's user filter, the page's statement run as a student returns only their rows."""
    (source,) = app.extensions["db"].query(
        "select prosrc from pg_proc where oid = 'public.student_progress()'::regprocedure"
    )
    body = source["prosrc"]
    unfiltered = body.replace("where e.user_id = (select auth.uid())", "where %(user_id)s::uuid is not null")
    assert unfiltered != body
    with app.extensions["db"].as_user({"sub": BEN, "role": "authenticated"}) as conn:
        (row,) = conn.execute(f"select ({unfiltered}) as enrollments", {"user_id": BEN}).fetchall()
    assert [r["program_name"] for r in row["enrollments"]] == ["Medical Assistant"]


def test_a_student_sees_only_their_own_enrollments(sql, page):
    mine = new_student(sql, "cna")
    theirs = new_student(sql, "barber")
    sql(
        "update public.enrollment_steps set external_enrollment_id = 'HSI-MINE-1', launch_url = %s where id = %s",
        "https://hsi.example/launch/mine-1",
        mine["steps"][0],
    )
    sql(
        "update public.enrollment_steps set external_enrollment_id = 'MIL-THEIRS-1', launch_url = %s where id = %s",
        "https://milady.example/launch/theirs-1",
        theirs["steps"][0],
    )

    status, html, doc = page(mine["user_id"])
    assert status == 200
    assert list(enrollments(doc)) == ["Certified Nursing Assistant (CNA)"]
    assert "https://hsi.example/launch/mine-1" in html
    assert "Barber" not in html and "Milady" not in html and "JRI" not in html
    assert "theirs-1" not in html and str(theirs["enrollment_id"]) not in html
    assert all(str(s) not in html for s in theirs["steps"])
    assert "Medical Assistant" not in html and "HVAC" not in html, "no demo student's enrollment either"

    status, html, doc = page(theirs["user_id"])
    assert list(enrollments(doc)) == ["Barber"]
    assert "https://milady.example/launch/theirs-1" in html
    assert "Certified Nursing Assistant" not in html and "mine-1" not in html and "HSI" not in html


def test_an_admin_sees_their_own_progress_not_everyones(page):
    status, html, doc = page(ADMIN)
    assert status == 200
    assert enrollments(doc) == {}
    assert "You're not enrolled in a program yet." in html
    assert "Medical Assistant" not in html and "Barber" not in html


def test_the_empty_state(sql, page):
    uid = sql(
        "with u as (insert into auth.users (email) values ('new@test.local') returning id)"
        " insert into public.profiles (id, email) select id, 'new@test.local' from u returning id"
    )[0]["id"]
    status, html, doc = page(uid)
    assert status == 200
    assert "You're not enrolled in a program yet." in html
    assert enrollments(doc) == {} and not doc.find_all(role="progressbar")


# --- states ----------------------------------------------------------------------------------


def test_ben_mid_sequence_completed_current_and_pending(sql, page):
    status, html, doc = page(BEN)
    assert status == 200
    card = enrollments(doc)["Medical Assistant"]
    bar = card.find(role="progressbar")
    assert (bar.attrs["aria-valuemin"], bar.attrs["aria-valuenow"], bar.attrs["aria-valuemax"]) == ("0", "1", "3")
    assert card.find("p", cls="progress-label").text() == "1 / 3 partners complete"
    assert bar.find("rect").attrs["width"] == "33"

    hsi, certiport, careersafe = steps(card)
    assert [partner(s) for s in (hsi, certiport, careersafe)] == [
        "HSI (Health & Safety Institute)",
        "Certiport",
        "CareerSafe",
    ]
    completed_on = human_date(
        sql, "select completed_at from public.enrollment_steps where id = %s", step_of(sql, enrollment_of(sql, BEN), 1)
    )
    assert "step-completed" in hsi.attrs["class"] and "aria-current" not in hsi.attrs
    assert hsi.find(cls="marker").text() == "✓"
    assert hsi.find("p", cls="state").text() == f"Completed on {completed_on}"

    assert certiport.attrs.get("aria-current") == "step"
    assert certiport.find("p", cls="state").text() == "Current step"
    # Certiport gave its enrollment id (CP-DEMO-BEN) but no launch link: never "setting up" forever
    assert "setting up" not in certiport.text()
    assert certiport.find("p", cls="next").text() == (
        "You're enrolled at Certiport. Check your email for how to start: Certiport or our team sends you a link."
        " Once it arrives, the next move is yours."
    )
    assert certiport.find("p", cls="who").text() == "Your move"
    assert not certiport.find_all("a", cls="launch"), "no launch link before the partner gave one"

    assert "step-pending" in careersafe.attrs["class"] and "aria-current" not in careersafe.attrs
    assert careersafe.find("p", cls="state").text() == "Not started yet"
    assert len(doc.find_all(aria_current="step")) == 1


def test_ada_just_enrolled_is_being_set_up_at_hsi(page):
    _, _, doc = page(ADA)
    card = enrollments(doc)["Medical Assistant"]
    assert card.find("p", cls="progress-label").text() == "0 / 3 partners complete"
    current = card.find(aria_current="step")
    assert partner(current) == "HSI (Health & Safety Institute)"
    assert "We're setting up your HSI (Health & Safety Institute) account." in current.text()
    assert [s.find("p", cls="state").text() for s in steps(card)[1:]] == ["Not started yet", "Not started yet"]


def test_launch_training_links_to_the_steps_launch_url(sql, page):
    step = step_of(sql, enrollment_of(sql, BEN), 2)
    url = "https://certiport.example/launch?token=abc&course=MA-101"
    sql("update public.enrollment_steps set launch_url = %s where id = %s", url, step)

    _, html, doc = page(BEN)
    current = enrollments(doc)["Medical Assistant"].find(aria_current="step")
    link = current.find("a", cls="launch")
    assert link.attrs["href"] == url
    assert "noopener" in link.attrs["rel"].split() and link.attrs["target"] == "_blank"
    assert link.text().startswith("Launch Training")
    assert "setting up" not in current.text()
    assert "reports you are" not in current.text(), "no progress shown while the partner reports 0%"

    sql("update public.enrollment_steps set progress_percent = 40 where id = %s", step)
    _, _, doc = page(BEN)
    current = enrollments(doc)["Medical Assistant"].find(aria_current="step")
    assert "Certiport reports you are 40% through this training." in current.text()


def test_cara_enrolled_at_hsi_without_a_link_is_told_to_start_from_hsis_email(sql, page):
    """Issue 13: a linked step (HSI-DEMO-CARA) without a launch URL said "setting up… a few
    minutes" for 12 days."""
    _, _, doc = page(CARA)
    current = enrollments(doc)["Certified Nursing Assistant (CNA)"].find(aria_current="step")
    assert current.attrs["data-state"] == "linked"
    assert "setting up" not in current.text()
    assert "You're enrolled at HSI (Health & Safety Institute). Check your email for how to start" in current.text()
    assert "HSI (Health & Safety Institute) reports you are 35% through this training." in current.text()
    assert current.find("p", cls="who").text() == "Your move"


def test_dev_failed_step_is_explained_without_the_raw_error(page):
    status, html, doc = page(DEV)
    assert status == 200
    card = enrollments(doc)["HVAC Technician"]
    failed = card.find("li", cls="step-failed")
    assert partner(failed) == "CareerSafe"
    assert (
        "There was a problem enrolling you at CareerSafe. Our team has been alerted and will fix it"
        " — you don't need to do anything." in failed.text()
    )
    assert failed.find(cls="marker").text() == "!"
    assert "422" not in html and "already registered" not in html and "API" not in html
    assert not card.find_all(aria_current="step")
    assert card.find("p", cls="progress-label").text() == "0 / 2 partners complete"


def test_a_failed_steps_error_text_never_reaches_the_page(sql, page):
    s = new_student(sql, "cna")
    sql("select public.admin_fail_step(%s, 'partner said <b>SECRET-KEY-42</b> invalid')", s["steps"][0])
    sql(
        "update public.enrollment_steps set error_message = 'token sk_live_SECRET-KEY-42 rejected' where id = %s",
        s["steps"][0],
    )
    _, html, doc = page(s["user_id"])
    assert "There was a problem enrolling you at HSI (Health &amp; Safety Institute)." in html
    assert "SECRET-KEY-42" not in html


def test_a_skipped_step_is_waived_and_counts_as_done(sql, page):
    s = new_student(sql, "medical-assistant")
    sql("select public.admin_skip_step(%s, 'already certified elsewhere')", s["steps"][0])
    _, _, doc = page(s["user_id"])
    card = enrollments(doc)["Medical Assistant"]
    hsi, certiport, _ = steps(card)
    assert "step-skipped" in hsi.attrs["class"]
    assert "Not needed for your program (waived by our team). Nothing for you to do." in hsi.text()
    assert "already certified" not in card.text()
    assert certiport.attrs.get("aria-current") == "step"
    assert card.find("p", cls="progress-label").text() == "1 / 3 partners complete"
    assert card.find(role="progressbar").attrs["aria-valuenow"] == "1"


def test_a_manual_partner_is_awaiting_enrollment_by_our_team(sql, page):
    s = new_student(sql, "administrative-assistant")
    _, _, doc = page(s["user_id"])
    card = enrollments(doc)["Administrative Assistant"]
    current = card.find(aria_current="step")
    assert partner(current) == "JRI"
    assert current.find("p", cls="next").text() == (
        "Our team is enrolling you at JRI. You'll get an email when you can start."
        " You don't need to do anything until then."
    )
    assert current.find("p", cls="who").text() == "Our team's move"
    assert "setting up" not in current.text() and not current.find_all("a")

    sql("select public.admin_link_step(%s, 'JRI-77', 'enrolled by phone')", s["steps"][0])
    _, _, doc = page(s["user_id"])
    current = enrollments(doc)["Administrative Assistant"].find(aria_current="step")
    assert "Our team is enrolling you" not in current.text()
    assert "You're enrolled at JRI. Check your email for how to start: JRI or our team sends you a link." in (
        current.text()
    )

    sql("update public.enrollment_steps set launch_url = 'https://jri.example/start/77' where id = %s", s["steps"][0])
    _, _, doc = page(s["user_id"])
    link = enrollments(doc)["Administrative Assistant"].find(aria_current="step").find("a", cls="launch")
    assert link.attrs["href"] == "https://jri.example/start/77"


def test_a_completed_enrollment_with_its_certificate(sql, page, client):
    s = new_student(sql, "cna")
    nxt = sql("select public.mark_step_complete(%s, 'HSI-C-1') as n", s["steps"][0])[0]["n"]
    assert nxt == s["steps"][1]
    sql("select public.mark_step_complete(%s, 'CP-C-1')", s["steps"][1])
    cert = sql("select id, verification_code from public.certificates where enrollment_id = %s", s["enrollment_id"])[0]
    completed_on = human_date(sql, "select completed_at from public.enrollments where id = %s", s["enrollment_id"])

    _, html, doc = page(s["user_id"])
    card = enrollments(doc)["Certified Nursing Assistant (CNA)"]
    assert card.find("p", cls="progress-label").text() == "2 / 2 partners complete"
    assert card.find(role="progressbar").find("rect").attrs["width"] == "100"
    assert card.find("p", cls="done-note").text() == f"✓ Completed on {completed_on}"
    assert all("step-completed" in st.attrs["class"] for st in steps(card))
    assert "Your certificate is being prepared." in card.text()
    assert not card.find_all("a", href=f"/student/certificates/{cert['id']}.pdf"), "no download before the PDF exists"
    assert card.find("a", href=f"/certificates/{cert['verification_code']}").text().startswith("Verify")
    assert str(cert["id"]) not in html

    sql("update public.certificates set pdf = %s where id = %s", b"%PDF-1.7 x", cert["id"])
    _, _, doc = page(s["user_id"])
    card = enrollments(doc)["Certified Nursing Assistant (CNA)"]
    download = card.find("a", href=f"/student/certificates/{cert['id']}.pdf")
    assert download.text().startswith("Download certificate")
    assert "being prepared" not in card.text()
    verify = card.find("a", href=f"/certificates/{cert['verification_code']}")

    headers = {"Authorization": f"Bearer {token(s['user_id'])}"}
    pdf = client.get(download.attrs["href"], headers=headers)
    assert pdf.status_code == 200 and pdf.data == b"%PDF-1.7 x"
    checked = client.get(verify.attrs["href"])
    assert checked.status_code == 200 and "This certificate is valid" in checked.get_data(as_text=True)


def test_a_revoked_certificate_is_not_offered_for_download(sql, page):
    s = new_student(sql, "cpr-first-aid")
    sql("select public.mark_step_complete(%s, 'HSI-R-1')", s["steps"][0])
    sql(
        "update public.certificates set pdf = 'x'::bytea, revoked_at = now(), revoked_reason = 'error'"
        " where enrollment_id = %s",
        s["enrollment_id"],
    )
    _, _, doc = page(s["user_id"])
    card = enrollments(doc)["CPR & First Aid"]
    assert "Your certificate was revoked on" in card.text()
    assert not [a for a in card.find_all("a") if a.attrs["href"].startswith("/student/certificates/")]


def test_eve_completed_barber_certificate_being_prepared(sql, page):
    _, _, doc = page(EVE)
    card = enrollments(doc)["Barber"]
    assert card.find("p", cls="progress-label").text() == "2 / 2 partners complete"
    milady, jri = steps(card)
    enrollment = enrollment_of(sql, EVE)
    for st, order in ((milady, 1), (jri, 2)):
        day = human_date(
            sql, "select completed_at from public.enrollment_steps where id = %s", step_of(sql, enrollment, order)
        )
        assert st.find("p", cls="state").text() == f"Completed on {day}"
    assert "Completed on" in card.find("p", cls="done-note").text()
    assert "Your certificate is being prepared." in card.text()


def test_several_enrollments_active_first(sql, page):
    s = new_student(sql, "cpr-first-aid")
    sql("select public.mark_step_complete(%s, 'HSI-M-1')", s["steps"][0])
    sql(
        "insert into public.enrollments (user_id, program_id)"
        " select %s, id from public.programs where slug = 'it-support'",
        s["user_id"],
    )
    _, html, doc = page(s["user_id"])
    assert list(enrollments(doc)) == ["IT Support", "CPR & First Aid"]
    assert len(doc.find_all("h1")) == 1 and len(doc.find_all("h2")) == 2


# --- page furniture and safety ---------------------------------------------------------------


def test_the_page_has_one_h1_a_sign_out_form_with_the_csrf_token(client):
    client.set_cookie("sb-access-token", token(BEN, email="ben.midway@example.org"))
    html = client.get("/student/progress").get_data(as_text=True)
    doc = parse(html)
    assert [h.text() for h in doc.find_all("h1")] == ["My training progress"]
    nav = doc.find("nav")
    form = nav.find("form", action="/logout")
    assert form.attrs["method"] == "post"
    with client.session_transaction() as s:
        csrf = s["csrf"]
    assert form.find("input", name="csrf_token").attrs["value"] == csrf
    assert "ben.midway@example.org" in nav.text()
    r = client.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 302 and "sb-access-token=;" in r.headers["Set-Cookie"]


def test_untrusted_names_are_escaped(sql, page):
    s = new_student(sql, "cna")
    sql("update public.programs set name = '<script>alert(\"program\")</script>Nursing' where slug = 'cna'")
    sql("update public.partner_lms_providers set provider_name = '<img src=x onerror=alert(1)>HSI' where slug = 'hsi'")
    status, html, doc = page(s["user_id"], email='"><script>alert("email")</script>@test.local')
    assert status == 200
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;program&#34;)&lt;/script&gt;Nursing" in html
    assert "&lt;img src=x onerror=alert(1)&gt;HSI" in html
    assert "&#34;&gt;&lt;script&gt;alert(&#34;email&#34;)&lt;/script&gt;@test.local" in html
    assert list(enrollments(doc)) == ['<script>alert("program")</script>Nursing']


def test_it_is_503_when_the_database_is_down():
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    app = create_app(TestConfig(DATABASE_URL=dead, DB_TIMEOUT=0.5))
    r = app.test_client().get("/student/progress", headers={"Authorization": f"Bearer {token(BEN)}"})
    assert r.status_code == 503
    assert r.headers["Retry-After"]
    assert "127.0.0.1" not in r.get_data(as_text=True)
    app.extensions["db"].close()


# --- issue 13: who acts, timing, what the partner sent, history, dates, the live JSON --------


def test_every_state_says_what_happens_next_and_who_acts(sql, page):
    """Each state the SQL can give a step has its sentence (p.next) and, while something is still to
    happen, who acts: her ("Your move"), our team, or the system."""
    s = new_student(sql, "medical-assistant")
    expected = {}
    _, _, doc = page(s["user_id"])
    for st in steps(enrollments(doc)["Medical Assistant"]):
        expected[st.attrs["data-state"]] = st
    assert expected["setup"].find("p", cls="who").text() == "Automatic"
    assert "needs nothing from you" in expected["setup"].find("p", cls="next").text()
    assert expected["pending"].find("p", cls="next").text() == (
        "Starts by itself when the step before it is finished. Nothing to do yet."
    )
    assert not expected["pending"].find_all("p", cls="who")

    # still no partner account after an hour: slow, our team checks
    sql("update public.enrollment_steps set started_at = now() - interval '2 hours' where id = %s", s["steps"][0])
    _, _, doc = page(s["user_id"])
    current = enrollments(doc)["Medical Assistant"].find(aria_current="step")
    assert current.attrs["data-state"] == "setup_slow"
    assert "taking longer than usual. Our team is checking it — you don't need to do anything." in current.text()
    assert current.find("p", cls="who").text() == "Our team's move"

    sql("select public.admin_fail_step(%s, 'partner down')", s["steps"][0])
    _, _, doc = page(s["user_id"])
    failed = enrollments(doc)["Medical Assistant"].find("li", cls="step-failed")
    assert failed.find("p", cls="who").text() == "Our team's move"
    assert "You'll get an email when you can start." in failed.find("p", cls="next").text()

    sql("update public.enrollment_steps set launch_url = 'https://hsi.example/l/1' where id = %s", s["steps"][0])
    sql("select public.admin_retry_step(%s, 'partner back')", s["steps"][0])
    _, _, doc = page(s["user_id"])
    current = enrollments(doc)["Medical Assistant"].find(aria_current="step")
    assert current.attrs["data-state"] == "launch"
    assert "this step is yours" in current.find("p", cls="next").text()
    assert current.find("p", cls="who").text() == "Your move"


def test_expected_time_due_dates_and_estimated_completion(sql, page):
    s = new_student(sql, "medical-assistant")
    sql(
        "update public.program_partner_lms set expected_days = 20 where sequence_order = 2"
        " and program_id = (select id from public.programs where slug = 'medical-assistant')"
    )
    _, _, doc = page(s["user_id"])
    card = enrollments(doc)["Medical Assistant"]
    hsi, certiport, careersafe = steps(card)
    due = {
        days: human_date(
            sql,
            "select started_at + %s * interval '1 day' from public.enrollment_steps where id = %s",
            days,
            s["steps"][0],
        )
        for days in (14, 34, 44)
    }
    assert hsi.find("p", cls="timing").text() == (
        f"Started just now · expected to take about 14 days · expected by {due[14]}"
    )
    assert certiport.find("p", cls="timing").text() == f"Expected to take about 20 days · expected by {due[34]}"
    assert careersafe.find("p", cls="timing").text() == f"Expected to take about 10 days · expected by {due[44]}"
    assert card.find("p", cls="estimate").text() == (
        f"Estimated completion: {due[44]} (if each step takes its expected time)"
    )

    sql("update public.enrollment_steps set started_at = now() - interval '20 days' where id = %s", s["steps"][0])
    _, _, doc = page(s["user_id"])
    hsi = steps(enrollments(doc)["Medical Assistant"])[0]
    late = human_date(sql, "select now() - interval '6 days'")
    assert "late" in hsi.find("p", cls="timing").attrs["class"].split()
    assert hsi.find("p", cls="timing").text().replace(" )", ")") == (
        f"Started 20 days ago · taking longer than expected (expected by {late})"
    )


def test_the_partners_score_certificate_and_the_history(sql, page):
    s = new_student(sql, "cpr-first-aid")
    sql("select public.mark_step_complete(%s, 'HSI-S-1')", s["steps"][0])
    sql(
        "update public.enrollment_steps set partner_result = '{\"score\": 88}',"
        ' partner_certificate = \'{"certificate_id": "HSI-77", "certificate_url": "https://hsi.example/c/77"}\''
        " where id = %s",
        s["steps"][0],
    )
    _, html, doc = page(s["user_id"])
    hsi = steps(enrollments(doc)["CPR & First Aid"])[0]
    results = [p.text() for p in hsi.find_all("p", cls="result")]
    assert results[0] == "Score reported by HSI (Health & Safety Institute): 88"
    assert results[1].startswith("Your HSI (Health & Safety Institute) certificate") and "no. HSI-77" in results[1]
    link = hsi.find("a", href="https://hsi.example/c/77")
    assert link.attrs["rel"] == "noopener"
    history = [li.text() for li in hsi.find("details", cls="history").find_all("li")]
    assert [h.split(" · ")[1] for h in history] == ["Added to your plan", "Started", "Completed"]
    today = human_date(sql, "select now()")
    assert all(h.startswith(today) for h in history)


def test_an_admins_waiver_shows_in_the_history_without_its_reason(sql, page):
    s = new_student(sql, "medical-assistant")
    # as the demo admin signed in (the console's path): authenticated with the admin's claims
    sql("select set_config('request.jwt.claims', %s, false)", f'{{"sub": "{ADMIN}", "role": "authenticated"}}')
    sql("set role authenticated")
    sql("select public.admin_skip_step(%s, 'internal: already certified elsewhere')", s["steps"][0])
    sql("reset role")
    _, html, doc = page(s["user_id"])
    hsi = steps(enrollments(doc)["Medical Assistant"])[0]
    assert hsi.find("details", cls="history").find_all("li")[-1].text().endswith("Waived by our team")
    assert "already certified" not in html


def test_dates_are_in_the_organisations_time_zone(db_url, sql):
    """One format everywhere, in ORG_TIMEZONE: a step completed at 23:30 UTC is the next day in Auckland."""
    s = new_student(sql, "cpr-first-aid")
    sql("select public.mark_step_complete(%s, 'HSI-TZ-1')", s["steps"][0])
    sql("update public.enrollment_steps set completed_at = '2026-03-11 23:30+00' where id = %s", s["steps"][0])
    app = create_app(TestConfig(DATABASE_URL=db_url, ORG_TIMEZONE="Pacific/Auckland"))
    try:
        r = app.test_client().get("/student/progress", headers={"Authorization": f"Bearer {token(s['user_id'])}"})
        doc = parse(r.get_data(as_text=True))
        hsi = steps(enrollments(doc)["CPR & First Aid"])[0]
        assert hsi.find("p", cls="state").text() == "Completed on 12 March 2026"
        assert hsi.find("p", cls="state").find("time").attrs["datetime"] == "2026-03-12T12:30:00+13:00"
        updated = doc.find(id="last-updated").text()
        assert re.search(r"Last updated \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d NZ[DS]T", updated)
    finally:
        app.extensions["db"].close()


def test_the_json_twin_is_the_same_data_with_a_version(sql, client):
    s = new_student(sql, "cna")
    headers = {"Authorization": f"Bearer {token(s['user_id'])}"}
    first = client.get("/student/progress.json", headers=headers)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-store"
    data = first.get_json()
    assert [e["program_name"] for e in data["enrollments"]] == ["Certified Nursing Assistant (CNA)"]
    assert data["checked_at"] and data["checked_at_text"].endswith("UTC")
    assert client.get("/student/progress.json", headers=headers).get_json()["version"] == data["version"]
    html = client.get("/student/progress", headers=headers).get_data(as_text=True)
    assert f'data-version="{data["version"]}"' in html

    sql("select public.mark_step_complete(%s, 'HSI-J-1')", s["steps"][0])
    after = client.get("/student/progress.json", headers=headers).get_json()
    assert after["version"] != data["version"]
    assert after["enrollments"][0]["done"] == 1

    # what the live refresh swaps in: the enrollments alone, with their version
    part = client.get("/student/progress/enrollments", headers=headers)
    assert part.status_code == 200 and part.headers["X-Progress-Version"] == after["version"]
    fragment = part.get_data(as_text=True)
    assert "<html" not in fragment and "<style" not in fragment and "<script" not in fragment
    assert "1 / 2 partners complete" in fragment
    assert client.get("/student/progress/enrollments").status_code == 401


def test_the_json_twin_needs_a_sign_in_and_reports_an_outage():
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    app = create_app(TestConfig(DATABASE_URL=dead, DB_TIMEOUT=0.5))
    try:
        client = app.test_client()
        assert client.get("/student/progress.json").status_code == 401
        r = client.get("/student/progress.json", headers={"Authorization": f"Bearer {token(BEN)}"})
        assert r.status_code == 503 and r.get_json()["status"] == "error" and r.headers["Retry-After"]
    finally:
        app.extensions["db"].close()


def test_a_cancelled_enrollment_asks_nothing_of_her(sql, page):
    s = new_student(sql, "cna")
    sql("update public.enrollments set status = 'cancelled' where id = %s", s["enrollment_id"])
    _, _, doc = page(s["user_id"])
    card = enrollments(doc)["Certified Nursing Assistant (CNA)"]
    hsi = steps(card)[0]
    assert hsi.attrs["data-state"] == "cancelled" and hsi.find("p", cls="state").text() == "Stopped"
    assert "This enrollment was cancelled, so nothing more happens at HSI" in hsi.text()
    assert not card.find_all("p", cls="who") and not card.find_all("p", cls="timing")
    assert not card.find_all("p", cls="estimate")
