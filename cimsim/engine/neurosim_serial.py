"""NeuroSim V1.4's serial latency accounting (``timing: {accounting: neurosim_serial}``).

NeuroSim does not overlap the parts of a layer's work: it adds them. Its per-layer latency
(``Chip.cpp ChipCalculatePerformance``, non-synchronous data transfer) is the busiest tile's
latency (``Tile.cpp TileCalculatePerformance``) plus the global buffer's read and write
latency plus the global interconnect's, where the tile's latency is the busiest PE's latency
divided by the layer's weight copies (``speedUpRow x speedUpCol``) plus the tile's adder
tree, input and output buffers and H-tree, and the PE's latency (``ProcessingUnit.cpp
ProcessingUnitCalculatePerformance``) is its sub-arrays' read (row read, column
multiplexing, sensing, shift-add) plus its input buffer and bus. In a pipeline the system
clock is the largest layer latency (``main.cpp``: ``systemClock = MAX(systemClock,
layerReadLatency)``, throughput ``numComputation / systemClock``); layer by layer the layer
latencies add.

Two features of that accounting dominate its result and are reproduced here:

- the buffers are charged with every input vector of the layer, not divided by the weight
  copies (``Tile.cpp``: "no matter speedup or not, the total number of data transferred is
  fixed": ``numBitToLoadOut = weightMatrixRow x numInVector`` bits through the tile input
  buffer; ``Chip.cpp``: ``weightMatrixRow x numBitInput x numInVector`` through the global
  buffer, divided by the kernel width with the novel mapping);
- the tile moves partial sums, not activations, to its output buffer and H-tree:
  ``numBitToLoadIn = outputs x (numStage + numAdderBit) x vectors`` (``Tile.cpp``), i.e. the
  tile accumulator's width (24-33 bits in NeuroSim's VGG-8 runs) per output.

cimsim's own models give every per-action latency: the array step and the bit-serial cycles
(:func:`cimsim.engine.sim.layer_timing`), the interconnects' ``transfer`` and the buffers'
widths; the mapping gives the counts. Assumptions, each a named parameter of
:class:`SerialParams` (``timing.params`` in an architecture file) with its default:

``buffer_access_cycles`` (0.5)
    clock cycles per register-file line access: NeuroSim ``Buffer.cpp CalculateLatency``
    (register-file buffer: "assume dff need half clock cycle to access"; its decoder delay
    is not added).
``buffer_ports_from_bus`` (true)
    a buffer serves ``ceil(bus width / buffer width)`` lines at once: NeuroSim divides buffer
    latency by ``MIN(numBufferCore, ceil(busWidth / interface_width))`` (``Tile.cpp``,
    ``Chip.cpp``); the core count is taken as not limiting.
``novel_input_reuse`` (true)
    with ``mapping.conv_unroll: novel`` the tile and global input traffic is divided by the
    kernel width (``Tile.cpp``: ``/ sqrt(numPE)``, ``Chip.cpp``: ``/ netStructure[l][3]``).
``interconnect_pipelined`` (false)
    NeuroSim charges every flit the whole wire path: ``HTree.cpp CalculateLatency`` and
    ``Bus.cpp`` compute one traversal's repeated-wire delay and multiply it by ``numRead``;
    false charges ``flits x`` the model's one-flit ``transfer`` latency (at least one cycle
    per flit), true the model's own pipelined latency (``hops + flits - 1`` cycles).
``synchronous_clock`` (true)
    NeuroSim's synchronous mode (Param.cpp ``synchronous``) counts latencies in cycles of one
    clock whose period is the longest sub-array step (``ProcessingUnit.cpp``: ``clkPeriod =
    subArray->readLatency``; ``main.cpp``: ``clkFreq = 1 / clkPeriod``; 1.98 ns at 64 rows in
    [NS14R]); true counts every data-movement cycle (buffers, interconnects, adder trees) at
    that period, i.e. the array's row read plus one conversion (in seconds, not rounded to
    cimsim's clock). The arrays' own time stays the engine's (each step rounded to whole
    cycles of cimsim's clock).
``tile_receives_all_rows`` (true)
    the busiest tile receives every unrolled input row of its layer (NeuroSim's novel-mapping
    tile holds all kernel positions of a PE-sized channel block, which for VGG-8 covers the
    layer's rows); its outputs are the layer's outputs divided by the tiles of one copy.

Not modelled: pooling and activation units' latency (NeuroSim adds them, a few cycles per
output), the /4 on the global output traffic of layers followed by max pooling, the X-Y bus
scaling by tile rows and columns (``Chip.cpp GBus->CalculateLatency``); the chip interconnect
is cimsim's own model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from cimsim.architecture import Architecture
from cimsim.engine.sim import LayerTiming, TimingResult, Timeline, layer_timing
from cimsim.errors import CimsimError

#: The parts of a layer's serial latency, in the order NeuroSim adds them.
PARTS = ("compute", "accumulation", "pe_buffer", "pe_interconnect", "tile_buffer",
         "tile_interconnect", "chip_buffer", "chip_interconnect")


@dataclass(frozen=True)
class SerialParams:
    """The named assumptions of the serial accounting (see the module docstring)."""

    buffer_access_cycles: float = 0.5
    buffer_ports_from_bus: bool = True
    novel_input_reuse: bool = True
    interconnect_pipelined: bool = False
    synchronous_clock: bool = True
    tile_receives_all_rows: bool = True

    @classmethod
    def from_spec(cls, arch: Architecture) -> "SerialParams":
        given = dict(arch.spec.timing.params.model_extra or {})
        valid = {f.name for f in fields(cls)}
        for key in given:
            if key not in valid:
                raise CimsimError(
                    f"{arch.origins.root_file}: timing.params: unknown key '{key}'; the "
                    f"neurosim_serial accounting takes {', '.join(sorted(valid))}.")
        p = cls(**given)
        where = f"{arch.origins.root_file}: timing.params"
        c = p.buffer_access_cycles
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not c > 0:
            raise CimsimError(f"{where}.buffer_access_cycles: expected a positive number of clock "
                              f"cycles; found {c!r}.")
        for f in fields(cls):
            if f.type in ("bool", bool) and not isinstance(getattr(p, f.name), bool):
                raise CimsimError(f"{where}.{f.name}: expected true or false; found {getattr(p, f.name)!r}.")
        return p


@dataclass
class SerialLayerTiming(LayerTiming):
    """A layer's serial latency: ``parts`` (cycles) add to ``busy['serial']``."""

    parts: dict[str, float] = field(default_factory=dict)

    @property
    def bound(self) -> str:
        return max(self.parts, key=self.parts.get) if self.parts else "compute"


