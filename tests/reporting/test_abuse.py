"""Proof-of-work challenges and anonymous counters of the reporting pages, on a frozen clock."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.db.models.query import QuerySet
from django.test import RequestFactory

from havenwatch.core import clock, periodic
from havenwatch.core.errors import ServiceError
from havenwatch.reporting import abuse
from havenwatch.reporting.models import AnonymousThrottle, SpentChallenge

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)  # on a 10-minute boundary
STATIC = Path(abuse.__file__).parent / "static" / "reporting"
CSRF_COOKIE = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"  # 32 letters and digits, as Django makes them


@pytest.fixture
def frozen():
    with clock.frozen(T0) as state:
        yield state


@pytest.fixture
def pow_settings(settings):
    """Override ``REPORTING_POW`` over what the test settings say (difficulty 4)."""

    def override(**values):
        current = dict(settings.HAVENWATCH.get("REPORTING_POW", {}))
        settings.HAVENWATCH = {**settings.HAVENWATCH, "REPORTING_POW": {**current, **values}}

    return override


def refused(code: str, **check) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        abuse.challenge_check(**check)
    assert caught.value.code == code, caught.value.message
    return caught.value


def issue(purpose: str = "submit", scope: str = "port-a") -> abuse.Challenge:
    return abuse.challenge_issue(purpose=purpose, scope=scope)


def solved(challenge: abuse.Challenge) -> str:
    return abuse.solve(challenge.token, challenge.difficulty)


# --- proof of work ------------------------------------------------------------------

def test_a_solved_challenge_passes_once(frozen):
    challenge = issue()
    assert challenge.difficulty == 4 and challenge.purpose == "submit"
    solution = solved(challenge)
    digest = hashlib.sha256(f"{challenge.token}:{solution}".encode()).digest()
    assert abuse.leading_zero_bits(digest) >= 4
    assert abuse.challenge_check(purpose="submit", scope="port-a", token=challenge.token, solution=solution) is None
    spent = SpentChallenge.objects.get()
    assert spent.digest == hashlib.sha256(challenge.token.encode()).hexdigest()
    assert spent.expires_at == T0 + timedelta(seconds=3600)
    refused("challenge_spent", purpose="submit", scope="port-a", token=challenge.token, solution=solution)


def test_each_challenge_is_new():
    first, second = issue(), issue()
    assert first.token != second.token


def test_a_wrong_solution_is_refused_and_spends_nothing(frozen):
    challenge = issue()
    solution = int(solved(challenge))
    wrong = next(str(n) for n in range(solution + 1000) if abuse.leading_zero_bits(
        hashlib.sha256(f"{challenge.token}:{n}".encode()).digest()) < challenge.difficulty)
    for attempt in (wrong, "12ab", "-1", "1" * 21, " "):
        if attempt.strip():
            refused("challenge_unsolved", purpose="submit", scope="port-a", token=challenge.token, solution=attempt)
    assert not SpentChallenge.objects.exists()
    abuse.challenge_check(purpose="submit", scope="port-a", token=challenge.token, solution=f" {solution} ")


@pytest.mark.parametrize("change", ["purpose", "scope", "tampered", "truncated", "garbage", "empty", "other key"])
def test_a_challenge_for_something_else_or_changed_is_invalid(frozen, settings, change):
    challenge = issue(purpose="login")
    token, purpose, scope = challenge.token, "login", "port-a"
    if change == "purpose":
        purpose = "submit"
    elif change == "scope":
        scope = "port-b"
    elif change == "tampered":
        raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        raw[-49] ^= 0x01  # the difficulty byte (before 16 random bytes and the MAC)
        token = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    elif change == "truncated":
        token = token[:-4]
    elif change == "garbage":
        token = "not a token!"
    elif change == "empty":
        token = ""
    else:
        settings.SECRET_KEY = "another-instance-" + "x" * 40
    refused("challenge_invalid", purpose=purpose, scope=scope, token=token,
            solution=abuse.solve(challenge.token, challenge.difficulty))
    assert not SpentChallenge.objects.exists()


def test_a_challenge_survives_a_key_rotation(frozen, settings):
    challenge = issue()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-key-" + "y" * 40
    abuse.challenge_check(purpose="submit", scope="port-a", token=challenge.token, solution=solved(challenge))


def test_an_unknown_purpose_is_a_programming_error(frozen):
    with pytest.raises(ValueError):
        issue(purpose="anything")
    with pytest.raises(ValueError):
        abuse.challenge_check(purpose="anything", scope="port-a", token=issue().token, solution="1")


def test_a_challenge_expires_after_its_lifetime(frozen):
    late, on_time = issue(), issue()
    frozen.advance(seconds=3600)
    abuse.challenge_check(purpose="submit", scope="port-a", token=on_time.token, solution=solved(on_time))
    frozen.advance(seconds=1)
    refused("challenge_expired", purpose="submit", scope="port-a", token=late.token, solution=solved(late))
    refused("challenge_expired", purpose="submit", scope="port-a", token=late.token, solution="")


def test_without_javascript_the_form_must_have_been_open_long_enough(frozen):
    challenge = issue()
    frozen.advance(seconds=5)
    error = refused("too_soon", purpose="submit", scope="port-a", token=challenge.token, solution="")
    assert "Please wait 15 seconds and send again" in str(error.message)
    frozen.advance(seconds=14.5)
    error = refused("too_soon", purpose="submit", scope="port-a", token=challenge.token, solution=None)
    assert "Please wait 1 second and send again" in str(error.message)
    assert not SpentChallenge.objects.exists()  # told to wait, the person sends the same form again
    frozen.advance(seconds=0.5)
    abuse.challenge_check(purpose="submit", scope="port-a", token=challenge.token, solution="")
    refused("challenge_spent", purpose="submit", scope="port-a", token=challenge.token, solution="")
    login = issue(purpose="login")
    frozen.advance(seconds=6)
    abuse.challenge_check(purpose="login", scope="port-a", token=login.token, solution="")


def test_without_javascript_a_channel_takes_only_so_many(frozen, pow_settings):
    pow_settings(nojs_limit=2, nojs_window=600)
    challenges = [issue() for _ in range(4)]
    other_channel, other_purpose = issue(scope="port-b"), issue(purpose="followup")
    frozen.advance(seconds=60)
    for challenge in challenges[:2]:
        abuse.challenge_check(purpose="submit", scope="port-a", token=challenge.token, solution="")
    error = refused("busy", purpose="submit", scope="port-a", token=challenges[2].token, solution="")
    assert "without JavaScript" in str(error.message)
    assert SpentChallenge.objects.count() == 2  # the refused one is not spent: it may come again
    # solved challenges, other channels and other purposes have buckets of their own
    abuse.challenge_check(purpose="submit", scope="port-a", token=challenges[3].token, solution=solved(challenges[3]))
    abuse.challenge_check(purpose="submit", scope="port-b", token=other_channel.token, solution="")
    abuse.challenge_check(purpose="followup", scope="port-a", token=other_purpose.token, solution="")
    frozen.advance(seconds=600)  # the next window
    abuse.challenge_check(purpose="submit", scope="port-a", token=challenges[2].token, solution="")


def test_failed_logins_raise_the_difficulty_up_to_a_cap(frozen, pow_settings):
    pow_settings(adaptive_threshold=20, adaptive_max=6)
    assert issue(purpose="login").difficulty == 4
    steps = []
    for count in range(1, 20 * 2**7 + 1):
        abuse.record_failure("port-a")
        if count in (39, 40, 79, 80, 160, 640, 1280, 2560):
            steps.append((count, issue(purpose="login").difficulty))
    assert steps == [(39, 4), (40, 5), (79, 5), (80, 6), (160, 7), (640, 9), (1280, 10), (2560, 10)]
    assert issue(purpose="login", scope="port-b").difficulty == 4  # another channel
    assert issue(purpose="submit").difficulty == 4  # reporters are not slowed by a guessing attack
    hard = issue(purpose="login")
    abuse.challenge_check(purpose="login", scope="port-a", token=hard.token, solution=solved(hard))
    # the count slides out: 20% of the previous window is left 480 s into the next, then none
    frozen.advance(seconds=600 + 480)
    assert issue(purpose="login").difficulty == 4 + 4  # 2560 * 0.2 = 512 ≥ 20 * 2**4
    frozen.advance(seconds=120)
    assert issue(purpose="login").difficulty == 4


def test_the_difficulty_a_token_carries_is_the_one_checked(frozen, pow_settings):
    pow_settings(adaptive_threshold=1)
    for _ in range(8):
        abuse.record_failure("port-a")
    hard = issue(purpose="login")
    assert hard.difficulty == 4 + 3
    weak = next(str(n) for n in range(100_000) if 4 <= abuse.leading_zero_bits(
        hashlib.sha256(f"{hard.token}:{n}".encode()).digest()) < hard.difficulty)
    refused("challenge_unsolved", purpose="login", scope="port-a", token=hard.token, solution=weak)


def test_settings_are_read_defensively(settings):
    settings.HAVENWATCH = {**settings.HAVENWATCH, "REPORTING_POW": "nonsense"}
    assert abuse.config() == abuse.DEFAULTS
    settings.HAVENWATCH = {**settings.HAVENWATCH, "REPORTING_POW": {
        "difficulty": {"submit": "many", "login": -3, "followup": 12, "other": 9}, "patience": [1],
        "lifetime": 0, "nojs_limit": True, "adaptive_max": 99}}
    cfg = abuse.config()
    assert cfg["difficulty"] == {"submit": 18, "login": 16, "followup": 12}
    assert cfg["patience"] == abuse.DEFAULTS["patience"]
    assert (cfg["lifetime"], cfg["nojs_limit"], cfg["adaptive_max"]) == (3600, 60, 6)
    del settings.HAVENWATCH
    assert abuse.config() == abuse.DEFAULTS


def test_leading_zero_bits():
    assert abuse.leading_zero_bits(bytes(32)) == 256
    assert abuse.leading_zero_bits(b"\x80" + bytes(31)) == 0
    assert abuse.leading_zero_bits(b"\x00\x01\xff") == 15
    assert abuse.leading_zero_bits(b"\x00\x00\x10") == 19


# --- counters ----------------------------------------------------------------------

def test_throttle_counts_per_window_and_resets_in_the_next(frozen):
    assert [abuse.throttle("k", limit=3, window=600) for _ in range(4)] == [True, True, True, False]
    assert abuse.throttle_count("k", 600) == 3  # the refused act is not counted
    assert abuse.throttle("other", limit=3, window=600)
    frozen.advance(seconds=599)
    assert not abuse.throttle("k", limit=3, window=600)
    frozen.advance(seconds=1)
    assert abuse.throttle_count("k", 600) == 0
    assert abuse.throttle("k", limit=3, window=600)
    assert abuse.throttle_count("k", 600) == 1
    assert not abuse.throttle("k", limit=0, window=600)
    rows = list(AnonymousThrottle.objects.order_by("window_start", "key").values_list("key", "window_start", "count"))
    assert all(len(key) == 64 and key != "k" for key, _, _ in rows)
    assert [(start, count) for _, start, count in rows if count == 3] == [(T0, 3)]
    assert {start for _, start, _ in rows} == {T0, T0 + timedelta(seconds=600)}
    with pytest.raises(ValueError):
        abuse.throttle("k", limit=3, window=0)


def test_windows_are_aligned(frozen):
    frozen.advance(seconds=123)
    abuse.throttle("k", limit=1, window=60)
    assert AnonymousThrottle.objects.get().window_start == T0 + timedelta(seconds=120)


def test_throttle_that_loses_the_race_to_create_the_window_counts_on_it(frozen, monkeypatch):
    """Two requests find no row; the other one creates it first: ours gets an
    IntegrityError in its savepoint and counts on the other's row."""
    real_update = QuerySet.update
    calls = []

    def update(queryset, **values):
        if queryset.model is AnonymousThrottle and not calls:
            calls.append(1)
            stored = abuse._stored_key("k")
            AnonymousThrottle.objects.create(key=stored, window_start=T0, count=1)  # the other request
            return 0  # ours ran before it
        return real_update(queryset, **values)

    monkeypatch.setattr(QuerySet, "update", update)
    with transaction.atomic():
        assert abuse.throttle("k", limit=5, window=600)
        assert AnonymousThrottle.objects.get().count == 2  # the outer transaction still works
    calls.clear()
    monkeypatch.setattr(QuerySet, "update", real_update)
    assert not abuse.throttle("k", limit=2, window=600)


