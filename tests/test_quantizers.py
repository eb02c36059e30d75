"""Each quantizer, mixed-precision rule and pruning mask against hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from cimsim.errors import CimsimError
from cimsim.trace import quantizers as Q
from cimsim.trace.recipes import RECIPES, QuantRecipe, get_recipe, with_bits


def test_wage_fixed_point():
    # k = 3: sigma = 2^(1-3) = 0.25, codes in [-3, 3], x clipped to (-1, 1)
    x = np.array([0.3, -0.6, 0.9, -1.5, 0.125, 0.0])
    q = Q.wage(x, 3)
    # x / sigma = 1.2, -2.4, 3.6, -6, 0.5 (ties to even -> 0), 0
    assert q.values.tolist() == [1, -2, 3, -3, 0, 0]
    assert q.scale.tolist() == [0.25] and q.zero_point.tolist() == [0]
    assert np.allclose(q.dequantize(), [0.25, -0.5, 0.75, -0.75, 0.0, 0.0])
    assert q.signed and q.bits == 3 and q.clipped == 2  # 0.9 -> 0.75 and -1.5 -> -0.75
    # Q(x, 8) = round(x * 128) / 128
    x8 = np.array([0.5, -0.2, 0.99])
    assert Q.wage(x8, 8).values.tolist() == [64, -26, 127]  # 0.99*128 = 126.7 -> 127 (= 1 - 2^-7)
    # after a ReLU nothing is negative: reported unsigned, codes 0..2^(k-1)-1
    assert not Q.wage(np.array([0.0, 0.4]), 4).signed


def test_dynamic_fixed_point_rule():
    # FL = B - 1 - ceil(log2 max|x|)
    assert Q.dfp_fractional_length(0.75, 8) == 7       # ceil(log2 0.75) = 0
    assert Q.dfp_fractional_length(3.2, 8) == 5        # ceil(log2 3.2) = 2
    assert Q.dfp_fractional_length(0.1, 8) == 10       # ceil(log2 0.1) = -3
    assert Q.dfp_fractional_length(5.0, 4, signed=False) == 1  # B - ceil(log2 5) = 4 - 3
    q = Q.dfp(np.array([0.75, -0.3, 0.1]), 8)
    assert q.scale.tolist() == [2.0**-7]
    assert q.values.tolist() == [96, -38, 13]          # 96, -38.4, 12.8
    q = Q.dfp(np.array([3.2, -1.0]), 8)
    assert q.scale.tolist() == [2.0**-5] and q.values.tolist() == [102, -32]
    q = Q.dfp(np.array([0.0, 5.0, 2.5]), 4)            # unsigned: all 4 bits for magnitude
    assert not q.signed and q.scale.tolist() == [0.5] and q.values.tolist() == [0, 10, 5]
    # small values get a finer power-of-two step than a fixed point would
    assert Q.dfp(np.array([0.01, -0.02]), 8).scale[0] == 2.0**-12  # FL = 7 - ceil(log2 .02) = 7+5
    # an exact power-of-two maximum clips by one step (Ristretto's rule as published)
    q = Q.dfp(np.array([4.0, 1.0]), 8, signed=True)
    assert q.values.tolist() == [127, 32] and q.clipped == 1
    q = Q.dfp(np.array([4.0, 1.0]), 8)  # unsigned: FL = 8 - 2, 4 * 64 = 256 -> 255
    assert q.values.tolist() == [255, 64] and q.clipped == 1


def test_symmetric_per_tensor_and_per_channel():
    # 4-bit signed: qmax = 7; max|x| = 1.75 -> scale 0.25
    q = Q.symmetric(np.array([-1.75, 1.0, 0.3, -0.1]), 4, signed=True)
    assert q.scale.tolist() == [0.25] and q.values.tolist() == [-7, 4, 1, 0]
    assert q.granularity == "per_tensor" and q.max_error == pytest.approx(0.1)
    # per output channel: scales 1.4/7 = 0.2 and 0.07/7 = 0.01
    w = np.array([[1.4, -0.6], [0.07, -0.03]])
    q = Q.symmetric(w, 4, signed=True, axis=0)
    assert np.allclose(q.scale, [0.2, 0.01]) and q.values.tolist() == [[7, -3], [7, -3]]
    assert q.granularity == "per_channel"
    # unsigned (after ReLU), 2 bits: qmax = 3, scale = 3.0 / 3
    q = Q.symmetric(np.array([0.0, 1.2, 3.0]), 2, signed=False)
    assert q.scale.tolist() == [1.0] and q.values.tolist() == [0, 1, 3] and not q.signed
    # signed=None decides from the data
    assert not Q.symmetric(np.array([0.0, 2.0]), 8).signed
    assert Q.symmetric(np.array([-0.1, 2.0]), 8).signed
    # an all-zero tensor gets a positive scale and zero codes
    q = Q.symmetric(np.zeros(3), 8, signed=True)
    assert q.scale[0] > 0 and not q.values.any()


def test_asymmetric_with_zero_point():
    # 2 bits: levels 0..3; range [-1, 2] -> scale 1, zero point 1
    q = Q.asymmetric(np.array([-1.0, 0.0, 2.0, 0.6]), 2)
    assert q.scale.tolist() == [1.0] and q.zero_point.tolist() == [1]
    assert q.values.tolist() == [0, 1, 3, 2] and not q.signed
    assert np.allclose(q.dequantize(), [-1, 0, 2, 1])
    # all positive: the range is widened to include 0, so 0 is exact (zero point 0)
    q = Q.asymmetric(np.array([0.5, 2.0]), 2)
    assert q.zero_point.tolist() == [0] and q.scale[0] == pytest.approx(2 / 3)
    assert q.values.tolist() == [1, 3]
    # per channel
    q = Q.asymmetric(np.array([[-1.0, 2.0], [0.0, 0.3]]), 2, axis=0)
    assert np.allclose(q.scale, [1.0, 0.1]) and q.zero_point.tolist() == [1, 0]
    assert q.values.tolist() == [[0, 3], [0, 3]]


def test_filter_wise_mixed_precision():
    w = np.array([[1.27, -0.5], [0.7, 0.33]])
    q = Q.symmetric(w, np.array([8, 4]), signed=True, axis=0)
    # scales: 1.27/127 = 0.01 and 0.7/7 = 0.1
    assert np.allclose(q.scale, [0.01, 0.1])
    assert q.values.tolist() == [[127, -50], [7, 3]]
    assert q.bits == 8 and q.bits_map.tolist() == [8, 4] and q.bits_granularity == "per_channel"


def test_rank_bits_and_sensitivity():
    assert Q.rank_bits(np.array([0.1, 0.5, 0.3, 0.2]), 8, 4, 0.5).tolist() == [4, 8, 8, 4]
    assert Q.rank_bits(np.array([0.1, 0.5]), 8, 4, 0.0).tolist() == [4, 4]
    # relative squared error per filter at 2 bits (qmax 1): [1, .5] -> [1, 0] loses .25 of 1.25;
    # [.3, -.3] is exact
    s = Q.filter_sensitivity(np.array([[1.0, 0.5], [0.3, -0.3]]), 2)
    assert np.allclose(s, [0.2, 0.0])


def test_array_wise_mixed_precision():
    # linear weight [out=3, in=4]; unrolled matrix [rows=4, cols=3]; 2x2 arrays -> grid 2x2
    w = np.array([[0.7, -0.1, 3.0, 0.5],
                  [0.2, 0.35, -1.5, 0.25],
                  [-8.0, 1.0, 0.4, 0.2]])
    bits = np.array([[4, 2], [3, 4]])
    q = Q.per_array_symmetric(w, bits, (2, 2))
    # block (0,0): rows 0-1 (in 0,1), cols 0-1 (out 0,1): max 0.7, qmax 7 -> 0.1
    # block (0,1): rows 0-1, col 2: max 8.0, 2 bits qmax 1 -> 8.0
    # block (1,0): rows 2-3, cols 0-1: max 3.0, 3 bits qmax 3 -> 1.0
    # block (1,1): rows 2-3, col 2: max 0.4, qmax 7 -> 0.4/7
    assert np.allclose(q.scale, [[0.1, 8.0], [1.0, 0.4 / 7]])
    assert q.values.tolist() == [[7, -1, 3, 0], [2, 4, -2, 0], [-1, 0, 7, 4]]
    assert q.granularity == "per_array" and q.bits_map.tolist() == [[4, 2], [3, 4]]
    with pytest.raises(CimsimError, match=r"should have shape \[2, 2\]"):
        Q.per_array_symmetric(w, np.array([[4, 4, 4]]), (2, 2))


def test_pruning_masks():
    # filters with L1 norms 3, 1, 2, 4: pruning half removes filters 1 and 2
    w = np.zeros((4, 2, 1, 1))
    w[:, 0, 0, 0] = [3, -1, 2, -4]
    assert Q.filter_mask(w, 0.5).tolist() == [True, False, False, True]
    # input channels with L1 norms 6 and 0.5: prune the second
    w2 = np.zeros((2, 2, 1, 1))
    w2[:, 0] = 3
    w2[:, 1] = 0.25
    assert Q.channel_mask(w2, 0.5).tolist() == [True, False]
    # 4x4 unrolled matrix in 2x2 blocks with mean |w| 1, 0.1, 2, 0.5: prune the two smallest
    wl = np.zeros((4, 4))  # linear [out, in]: matrix = wl.T
    m = np.array([[1, 1, 0.1, 0.1], [1, 1, 0.1, 0.1], [2, 2, 0.5, 0.5], [2, 2, 0.5, 0.5]])
    wl[:] = m.T
    assert Q.block_mask(wl, 0.5, (2, 2)).tolist() == [[True, False], [True, False]]
    full = Q.expand_mask(wl.shape, np.array([[True, False], [True, False]]), "block", (2, 2))
    assert full.tolist() == (m.T >= 1).tolist()
    # at least one group always survives
    assert Q.filter_mask(np.ones((1, 3)), 0.9).tolist() == [True]
    with pytest.raises(CimsimError, match="pruning ratio"):
        Q.filter_mask(w, 1.0)


def test_quantize_with_frozen_parameters_clips_and_counts():
    ref = Q.symmetric(np.array([0.0, 1.0]), 4, signed=False)  # scale 1/15
    q = Q.quantize_with(np.array([0.5, 2.0, -1.0]), ref)
    assert q.values.tolist() == [8, 15, 0] and q.clipped == 2  # 7.5 -> 8 (ties to even)


def test_dispatch_errors():
    with pytest.raises(CimsimError, match="unknown quantizer"):
        Q.quantize(np.ones(2), "log2", 8)
    with pytest.raises(CimsimError, match="fixed scale"):
        Q.quantize(np.ones((2, 2)), "wage", 8, "per_channel")
    with pytest.raises(CimsimError, match="bit width"):
        Q.symmetric(np.ones(2), 1)


def test_recipes_are_named_sourced_and_serialisable():
    for name, r in RECIPES.items():
        assert r.name == name and r.source and r.description
        assert QuantRecipe.from_dict(r.to_dict()).to_dict() == r.to_dict()
    r = get_recipe("int8:wbits=6,abits=4")
    assert r.weight.bits == 6 and r.activation.bits == 4 and r.dynamic.bits == 4
    assert with_bits(get_recipe("dfp8"), 5, None).weight.bits == 5
    with pytest.raises(CimsimError, match="unknown quantization recipe 'int3'"):
        get_recipe("int3")
    with pytest.raises(CimsimError, match="unknown keys"):
        get_recipe({"name": "x", "wieght": {}})
    with pytest.raises(CimsimError, match="per tensor"):
        get_recipe({"weight": {"method": "dfp", "bits": 8, "granularity": "per_channel"}})


def test_recipe_from_json_file(tmp_path):
    p = tmp_path / "r.json"
    p.write_text('{"base": "int8", "weight": {"bits": 5}, "weight_bits": {"fc": [8, 4]}}')
    r = get_recipe(str(p))
    assert r.weight.bits == 5 and r.weight.granularity == "per_channel"
    assert r.weight_bits == {"fc": [8, 4]}