def _buffer_cycles(arch: Architecture, level: str, bits: float, p: SerialParams) -> float:
    """Register-file lines read and written for ``bits`` (half read, half written, as NeuroSim's
    ``CalculateLatency(w, n/w/2, w, n/w/2)``) x cycles per access / parallel lines."""
    buf = arch.get(level, "buffer")
    if buf is None or bits <= 0:
        return 0.0
    width = buf.model.width_bits
    ports = 1
    link = arch.get(level, "interconnect")
    if p.buffer_ports_from_bus and link is not None:
        ports = max(1, math.ceil(link.model.width_bits / width))
    return bits / width * p.buffer_access_cycles / ports


def _link_cycles(arch: Architecture, level: str, bits: float, p: SerialParams) -> float:
    link = arch.get(level, "interconnect")
    if link is None or bits <= 0:
        return 0.0
    m = link.model
    if p.interconnect_pipelined:
        return m.transfer(int(math.ceil(bits))).latency_s * arch.clock_Hz
    flit = max(1.0, m.transfer(m.width_bits).latency_s * arch.clock_Hz)
    return math.ceil(bits / m.width_bits) * flit


def step_cycles(arch: Architecture) -> float:
    """NeuroSim's synchronous clock period in cimsim clock cycles: one row read plus one
    conversion (the sub-array step that sets ``clkPeriod`` in ``ProcessingUnit.cpp``), not
    rounded: NeuroSim's clock is that step itself (1.98 ns at 64 rows in [NS14R])."""
    return (arch.read_latency_s + arch.conversion_latency_s) * arch.clock_Hz


