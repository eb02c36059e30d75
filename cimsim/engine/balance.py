"""Weight duplication to balance a pipeline (NeuroSim's ``speedUpDegree``, done per layer).

In a pipelined dataflow the steady-state throughput is set by the slowest stage. Giving a
layer ``D`` copies of its weights lets ``D`` input vectors use its arrays at once, dividing
its compute initiation interval by ``D``. :func:`balance_duplication` greedily gives one more
copy to the layer with the largest compute time per inference while the chip has PEs left to
hold it (a layer's copies occupy ``ceil(D * arrays / arrays per PE)`` PEs); it stops when the
bottleneck layer cannot be copied again.
"""

from __future__ import annotations

import math

from cimsim.architecture import Architecture
from cimsim.mapping.mapper import map_network


def balance_duplication(trace, arch: Architecture, max_copies: int = 64) -> dict[str, int]:
    """Copies per layer name (1 = no duplication)."""
    from cimsim.engine.sim import layer_timing

    base = map_network(trace, arch)
    per_pe = arch.arrays.count
    n_pes = arch.spec.chip.tiles.count * arch.spec.chip.tiles.pes.count
    arrays = {lm.name: lm.arrays for lm in base.layers}
    work = {}
    for layer, lm in zip(trace.layers, base.layers):
        lt = layer_timing(arch, layer, lm)
        work[lm.name] = lt.lat["compute"] * lt.vectors_per_sample

    def pes(name: str, copies: int) -> int:
        return math.ceil(arrays[name] * copies / per_pe)

    dup = {name: 1 for name in arrays}
    used = sum(pes(n, 1) for n in arrays)
    while True:
        name = max(dup, key=lambda n: work[n] / dup[n])
        extra = pes(name, dup[name] + 1) - pes(name, dup[name])
        if dup[name] >= max_copies or used + extra > n_pes:
            return dup
        dup[name] += 1
        used += extra
