"""The real server never keeps who reported: a reporter sends a report, follows it up and
makes mistakes through ``havenwatch serve``, from an address of their own (127.0.0.77),
with a user agent, a referrer and forwarding headers no one else sends. Then every file
the instance wrote (the SQLite database and its WAL, the server's log, mails, keys) is
searched for any of them, and none is found.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.core.test_commands import (  # noqa: F401  (fixtures)
    HAVENWATCH,
    clean_env,
    copy_var,
    demo_template,
    free_port,
    pytestmark,  # the command tests' skip: a server on its own SQLite file runs in the SQLite run only
)
from tests.reporting.test_public_pages import solved

CLIENT_ADDRESS = "127.0.0.77"
FORWARDED_FOR = "198.51.100.23"
USER_AGENT = "Mozilla/5.0 (TipsterPhone; probe-7f3a9c) Gecko/20100101 Firefox/140.0"
REFERRER = "https://referrer-probe-5d1e.example/where-i-came-from"
TRACES = [CLIENT_ADDRESS, FORWARDED_FOR, "probe-7f3a9c", "referrer-probe-5d1e"]
CHANNEL = "our-port-drug-free"
NEW, LOGIN, WRITE = (f"/report/{CHANNEL}/new/", f"/report/{CHANNEL}/follow-up/", f"/report/{CHANNEL}/follow-up/write/")


def _files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def _wait_for(client: httpx.Client, process: subprocess.Popen, output) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"havenwatch serve exited early:\n{output()}"
        try:
            client.get("/api/v1/health")
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"havenwatch serve never answered:\n{output()}"
            time.sleep(0.2)


def test_no_address_user_agent_or_referrer_of_a_reporter_is_stored_or_logged(demo_template, tmp_path):  # noqa: F811
    var = copy_var(demo_template[0], tmp_path / "var")
    port = free_port()
    log_path = tmp_path / "serve.log"
    log = log_path.open("w+")
    process = subprocess.Popen(
        [HAVENWATCH, "serve", "--port", str(port)], cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT,
        env=clean_env(var, HAVENWATCH_LOG_LEVEL="DEBUG", HAVENWATCH_BEHIND_PROXY="1"),
    )

    def output() -> str:
        if not log.closed:
            log.flush()
        return log_path.read_text()

    headers = {"User-Agent": USER_AGENT, "Referer": REFERRER, "X-Forwarded-For": FORWARDED_FOR,
               "X-Real-IP": FORWARDED_FOR, "Forwarded": f"for={FORWARDED_FOR}"}
    transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, transport=transport,
                          timeout=30) as client:
            _wait_for(client, process, output)
            page = client.get(f"/report/{CHANNEL}/new/")
            assert page.status_code == 200, page.text
            for response in (page, client.get(f"/report/{CHANNEL}/"), client.get("/report/")):
                assert response.headers["Cache-Control"] == "no-store"
                assert response.headers["Referrer-Policy"] == "same-origin"
                assert set(response.cookies) <= {"csrftoken"}
            category = re.search(r'name="category" value="([^"]+)"', page.text).group(1)

            # A mistake first (nothing to report), then the report.
            refused = client.post(f"/report/{CHANNEL}/new/", data={**solved(page.text, NEW), "category": category})
            assert refused.status_code == 400
            sent = client.post(f"/report/{CHANNEL}/new/", data={
                **solved(refused.text, NEW), "category": category,
                "what": "Men carrying bags out of a reefer container at night.", "where": "Quay 869"})
            assert sent.status_code == 200, sent.text
            receipt = re.search(r"\d{4} \d{4} \d{4} \d{4}", sent.text).group(0)

            login = client.get(f"/report/{CHANNEL}/follow-up/")
            wrong = client.post(f"/report/{CHANNEL}/follow-up/",
                                data={**solved(login.text, LOGIN), "receipt": "0000 0000 0000 0000"})
            assert wrong.status_code == 400
            opened = client.post(f"/report/{CHANNEL}/follow-up/", data={**solved(wrong.text, LOGIN), "receipt": receipt})
            assert opened.status_code == 200 and "Quay 869" in opened.text
            added = client.post(f"/report/{CHANNEL}/follow-up/write/", data={
                **solved(opened.text, WRITE), "text": "It happens every Tuesday."})
            assert added.status_code == 200 and "every Tuesday" in added.text
            assert client.get(f"/report/{CHANNEL}/no-such-page/").status_code == 404
            assert client.get("/report/no-such-channel/").status_code == 404
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()

    text = output()
    assert "Traceback" not in text
    searched = [*_files_under(var), log_path]
    assert any(path.name.startswith("havenwatch.sqlite3") for path in searched)
    for path in searched:
        data = path.read_bytes()
        for trace in TRACES:
            assert trace.encode() not in data, f"{trace} found in {path}"

