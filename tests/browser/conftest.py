"""Browser tests: real journeys through the UI in Debian's Chromium, driven by Playwright.

Chromium comes from the system (``HAVENWATCH_CHROMIUM``, ``/usr/bin/chromium`` or the
PATH); nothing is ever downloaded. Without it these tests skip, unless
``HAVENWATCH_REQUIRE_BROWSER=1`` (CI) makes a missing browser an error.

The pages are served by pytest-django's ``live_server`` (a threaded WSGI server on
127.0.0.1, on the test database). The live feed's server-sent events need an ASGI
server: :func:`asgi_server` runs the same application under uvicorn in a thread.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pyotp
import pytest
from django.utils import translation

from tests.conftest import PortWorld
from tests.factories import MembershipFactory, UserFactory

PASSWORD = "correct-horse-battery-staple"  # what UserFactory sets
DEFAULT_TIMEOUT_MS = 10_000
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

_PAGES = pytest.StashKey[list]()


# --- the browser ------------------------------------------------------------------


def chromium_path() -> str | None:
    """``HAVENWATCH_CHROMIUM`` if set (and then only it), else Debian's, else the PATH's."""
    explicit = os.environ.get("HAVENWATCH_CHROMIUM")
    candidates = [explicit] if explicit else ["/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def _async_unsafe_allowed():
    """Playwright's sync API keeps an event loop in the main thread; Django then refuses
    ORM calls from it (SynchronousOnlyOperation). The test thread makes only plain
    synchronous calls, so allow them — for the browser tests only."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_async_unsafe_allowed):
    executable = chromium_path()
    if executable is None:
        where = os.environ.get("HAVENWATCH_CHROMIUM") or "/usr/bin/chromium or on the PATH"
        reason = (f"Chromium not found at {where} (set HAVENWATCH_CHROMIUM, or apt-get install chromium); "
                  "the browser tests need it and never download a browser")
        if os.environ.get("HAVENWATCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HAVENWATCH_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # pragma: no cover - the test extra installs it
        if os.environ.get("HAVENWATCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"HAVENWATCH_REQUIRE_BROWSER=1 but Playwright is missing: {error}", pytrace=False)
        pytest.skip(f"the Python package playwright is not installed: {error}")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    pages = item.stash.get(_PAGES, [])
    saved = []
    RESULTS_DIR.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::")[-1])
    for number, page in enumerate(pages, start=1):
        if page.is_closed():
            continue
        path = RESULTS_DIR / f"{stem}-{number}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as error:  # the page may be wedged; the failure itself matters more
            saved.append(f"(screenshot {number} failed: {error})")
            continue
        saved.append(f"{path} (at {page.url})")
    if saved and hasattr(report.longrepr, "addsection"):
        report.longrepr.addsection("browser screenshots", "\n".join(saved))
    elif saved:
        report.sections.append(("browser screenshots", "\n".join(saved)))


class Browsing:
    """Opens pages, each in its own browser context (own cookies: own person)."""

    def __init__(self, browser, base_url: str, item):
        self.browser = browser
        self.base_url = base_url.rstrip("/")
        self.item = item
        self.contexts = []
        item.stash[_PAGES] = []

    def new_page(self, base_url: str | None = None, locale: str = "en-GB"):
        context = self.browser.new_context(base_url=base_url or self.base_url, locale=locale,
                                           viewport={"width": 1366, "height": 900})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        self.item.stash[_PAGES].append(page)
        return page

    def close(self):
        for context in self.contexts:
            try:
                context.close()
            except Exception:
                pass
        self.contexts.clear()


@pytest.fixture
def browsing(browser, live_server, request):
    session = Browsing(browser, live_server.url, request.node)
    yield session
    session.close()


@pytest.fixture
def page(browsing):
    return browsing.new_page()


@pytest.fixture
def screenshot(request):
    """Save a screenshot under test-results/ (to look at what a person would see)."""
    RESULTS_DIR.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = RESULTS_DIR / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- the world and its people -----------------------------------------------------


@pytest.fixture
def world(transactional_db):
    """The shared two-port world, on the live server's (transactional) database."""
    return PortWorld()


class Person:
    def __init__(self, membership, totp_secret: str | None):
        self.membership = membership
        self.user = membership.user
        self.username = self.user.username
        self.password = PASSWORD
        self.totp_secret = totp_secret

    @property
    def full_name(self) -> str:
        return self.user.get_full_name()

    def code(self) -> str:
        return pyotp.TOTP(self.totp_secret).now()


@pytest.fixture
def person(transactional_db):
    """``person(role, organisation, username=..., first_name=..., last_name=..., totp=True)``."""
    from havenwatch.core.services.auth import totp_set_for_demo

    def make(role, organisation, *, username, first_name="", last_name="", totp=False, **membership_fields):
        user = UserFactory(username=username, first_name=first_name, last_name=last_name)
        membership = MembershipFactory(user=user, role=role, organisation=organisation, **membership_fields)
        secret = None
        if totp:
            secret = pyotp.random_base32()
            totp_set_for_demo(user=user, secret=secret)
        return Person(membership, secret)

    return make


def wrong_code(secret: str) -> str:
    """Six digits that are none of the codes the server accepts right now."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    accepted = {totp.at(now + delta) for delta in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "123456", "999999", "314159") if c not in accepted)


@pytest.fixture
def sign_in():
    """Sign a person in through the login form (and the code page if they have a second factor)."""
    from playwright.sync_api import expect

    def run(page, who: Person):
        page.goto("/login/")
        page.get_by_label("User name").fill(who.username)
        page.get_by_label("Password").fill(who.password)
        page.get_by_role("button", name="Continue").click()
        if who.totp_secret:
            page.wait_for_url("**/login/otp/")
            page.get_by_label("Six-digit code").fill(who.code())
            page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    return run


def gettext_in(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


# --- an ASGI server, for the live feed --------------------------------------------


class AsgiServer:
    def __init__(self):
        import uvicorn

        from havenwatch.asgi import application

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(application, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="off", timeout_graceful_shutdown=1, access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="asgi-live-server", daemon=True)

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the ASGI test server did not start")
            time.sleep(0.02)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture
def asgi_server(live_server, browsing):
    """The application under uvicorn (ASGI), on the same test database as ``live_server``.

    Under the WSGI live server an async streaming response is consumed to the end before
    anything is sent (Django can only serve it synchronously), and the event stream never
    ends: the page would never get an event. Uvicorn streams it as production does.
    """
    server = AsgiServer()
    server.start()
    yield server
    browsing.close()  # the pages' event streams end before the server stops
    server.stop()
