"""Named quantization recipes: which quantizer, bit width and granularity each tensor gets.

A :class:`QuantRecipe` says how the exporter quantizes static weights, input activations and
the dynamic operands of attention matmuls, plus optional mixed-precision maps, structured
pruning and a partial-sum (read-out) quantizer. Recipes are plain data: they serialise to JSON
(``QuantRecipe.to_dict``) and are recorded in every trace's provenance. Named recipes are in
:data:`RECIPES`; :func:`get_recipe` also accepts a JSON file or a dict, and ``name:key=value``
overrides such as ``int8:wbits=6,abits=6``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from cimsim.errors import CimsimError
from cimsim.trace.quantizers import METHODS

GRANS = ("per_tensor", "per_channel", "per_array")


@dataclass(frozen=True)
class TensorSpec:
    """How one kind of tensor is quantized.

    ``signed``: ``None`` decides per tensor from the calibration data (unsigned when no value
    is negative, as after a ReLU); ``True``/``False`` force it.
    """

    method: str = "symmetric"
    bits: int = 8
    granularity: str = "per_tensor"
    signed: bool | None = None

    def check(self, what: str) -> None:
        if self.method not in METHODS:
            raise CimsimError(f"quantization recipe, {what}: method should be one of {list(METHODS)}, "
                              f"found '{self.method}'")
        if self.granularity not in GRANS:
            raise CimsimError(f"quantization recipe, {what}: granularity should be one of "
                              f"{list(GRANS)}, found '{self.granularity}'")
        if not isinstance(self.bits, int) or not 2 <= self.bits <= 16:
            raise CimsimError(f"quantization recipe, {what}: bits should be an integer from 2 to 16, "
                              f"found {self.bits!r}")


@dataclass(frozen=True)
class QuantRecipe:
    """A complete quantization recipe (see the module docstring).

    ``mixed``: ``{"kind": "filter"|"array", "high_bits", "low_bits", "high_fraction"}`` chooses
    a bit width per filter or per crossbar block by error ranking, for layers without an
    explicit map in ``weight_bits`` (``{layer name: int | [per filter] | [[per array]]}``).
    ``keep_first_last``: the first and last layers keep ``weight.bits`` under ``mixed`` and are
    not pruned. ``prune``: ``{"kind": "filter"|"channel"|"block", "ratio", "block": [r, c]}``.
    ``psum``: a partial-sum quantizer spec (see :mod:`cimsim.trace.psum`).
    """

    name: str
    weight: TensorSpec = TensorSpec("symmetric", 8, "per_channel", True)
    activation: TensorSpec = TensorSpec("symmetric", 8, "per_tensor", None)
    dynamic: TensorSpec = TensorSpec("symmetric", 8, "per_tensor", None)
    array_shape: tuple[int, int] = (128, 128)
    weight_bits: dict[str, Any] = field(default_factory=dict)
    mixed: dict[str, Any] | None = None
    keep_first_last: bool = True
    prune: dict[str, Any] | None = None
    psum: dict[str, Any] | None = None
    source: str = ""
    description: str = ""

    def check(self) -> "QuantRecipe":
        self.weight.check("weight")
        self.activation.check("activation")
        self.dynamic.check("dynamic")
        if self.activation.granularity != "per_tensor" or self.dynamic.granularity != "per_tensor":
            raise CimsimError("quantization recipe: activations and dynamic operands are quantized "
                              "per tensor; per_channel and per_array apply to weights only")
        if self.weight.method in ("wage", "dfp") and self.weight.granularity != "per_tensor":
            raise CimsimError(f"quantization recipe: weight method '{self.weight.method}' is per "
                              f"tensor, found granularity '{self.weight.granularity}'")
        if len(self.array_shape) != 2 or min(self.array_shape) < 1:
            raise CimsimError(f"quantization recipe: array_shape should be [rows, cols], found "
                              f"{self.array_shape}")
        if self.mixed is not None:
            kind = self.mixed.get("kind")
            if kind not in ("filter", "array"):
                raise CimsimError(f"quantization recipe: mixed.kind should be 'filter' or 'array', "
                                  f"found {kind!r}")
            for k in ("high_bits", "low_bits"):
                if not isinstance(self.mixed.get(k), int) or not 2 <= self.mixed[k] <= self.weight.bits:
                    raise CimsimError(f"quantization recipe: mixed.{k} should be an integer from 2 to "
                                      f"weight.bits={self.weight.bits}, found {self.mixed.get(k)!r}")
            hf = self.mixed.get("high_fraction", 0.5)
            if not 0 <= hf <= 1:
                raise CimsimError(f"quantization recipe: mixed.high_fraction should be in [0, 1], found {hf}")
        if self.prune is not None:
            if self.prune.get("kind") not in ("filter", "channel", "block"):
                raise CimsimError("quantization recipe: prune.kind should be filter, channel or block, "
                                  f"found {self.prune.get('kind')!r}")
            r = self.prune.get("ratio", 0.0)
            if not isinstance(r, (int, float)) or not 0 <= r < 1:
                raise CimsimError(f"quantization recipe: prune.ratio should be in [0, 1), found {r!r}")
        if self.psum is not None:
            from cimsim.trace.psum import check_spec

            check_spec(self.psum)
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["array_shape"] = list(self.array_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "QuantRecipe":
        d = dict(d)
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise CimsimError(f"quantization recipe: unknown keys {sorted(unknown)}; expected some of "
                              f"{sorted(known)}")
        for k in ("weight", "activation", "dynamic"):
            if k in d and isinstance(d[k], dict):
                try:
                    d[k] = TensorSpec(**d[k])
                except TypeError as exc:
                    raise CimsimError(f"quantization recipe, {k}: {exc}") from None
        if "array_shape" in d:
            d["array_shape"] = tuple(d["array_shape"])
        if "name" not in d:
            d["name"] = "custom"
        return cls(**d).check()


_W_SYM_CH = TensorSpec("symmetric", 8, "per_channel", True)
_A_SYM = TensorSpec("symmetric", 8, "per_tensor", None)
_JACOB = ("Jacob et al., CVPR 2018 (integer-arithmetic-only inference); Krishnamoorthi, "
          "arXiv 1806.08342, 2018")

RECIPES: dict[str, QuantRecipe] = {
    r.name: r
    for r in [
        QuantRecipe("int8", _W_SYM_CH, _A_SYM, _A_SYM, source=_JACOB,
                    description="8-bit symmetric: weights per output channel, activations per tensor "
                                "(unsigned after ReLU)"),
        QuantRecipe("int8-per-tensor", TensorSpec("symmetric", 8, "per_tensor", True), _A_SYM, _A_SYM,
                    source=_JACOB, description="8-bit symmetric, one scale per weight tensor"),
        QuantRecipe("int4", TensorSpec("symmetric", 4, "per_channel", True),
                    TensorSpec("symmetric", 4, "per_tensor", None),
                    TensorSpec("symmetric", 4, "per_tensor", None), source=_JACOB,
                    description="4-bit weights and activations, symmetric"),
        QuantRecipe("asym8", TensorSpec("asymmetric", 8, "per_channel"),
                    TensorSpec("asymmetric", 8, "per_tensor"), TensorSpec("asymmetric", 8, "per_tensor"),
                    source=_JACOB, description="8-bit asymmetric (affine, zero points) per channel / "
                                               "per tensor; weights stored as shifted unsigned codes"),
        QuantRecipe("wage8", TensorSpec("wage", 8, "per_tensor", True), TensorSpec("wage", 8),
                    TensorSpec("wage", 8), source="Wu et al., ICLR 2018 (WAGE); DNN+NeuroSim; Huang, "
                    "Jiang, Yu, ACM TODAES 28(3) 2022",
                    description="WAGE fixed point, fixed scale 2^-7, values clipped to (-1, 1)"),
        QuantRecipe("dfp8", TensorSpec("dfp", 8, "per_tensor", True), TensorSpec("dfp", 8),
                    TensorSpec("dfp", 8), source="Gysel et al., IEEE TNNLS 2018 (Ristretto); Huang, "
                    "Jiang, Yu, ACM TODAES 28(3) 2022",
                    description="dynamic fixed point, power-of-two scale per layer and tensor"),
        QuantRecipe("filter-mixed", _W_SYM_CH, _A_SYM, _A_SYM,
                    mixed={"kind": "filter", "high_bits": 8, "low_bits": 4, "high_fraction": 0.5},
                    source="Chen et al., SUN, IEEE TCAD 43(7) 2024",
                    description="filter-wise mixed precision: the half of the filters most hurt by "
                                "4 bits keep 8 bits"),
        QuantRecipe("array-mixed", TensorSpec("symmetric", 8, "per_array", True), _A_SYM, _A_SYM,
                    mixed={"kind": "array", "high_bits": 8, "low_bits": 4, "high_fraction": 0.5},
                    source="Sun et al., CIM²PQ, IEEE TCAD 43(7) 2024 (map by error ranking here, "
                           "not the paper's evolutionary search)",
                    description="array-wise mixed precision: a bit width and scale per 128x128 block"),
        QuantRecipe("prune-filter", _W_SYM_CH, _A_SYM, _A_SYM,
                    prune={"kind": "filter", "ratio": 0.25},
                    source="Li et al., ICLR 2017 (L1 filter pruning); " + _JACOB,
                    description="int8 with 25 % of filters pruned by L1 norm (no fine-tuning)"),
        QuantRecipe("prune-channel", _W_SYM_CH, _A_SYM, _A_SYM,
                    prune={"kind": "channel", "ratio": 0.25},
                    source="He et al., ICCV 2017 (channel pruning; L1 criterion here)",
                    description="int8 with 25 % of input channels pruned by L1 norm"),
        QuantRecipe("prune-block", _W_SYM_CH, _A_SYM, _A_SYM,
                    prune={"kind": "block", "ratio": 0.25, "block": [32, 32]},
                    source="Chen et al., SUN, IEEE TCAD 43(7) 2024 (structured block pruning)",
                    description="int8 with 25 % of 32x32 weight blocks pruned by mean |w|"),
        QuantRecipe("sun-mixed-pruned", _W_SYM_CH, _A_SYM, _A_SYM,
                    mixed={"kind": "filter", "high_bits": 8, "low_bits": 4, "high_fraction": 0.5},
                    prune={"kind": "filter", "ratio": 0.25},
                    source="Chen et al., SUN, IEEE TCAD 43(7) 2024 (mixed precision joint pruning; "
                           "L1 filter pruning, Li et al., ICLR 2017; no fine-tuning here)",
                    description="25 % of filters pruned by L1 norm, then filter-wise 8/4-bit: the "
                                "half of all filters with the largest relative 4-bit error keep 8 "
                                "bits (pruned filters have none); first and last layers int8"),
        QuantRecipe("hcim-ternary", _W_SYM_CH, _A_SYM, _A_SYM,
                    psum={"mode": "ternary", "granularity": "per_column", "cell_bits": 1,
                          "input_bits_per_cycle": 1, "encoding": "twos_complement"},
                    source="Negi et al., HCiM, arXiv 2403.13577 (ASP-DAC 2025)",
                    description="int8 with ternary (1.5-bit) partial sums per column, scale and "
                                "thresholds calibrated from the recorded partial sums"),
        QuantRecipe("cim2pq-psum", TensorSpec("symmetric", 8, "per_array", True), _A_SYM, _A_SYM,
                    psum={"mode": "adc", "bits": 4, "granularity": "per_array", "cell_bits": 1,
                          "input_bits_per_cycle": 1, "encoding": "twos_complement"},
                    source="Sun et al., CIM²PQ, IEEE TCAD 43(7) 2024",
                    description="per-array weights and a 4-bit clamped partial-sum quantizer per array"),
    ]
}

DEFAULT_RECIPE = "int8"

_SHORT_KEYS = {"wbits": ("weight", "bits"), "abits": ("activation", "bits"),
               "dbits": ("dynamic", "bits"), "wmethod": ("weight", "method"),
               "amethod": ("activation", "method"), "wgran": ("weight", "granularity")}


def list_recipes() -> list[tuple[str, str, str]]:
    return [(r.name, r.description, r.source) for r in RECIPES.values()]


def with_bits(recipe: QuantRecipe, wbits: int | None = None, abits: int | None = None) -> QuantRecipe:
    """A copy with other weight / activation (and dynamic-operand) bit widths."""
    if wbits is not None:
        recipe = replace(recipe, weight=replace(recipe.weight, bits=int(wbits)))
    if abits is not None:
        recipe = replace(recipe, activation=replace(recipe.activation, bits=int(abits)),
                         dynamic=replace(recipe.dynamic, bits=int(abits)))
    return recipe.check()


def _with_base(data: dict[str, Any]) -> dict[str, Any]:
    """Merge a recipe dict over its ``base`` recipe (a name), tensor specs key by key."""
    base = data.pop("base", None)
    if base is None:
        return data
    merged = get_recipe(base).to_dict()
    merged["name"] = f"{base}+custom"
    for k, v in data.items():
        if k in ("weight", "activation", "dynamic") and isinstance(v, dict):
            merged[k] = {**merged[k], **v}
        else:
            merged[k] = v
    return merged


def get_recipe(spec: str | dict | QuantRecipe | None) -> QuantRecipe:
    """A recipe from a name (``int8``, ``dfp8``, ...; ``name:wbits=6,abits=4`` overrides),
    a JSON file path, a dict, or a :class:`QuantRecipe`."""
    if spec is None:
        return RECIPES[DEFAULT_RECIPE]
    if isinstance(spec, QuantRecipe):
        return spec.check()
    if isinstance(spec, dict):
        return QuantRecipe.from_dict(_with_base(dict(spec)))
    spec = str(spec)
    if spec.endswith(".json") or Path(spec).is_file():
        try:
            data = json.loads(Path(spec).read_text())
        except (OSError, ValueError) as exc:
            raise CimsimError(f"quantization recipe file '{spec}' cannot be read as JSON ({exc})") from None
        if not isinstance(data, dict):
            raise CimsimError(f"quantization recipe file '{spec}' should hold a JSON object")
        if "name" not in data:
            data["name"] = Path(spec).stem
        return QuantRecipe.from_dict(_with_base(data))
    name, _, overrides = spec.partition(":")
    if name not in RECIPES:
        raise CimsimError(f"unknown quantization recipe '{name}'; known recipes: {sorted(RECIPES)} "
                          "(or give a JSON file)")
    recipe = RECIPES[name]
    if overrides:
        for item in overrides.split(","):
            key, eq, val = item.partition("=")
            if not eq or key.strip() not in _SHORT_KEYS:
                raise CimsimError(f"quantization recipe '{spec}': override '{item}' should be KEY=VALUE "
                                  f"with KEY one of {sorted(_SHORT_KEYS)}")
            part, attr = _SHORT_KEYS[key.strip()]
            val = val.strip()
            value: Any = int(val) if attr == "bits" else val
            recipe = replace(recipe, **{part: replace(getattr(recipe, part), **{attr: value})})
            if key.strip() == "abits":
                recipe = replace(recipe, dynamic=replace(recipe.dynamic, bits=int(val)))
        recipe = replace(recipe, name=spec)
    return recipe.check()
