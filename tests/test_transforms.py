"""Long's invariance transforms on small golden images (expected arrays written out by hand)."""

import math

import numpy as np
import pytest
import torch

from ntkrepro import transforms as T


def image(n: int) -> torch.Tensor:
    """1 x 1 x n x n with the distinct values 1..n² in reading order."""
    return torch.arange(1.0, n * n + 1, dtype=torch.float64).reshape(1, 1, n, n)


def test_shift_right_and_down_fill_zeros():
    x = image(4)
    assert torch.equal(
        T.shift(x, 1, 0)[0, 0],
        torch.tensor([[0, 1, 2, 3], [0, 5, 6, 7], [0, 9, 10, 11], [0, 13, 14, 15]], dtype=x.dtype),
    )
    assert torch.equal(
        T.shift(x, 0, 1)[0, 0],
        torch.tensor([[0, 0, 0, 0], [1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], dtype=x.dtype),
    )
    assert torch.equal(
        T.shift(x, -2, -1)[0, 0],
        torch.tensor([[7, 8, 0, 0], [11, 12, 0, 0], [15, 16, 0, 0], [0, 0, 0, 0]], dtype=x.dtype),
    )
    assert torch.equal(T.shift(x, 4, 0), torch.zeros_like(x))
    with pytest.raises(ValueError, match="whole pixels"):
        T.shift(x, 0.5, 0)


def test_rotation_is_counter_clockwise_as_displayed():
    x = image(5)
    expected = torch.tensor(
        [
            [5, 10, 15, 20, 25],  # the right column comes to the top
            [4, 9, 14, 19, 24],
            [3, 8, 13, 18, 23],
            [2, 7, 12, 17, 22],
            [1, 6, 11, 16, 21],
        ],
        dtype=x.dtype,
    )
    assert torch.equal(T.rotate(x, math.pi / 2)[0, 0], expected)
    clockwise = torch.tensor(
        [
            [21, 16, 11, 6, 1],  # the left column comes to the top
            [22, 17, 12, 7, 2],
            [23, 18, 13, 8, 3],
            [24, 19, 14, 9, 4],
            [25, 20, 15, 10, 5],
        ],
        dtype=x.dtype,
    )
    assert torch.equal(T.rotate(x, -math.pi / 2)[0, 0], clockwise)


def test_rotation_by_a_quarter_radian_golden():
    # by hand: the output pixel at offset (u, v) from the centre (2, 2), u right and v down, takes the
    # nearest pixel to (u cos θ − v sin θ, u sin θ + v cos θ), zero outside; θ = 0.25
    expected = np.array(
        [
            [2, 3, 3, 4, 10],
            [6, 7, 8, 9, 15],
            [11, 12, 13, 14, 15],
            [11, 17, 18, 19, 20],
            [16, 22, 23, 23, 24],
        ]
    )
    assert np.array_equal(T.rotate(image(5), 0.25)[0, 0].numpy(), expected)
    assert np.array_equal(T.rotate(image(5), -0.25)[0, 0].numpy(), nearest_rotation(image(5)[0, 0].numpy(), -0.25))


def nearest_rotation(a: np.ndarray, theta: float) -> np.ndarray:
    """Counter-clockwise rotation by inverse mapping with nearest neighbour: an independent reference."""
    n = len(a)
    c = (n - 1) / 2
    out = np.zeros_like(a)
    for r in range(n):
        for col in range(n):
            u, v = col - c, r - c
            src_c = np.rint(u * math.cos(theta) - v * math.sin(theta) + c).astype(int)
            src_r = np.rint(u * math.sin(theta) + v * math.cos(theta) + c).astype(int)
            if 0 <= src_r < n and 0 <= src_c < n:
                out[r, col] = a[src_r, src_c]
    return out


def test_rotation_matches_the_reference_on_a_larger_batch():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 9, 9, generator=g, dtype=torch.float64)
    for theta in (0.25, -0.25, 1.0):
        ref = np.stack([[nearest_rotation(c, theta) for c in img] for img in x.numpy()])
        assert np.array_equal(T.rotate(x, theta).numpy(), ref)


def test_zoom_crops_a_border_and_resizes_bilinearly():
    # crop of 1 px leaves [[6, 7], [10, 11]]; half-pixel centres put the output rows (and columns)
    # at source positions -0.25, 0.25, 0.75, 1.25, clamped at the edges: weights 1, 3/4, 1/4, 0
    expected = torch.tensor(
        [
            [6.0, 6.25, 6.75, 7.0],
            [7.0, 7.25, 7.75, 8.0],
            [9.0, 9.25, 9.75, 10.0],
            [10.0, 10.25, 10.75, 11.0],
        ],
        dtype=torch.float64,
    )
    assert torch.allclose(T.zoom(image(4))[0, 0], expected, rtol=0, atol=1e-12)
    assert T.zoom(torch.zeros(3, 1, 28, 28)).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="border"):
        T.zoom(image(4), border=2)


def test_swap_exchanges_upper_left_and_lower_right_quadrants():
    expected = torch.tensor(
        [[11, 12, 3, 4], [15, 16, 7, 8], [9, 10, 1, 2], [13, 14, 5, 6]],
        dtype=torch.float64,
    )
    x = image(4)
    assert torch.equal(T.swap_quadrants(x)[0, 0], expected)
    assert torch.equal(x[0, 0, 0, 0], torch.tensor(1.0, dtype=torch.float64))  # input untouched
    with pytest.raises(ValueError, match="even"):
        T.swap_quadrants(image(5))


def test_registry_lists_long_s_four_families():
    x = image(6)
    assert set(T.TRANSFORMS) == {"shift", "rotation", "zoom", "swap"}
    batches = {name: family(x) for name, family in T.TRANSFORMS.items()}
    assert [len(b) for b in batches.values()] == [2, 2, 1, 1]
    assert torch.equal(batches["shift"][0], T.shift(x, 1, 0)) and torch.equal(batches["shift"][1], T.shift(x, 0, 1))
    assert torch.equal(batches["rotation"][0], T.rotate(x, 0.25))
    assert torch.equal(batches["rotation"][1], T.rotate(x, -0.25))
    assert torch.equal(batches["zoom"][0], T.zoom(x, 1)) and torch.equal(batches["swap"][0], T.swap_quadrants(x))
