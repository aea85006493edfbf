"""Settings for the test suite: the real settings in the ``test`` profile, in a private var/.

PostgreSQL runs come in through ``HAVENWATCH_DATABASE_URL`` like everywhere else.
"""

import os
import tempfile

os.environ["HAVENWATCH_PROFILE"] = "test"
os.environ.setdefault("HAVENWATCH_VAR_DIR", tempfile.mkdtemp(prefix="havenwatch-test-"))

from havenwatch.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = [
    # Argon2 with the production parameters costs ~50 ms a hash; the suite makes thousands.
    "havenwatch.core.hashers.FastArgon2PasswordHasher",
    *PASSWORD_HASHERS,  # noqa: F405
]