def layer_parts(arch: Architecture, layer, lm, activity: dict | None = None,
                params: SerialParams | None = None) -> tuple[LayerTiming, dict[str, float]]:
    """One layer's serial latency parts (cycles, per sample), and its engine service times."""
    p = params or SerialParams()
    lt = layer_timing(arch, layer, lm, activity)
    v = lt.vectors_per_sample
    bits = layer.input.bits
    dup = max(1, lm.duplicate)
    rows = sum(len(g.rows_kept) for g in lm.groups)
    group_rows = max((len(g.rows_kept) for g in lm.groups), default=0)
    outputs = max((len(g.cols_kept) for g in lm.groups), default=0)
    reuse = 1
    if (p.novel_input_reuse and arch.spec.mapping.conv_unroll == "novel" and layer.kind == "conv2d"
            and len(lm.groups) > 1):
        reuse = int(layer.kernel[-1])
    arrays_per_tile = arch.spec.chip.tiles.pes.count * arch.arrays.count
    tiles_per_copy = max(1, math.ceil(lm.arrays / dup / arrays_per_tile))
    tile = arch.get("tile", "accumulator")
    psum_bits = tile.model.bits if tile is not None else arch.arrays.accumulator_bits
    in_chip = rows * bits * v / reuse
    in_tile = in_chip if p.tile_receives_all_rows else in_chip / tiles_per_copy
    out_tile = math.ceil(outputs / tiles_per_copy) * psum_bits * v
    out_chip = outputs * bits * v
    in_pe = group_rows * bits * v
    pe_outputs = min(outputs, lm.weights_per_array_row * arch.arrays.count)
    pe = arch.get("pe", "accumulator")
    pe_psum = pe.model.bits if pe is not None else arch.arrays.accumulator_bits
    out_pe = pe_outputs * pe_psum * v
    clk = step_cycles(arch) if p.synchronous_clock else 1
    parts = {
        # SubArray/PE read latency over all bit-serial vectors, / speed-up (Tile.cpp)
        "compute": lt.lat["compute"] * v / dup,
        # tile adder tree, once per output vector, not divided by the copies (Tile.cpp)
        "accumulation": lt.ii["reduce"] * v * clk,
        # PE input and output buffers and buses, / speed-up (ProcessingUnit.cpp, Tile.cpp)
        "pe_buffer": _buffer_cycles(arch, "pe", in_pe + out_pe, p) * clk / dup,
        "pe_interconnect": (_link_cycles(arch, "pe", in_pe, p) + _link_cycles(arch, "pe", out_pe, p)) * clk / dup,
        # tile input and output buffers and H-tree, every vector (Tile.cpp)
        "tile_buffer": _buffer_cycles(arch, "tile", in_tile + out_tile, p) * clk,
        "tile_interconnect": _link_cycles(arch, "tile", in_tile + out_tile, p) * clk,
        # global buffer and bus (Chip.cpp ChipCalculatePerformance)
        "chip_buffer": _buffer_cycles(arch, "chip", in_chip + out_chip, p) * clk,
        "chip_interconnect": (_link_cycles(arch, "chip", in_chip, p) + _link_cycles(arch, "chip", out_chip, p)) * clk,
    }
    return lt, parts


def simulate_serial(arch: Architecture, trace, mapping, samples: int = 1, dataflow: str = "layer",
                    granularity: str = "row", timeline: Timeline | None = None,
                    activity: dict[str, dict] | None = None) -> TimingResult:
    """Layer latencies as NeuroSim adds them; layers run one after another (their latency adds
    up, ``main.cpp`` layer-by-layer), and in a pipeline the interval is the largest layer
    latency (``Report.build`` takes the largest ``busy`` value)."""
    p = SerialParams.from_spec(arch)
    activity = activity or {}
    layers: list[LayerTiming] = []
    t = 0
    for layer, lm in zip(trace.layers, mapping.layers):
        lt, parts = layer_parts(arch, layer, lm, activity.get(layer.name), p)
        cycles = max(1, math.ceil(sum(parts.values()) * samples - 1e-9))
        st = SerialLayerTiming(lt.name, lt.vectors_per_sample, lt.chunks, lt.ii, lt.lat, parts=parts)
        st.start, st.end = t, t + cycles
        st.busy = {"serial": cycles}
        if timeline is not None:
            timeline.add(f"{lt.name} / serial", lt.name, st.start, st.end, stage="serial",
                         **{f"{k}_cycles": round(v, 3) for k, v in parts.items()})
        t = st.end
        layers.append(st)
    return TimingResult(layers, t, len(layers), timeline, dataflow, granularity)
