import pytest

from havenwatch.core import audit
from havenwatch.core.services.security_levels import security_level_set


@pytest.mark.django_db
def test_pso_raises_port_level_and_chain_verifies(world):
    change = security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    assert change.level == 2
    assert audit.verify_chain().ok