def _at_once(count: int, act) -> list:
    """``act()`` in ``count`` threads, each with its own connection, started together."""
    barrier, results, errors = threading.Barrier(count), [], []

    def run():
        try:
            with clock.frozen(T0):
                barrier.wait()
                results.append(act())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers anyway")
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_count_exactly_and_spend_once():
    counted = _at_once(8, lambda: [abuse.throttle("free", limit=1000, window=600) for _ in range(10)])
    assert sum(map(sum, counted)) == 80  # none lost in the race to create the window's row
    counted = _at_once(8, lambda: [abuse.throttle("full", limit=50, window=600) for _ in range(10)])
    assert sum(map(sum, counted)) == 50
    with clock.frozen(T0):
        assert abuse.throttle_count("free", 600) == 80 and abuse.throttle_count("full", 600) == 50
        challenge = issue()
    solution = solved(challenge)

    def spend():
        try:
            abuse.challenge_check(purpose="submit", scope="port-a", token=challenge.token, solution=solution)
            return "ok"
        except ServiceError as error:
            return error.code

    assert sorted(_at_once(8, spend)) == ["challenge_spent"] * 7 + ["ok"]


# --- the anonymous session -------------------------------------------------------------

class _NoPeeking(dict):
    """A request's META that fails the test if anything but the cookie header is read."""

    FORBIDDEN = ("REMOTE_ADDR", "REMOTE_HOST", "HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_X_FORWARDED_FOR")

    def _check(self, key):
        assert key not in self.FORBIDDEN, f"read {key}"

    def __getitem__(self, key):
        self._check(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._check(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._check(key)
        return super().__contains__(key)


def request(cookie: str | None = None, **meta):
    factory = RequestFactory()
    if cookie is not None:
        factory.cookies["csrftoken"] = cookie
    built = factory.post("/report/port-a/", **meta)
    built.META = built.environ = _NoPeeking(built.META)
    return built


def test_the_session_is_the_csrf_cookie_and_nothing_else(settings):
    assert settings.CSRF_COOKIE_NAME == "csrftoken"
    first = abuse.session_key(request(CSRF_COOKIE, REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="Phone A"))
    again = abuse.session_key(request(CSRF_COOKIE, REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Laptop B",
                                      HTTP_REFERER="https://example.org/"))
    assert first == again and len(first) == 64 and CSRF_COOKIE not in first
    assert abuse.session_key(request(CSRF_COOKIE.swapcase())) != first
    assert abuse.session_key(request(REMOTE_ADDR="192.0.2.1", HTTP_USER_AGENT="Phone A")) is None
    for malformed in ("", "short", CSRF_COOKIE + "x", CSRF_COOKIE[:-1] + "!"):
        assert abuse.session_key(request(malformed)) is None
    settings.SECRET_KEY = "another-instance-" + "x" * 40
    assert abuse.session_key(request(CSRF_COOKIE)) != first  # keyed: not a plain hash anyone can recompute


def test_nothing_stored_holds_the_cookie_or_the_channel(frozen):
    session = abuse.session_key(request(CSRF_COOKIE))
    assert abuse.throttle(f"session:{session}", limit=5, window=600)
    assert abuse.throttle(f"receipt:{CSRF_COOKIE}", limit=5, window=600)  # even a careless key
    challenge = issue(scope="secret-channel")
    frozen.advance(seconds=30)
    abuse.challenge_check(purpose="submit", scope="secret-channel", token=challenge.token, solution="")
    abuse.record_failure("secret-channel")
    stored = json.dumps([list(AnonymousThrottle.objects.values()), list(SpentChallenge.objects.values())],
                        default=str)
    assert AnonymousThrottle.objects.count() == 4
    for secret in (CSRF_COOKIE, session, "secret-channel", challenge.token):
        assert secret not in stored


# --- upkeep and transactions -------------------------------------------------------------

def test_purge_forgets_what_expired(frozen):
    old = issue()
    abuse.challenge_check(purpose="submit", scope="port-a", token=old.token, solution=solved(old))
    abuse.throttle("k", limit=5, window=600)
    frozen.advance(seconds=3000)
    recent = issue()
    abuse.challenge_check(purpose="submit", scope="port-a", token=recent.token, solution=solved(recent))
    frozen.advance(seconds=601)
    assert abuse.purge_expired() == 1  # the first challenge
    assert SpentChallenge.objects.count() == 1 and AnonymousThrottle.objects.count() == 1
    frozen.set(T0 + timedelta(days=1, seconds=1))
    abuse.throttle("k", limit=5, window=600)
    assert abuse.purge_expired() == 2  # the second challenge and yesterday's window
    assert list(AnonymousThrottle.objects.values_list("count", flat=True)) == [1]
    # the purged challenge is refused anyway: it has expired
    refused("challenge_expired", purpose="submit", scope="port-a", token=old.token, solution=solved(old))
    assert abuse.purge_expired() == 0


def test_purge_is_a_periodic_job():
    job = next(job for job in periodic.jobs() if job.name == "reporting.abuse_purge")
    assert job.func is abuse.purge_expired and job.every == 600


def test_a_refused_challenge_leaves_the_callers_transaction_usable(frozen, pow_settings):
    pow_settings(nojs_limit=1)
    used, patient, busy = issue(), issue(), issue()
    abuse.challenge_check(purpose="submit", scope="port-a", token=used.token, solution=solved(used))
    frozen.advance(seconds=30)
    with transaction.atomic():
        abuse.throttle("before", limit=5, window=600)
        with pytest.raises(ServiceError) as caught:
            abuse.challenge_check(purpose="submit", scope="port-a", token=used.token, solution=solved(used))
        assert caught.value.code == "challenge_spent"
        abuse.challenge_check(purpose="submit", scope="port-a", token=patient.token, solution="")
        with pytest.raises(ServiceError) as caught:
            abuse.challenge_check(purpose="submit", scope="port-a", token=busy.token, solution="")
        assert caught.value.code == "busy"
        abuse.throttle("after", limit=5, window=600)
    digests = set(SpentChallenge.objects.values_list("digest", flat=True))
    assert digests == {hashlib.sha256(token.encode()).hexdigest() for token in (used.token, patient.token)}
    assert abuse.throttle_count("before", 600) == abuse.throttle_count("after", 600) == 1
    assert abuse.throttle_count("nojs:submit:port-a", 600) == 1


def test_a_failed_request_takes_back_its_spent_challenge(frozen):
    challenge = issue()

    class Failed(Exception):
        pass

    with pytest.raises(Failed), transaction.atomic():
        abuse.challenge_check(purpose="submit", scope="port-a", token=challenge.token, solution=solved(challenge))
        raise Failed  # the report could not be stored: the person may send it again
    assert not SpentChallenge.objects.exists()
    abuse.challenge_check(purpose="submit", scope="port-a", token=challenge.token, solution=solved(challenge))


# --- the browser's solver ---------------------------------------------------------------

NODE_CHECK = r"""
const vm = require('vm'), fs = require('fs');
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const posted = [];
const scope = {TextEncoder, importScripts() {}, postMessage(message) { posted.push(message); }};
scope.self = scope;
vm.createContext(scope);
vm.runInContext(fs.readFileSync(input.worker, 'utf8'), scope, {filename: 'pow-worker.js'});
const pow = scope.HavenwatchPow;
const hashes = input.texts.map((text) => pow.sha256Hex(text));
const solutions = input.puzzles.map(([token, difficulty]) => new pow.Solver(token, difficulty).run(Infinity));
const sliced = new pow.Solver(input.puzzles[0][0], input.puzzles[0][1]);
let slicedSolution = null;
while (slicedSolution === null) slicedSolution = sliced.run(7);
scope.onmessage({data: {token: input.puzzles[0][0], difficulty: input.puzzles[0][1]}});
process.stdout.write(JSON.stringify({hashes, solutions, sliced: slicedSolution, posted}));
"""


@pytest.mark.skipif(not shutil.which("node"), reason="node is not on PATH")
def test_the_browser_solver_agrees_with_the_server(frozen):
    node = shutil.which("node")
    for script in ("pow.js", "pow-worker.js"):
        subprocess.run([node, "--check", str(STATIC / script)], check=True, capture_output=True, timeout=30)
    texts = ["", "abc", "é ✓ 漢字"] + ["x" * size for size in (54, 55, 56, 63, 64, 65, 119, 120, 128, 200)]
    challenges = [issue(), issue(purpose="login", scope="a-much-longer-channel-slug-" + "z" * 40)]
    puzzles = [[challenges[0].token, 10], [challenges[1].token, 12], ["short", 8], ["t" * 54, 9], ["u" * 62, 9],
               [challenges[0].token, 0]]
    run = subprocess.run([node, "-e", NODE_CHECK], capture_output=True, text=True, timeout=120, check=True,
                         input=json.dumps({"worker": str(STATIC / "pow-worker.js"), "texts": texts,
                                           "puzzles": puzzles}))
    result = json.loads(run.stdout)
    assert result["hashes"] == [hashlib.sha256(text.encode()).hexdigest() for text in texts]
    assert result["solutions"] == [abuse.solve(token, difficulty) for token, difficulty in puzzles]
    assert result["sliced"] == result["solutions"][0]
    assert result["posted"] == [{"solution": result["solutions"][0]}]
    # and what the browser finds, the server accepts
    browser = subprocess.run([node, "-e", NODE_CHECK], capture_output=True, text=True, timeout=60, check=True,
                             input=json.dumps({"worker": str(STATIC / "pow-worker.js"), "texts": [],
                                               "puzzles": [[challenges[0].token, challenges[0].difficulty]]}))
    solution = json.loads(browser.stdout)["posted"][0]["solution"]
    abuse.challenge_check(purpose="submit", scope="port-a", token=challenges[0].token, solution=solution)
