"""The live simulator that keeps the demo port alive.

The foundation gives a simulated clock with a speed factor, a scheduler, and a
registry of scenarios. Every app plugs in its own traffic and incident scenarios with
:func:`havenwatch.core.simulation.registry.scenario`; the simulator drives them only
through the apps' services, as a system principal named ``simulator``. With the same
seed the same scenarios do the same things in the same order.
"""
