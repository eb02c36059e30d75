"""Component cost library: one small model per component kind, found through a registry.

>>> from cimsim.components import Technology, get
>>> adc = get("adc", "neurosim_sar")(Technology(22, 0.85, 1e9, "LSTP"), bits=4)
>>> round(adc.convert().energy_J * 1e15, 1)
32.6

Importing this package imports every model module, so that all models are registered.
See ``README.md`` in this directory for how to add one.
"""

from cimsim.components.base import ActionCost, Component, Technology
from cimsim.components.registry import create, get, kinds, model_names, parameters, register

# Model modules: imported for their @register side effect.
from cimsim.components import (  # noqa: E402,F401
    adc,
    adder,
    adder_tree,
    bfp_logic,
    buffer,
    crossbar,
    dac,
    dcim,
    interconnect,
    io_link,
    periphery,
    sense_amp,
    shift_add,
    sram_macro,
    unit,
)

__all__ = [
    "Technology", "ActionCost", "Component",
    "get", "model_names", "kinds", "create", "parameters", "register",
]
