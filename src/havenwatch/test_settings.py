"""Settings for the test suite: the real settings in the ``test`` profile, in a private var/.

PostgreSQL runs come in through ``HAVENWATCH_DATABASE_URL`` like everywhere else.

Under pytest-xdist (``-n 2``) every worker is a process of its own that imports these
settings: each gets its own var/ (a directory per worker inside the run's) and its own
test database (pytest-django suffixes the name with the worker id, ``test_havenwatch_gw0``;
on SQLite each worker has its own in-memory database).
"""

import atexit
import os
import shutil
import tempfile

os.environ["HAVENWATCH_PROFILE"] = "test"
if "HAVENWATCH_VAR_DIR" not in os.environ:
    _var = tempfile.mkdtemp(prefix="havenwatch-test-")
    os.environ["HAVENWATCH_VAR_DIR"] = _var
    atexit.register(shutil.rmtree, _var, ignore_errors=True)
_worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ... in an xdist worker
if _worker:
    # A worker inherits the controller's environment, so its var/ too (which the
    # controller removes at the end): it takes a room of its own in it.
    os.environ["HAVENWATCH_VAR_DIR"] = os.path.join(os.environ["HAVENWATCH_VAR_DIR"], _worker)

from havenwatch.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = [
    # Argon2 with the production parameters costs ~50 ms a hash; the suite makes thousands.
    "havenwatch.core.hashers.FastArgon2PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]

if DATABASES["default"]["ENGINE"] == "havenwatch.core.sqlite_backend" and not DATABASES["default"]["TEST"]:  # noqa: F405
    # Django's in-memory test database, as it is without a name, but said explicitly:
    # pytest-django recognises only Django's own engine as SQLite, and under xdist it would
    # otherwise make a file name out of NAME ("test_/tmp/.../havenwatch.sqlite3_gw0").
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405

# Anonymous reporting: Argon2id at libsodium's minimum and proof-of-work of a few bits
# (the real costs are measured in benchmarks/ and by the receipt-timing test, which asks
# for them explicitly).
HAVENWATCH["REPORTING_KDF"] = {"receipt": "min", "password": "min"}  # noqa: F405
HAVENWATCH["REPORTING_POW"] = {"difficulty": {"submit": 4, "login": 4, "followup": 4}}  # noqa: F405
