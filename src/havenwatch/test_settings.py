"""Settings for the test suite: the real settings in the ``test`` profile, in a private var/.

PostgreSQL runs come in through ``HAVENWATCH_DATABASE_URL`` like everywhere else.
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

from havenwatch.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = [
    # Argon2 with the production parameters costs ~50 ms a hash; the suite makes thousands.
    "havenwatch.core.hashers.FastArgon2PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]
