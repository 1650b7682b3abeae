"""A pure-Python reference of docs/convolution.md, written from the document alone.

Accumulate exactly (Python ints), read the sum modulo 2^64 as a two's complement Int64 (bias
included), then for ``requantized``: round half up by ``shift`` bits, exactly, and saturate to the
precision. ``raw`` returns the Int64 accumulators.
"""

BITS = {"int8": 8, "int16": 16, "int32": 32}


def wrap_int64(v):
    """``v`` modulo 2^64, read as a two's complement Int64."""
    return ((v + (1 << 63)) % (1 << 64)) - (1 << 63)


def round_shift(a, s):
    """round_s(a) = floor((a + 2^(s-1)) / 2^s), exactly; round_0(a) = a."""
    if s == 0:
        return a
    return (a + (1 << (s - 1))) >> s  # Python ints do not wrap; >> floors


def saturate(v, bits):
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return lo if v < lo else hi if v > hi else v


def output_size(size, k, stride, padding):
    pad = (k - 1) // 2 if padding == "same" else 0
    return (size + 2 * pad - k) // stride + 1


def conv_reference(x_shape, x, w_shape, w, precision, bias=None, shift=0, stride=1,
                   padding="same", output="requantized"):
    """(output shape, flat output values) of the convolution docs/convolution.md defines.

    ``x`` and ``w`` are flat row-major NCHW / [Cout, Cin, K, K] lists.
    """
    n, cin, h, wd = x_shape
    cout, cin_w, k, k2 = w_shape
    assert cin == cin_w and k == k2, "shapes do not match"
    assert padding in ("same", "valid") and stride in (1, 2)
    bits = BITS[precision]
    pad = (k - 1) // 2 if padding == "same" else 0
    hout = output_size(h, k, stride, padding)
    wout = output_size(wd, k, stride, padding)
    bias = list(bias) if bias is not None else [0] * cout
    out = []
    for b in range(n):
        for co in range(cout):
            for oy in range(hout):
                for ox in range(wout):
                    acc = bias[co]
                    for ci in range(cin):
                        for ky in range(k):
                            row = oy * stride + ky - pad
                            if row < 0 or row >= h:
                                continue
                            for kx in range(k):
                                col = ox * stride + kx - pad
                                if col < 0 or col >= wd:
                                    continue
                                acc += (x[((b * cin + ci) * h + row) * wd + col]
                                        * w[((co * cin + ci) * k + ky) * k + kx])
                    acc = wrap_int64(acc)
                    if output == "raw":
                        out.append(acc)
                    else:
                        out.append(saturate(round_shift(acc, shift), bits))
    return [n, cout, hout, wout], out
