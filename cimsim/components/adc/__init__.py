"""ADC models, one module each. Importing this package registers them all."""

from cimsim.components.adc import (  # noqa: F401
    charge_sharing_flash,
    linear_per_bit,
    murmann,
    neurosim_flash,
    neurosim_mlsa_v14,
    neurosim_sar,
    table,
    zigzag_aimc,
)
from cimsim.components.adc._base import ADC  # noqa: F401
