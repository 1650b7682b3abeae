"""Tensors on the wire: shapes, flat values and the base64 of their little-endian bytes.

A tensor is accepted as

* nested lists (or tuples) of ints, e.g. NCHW ``[[[[1, 2], [3, 4]]]]``;
* a pair ``(shape, values)``: a shape and a flat sequence of ints in row-major order;
* a mapping ``{"shape": [...], "values": [...]}`` (or ``"data"`` instead of ``"values"``);
* a numpy array, when numpy happens to be installed (it is never required).

Everything here is the Python standard library; numpy is only looked at when the caller already
imported it (``sys.modules``), so passing lists never imports numpy.
"""

import array
import base64
import re
import struct
import sys

__all__ = [
    "PRECISIONS",
    "precision_of_module",
    "kernel_size_of_module",
    "canonical_module_name",
    "to_shape_and_values",
    "flatten",
    "unflatten",
    "encode",
    "decode",
    "tensor_dto",
    "is_numpy",
    "to_numpy",
    "integer",
]

# precision -> (struct code, bytes per element, min, max)
PRECISIONS = {
    "int8": ("b", 1, -(1 << 7), (1 << 7) - 1),
    "int16": ("h", 2, -(1 << 15), (1 << 15) - 1),
    "int32": ("i", 4, -(1 << 31), (1 << 31) - 1),
    "int64": ("q", 8, -(1 << 63), (1 << 63) - 1),
}

_MODULE_NAME = re.compile(r"^conv(\d+)x(\d+)_(?:int(8|16|32)|(8|16|32)bit)$")


def canonical_module_name(module):
    """``conv3x3_8bit`` -> ``conv3x3_int8``; a name of another form is returned lower-cased."""
    name = str(module).strip().lower()
    m = _MODULE_NAME.match(name)
    if not m:
        return name
    bits = m.group(3) or m.group(4)
    return "conv%sx%s_int%s" % (m.group(1), m.group(2), bits)


def precision_of_module(module):
    """The precision (``"int8"``, ``"int16"``, ``"int32"``) a module name implies, or None.

    Names and aliases are case-insensitive: ``conv3x3_int8``, ``CONV3X3_8BIT`` -> ``"int8"``.
    """
    m = _MODULE_NAME.match(str(module).strip().lower())
    if not m:
        return None
    return "int" + (m.group(3) or m.group(4))


def kernel_size_of_module(module):
    """The kernel size K a module name implies (``conv5x5_int16`` -> 5), or None."""
    m = _MODULE_NAME.match(str(module).strip().lower())
    if not m or m.group(1) != m.group(2):
        return None
    return int(m.group(1))


# ---------------------------------------------------------------------------------------------
# numpy, only when the caller has it


def _numpy():
    return sys.modules.get("numpy")


def is_numpy(value):
    """True when ``value`` is a numpy array (without importing numpy)."""
    np = _numpy()
    return np is not None and isinstance(value, np.ndarray)


def to_numpy(shape, values, precision):
    """A numpy array of ``shape`` and the dtype of ``precision`` (numpy must be importable)."""
    import numpy as np  # only called when the caller passed numpy in

    dtype = {"int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8"}[precision]
    return np.asarray(values, dtype=np.dtype(dtype)).reshape(tuple(shape))


# ---------------------------------------------------------------------------------------------
# shapes and flat values


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _int_of(v, where):
    if _is_int(v):
        return v
    # numpy integer scalars and other integral types
    if hasattr(v, "__index__") and not isinstance(v, (bool, float)):
        return v.__index__()
    raise TypeError("%s: expected an integer, found %r" % (where, v))


def integer(v, name):
    """``v`` as a Python int (ints and numpy integers); TypeError naming ``name`` for a bool, a
    float or anything else, so the JSON carries an integer number."""
    if isinstance(v, (bool, float)) or not hasattr(v, "__index__"):
        raise TypeError("%s: expected an integer, found %r" % (name, v))
    return v.__index__()


def _integer_array(a, name):
    if a.dtype.kind not in "iu":
        raise TypeError("%s: expected an integer numpy array, found dtype %s" % (name, a.dtype))


def flatten(nested):
    """(shape, flat values) of a regular nested list of ints.

    Raises ValueError for a ragged list (rows of different lengths) and TypeError for a non-int.
    """
    if not isinstance(nested, (list, tuple)):
        raise TypeError("expected nested lists of integers, found %r" % type(nested).__name__)
    shape = []
    level = nested
    while isinstance(level, (list, tuple)):
        shape.append(len(level))
        if len(level) == 0:
            break
        level = level[0]
    values = []

    def walk(node, depth, index):
        if depth == len(shape):
            values.append(_int_of(node, "element %s" % list(index)))
            return
        if not isinstance(node, (list, tuple)):
            raise ValueError("ragged tensor: element %s is not a list (expected %d dimensions)"
                             % (list(index), len(shape)))
        if len(node) != shape[depth]:
            raise ValueError("ragged tensor: dimension %d at %s has %d elements, expected %d"
                             % (depth, list(index), len(node), shape[depth]))
        for i, child in enumerate(node):
            walk(child, depth + 1, index + (i,))

    walk(nested, 0, ())
    return shape, values


def _product(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _looks_like_shape(v):
    return isinstance(v, (list, tuple)) and all(_is_int(d) for d in v) and len(v) > 0


def _looks_like_flat(v):
    if isinstance(v, (bytes, bytearray, memoryview, array.array)):
        return True
    if is_numpy(v):
        return v.ndim == 1
    return isinstance(v, (list, tuple)) and all(not isinstance(x, (list, tuple)) for x in v)


def to_shape_and_values(tensor, name="tensor"):
    """(shape, flat list of ints) of any accepted form of a tensor (see the module's doc)."""
    if is_numpy(tensor):
        _integer_array(tensor, name)
        return [int(d) for d in tensor.shape], [int(x) for x in tensor.reshape(-1).tolist()]
    if isinstance(tensor, dict):
        shape = tensor.get("shape")
        values = tensor.get("values", tensor.get("data"))
        if shape is None or values is None:
            raise ValueError("%s: a mapping needs 'shape' and 'values'" % name)
        return _checked_pair(shape, values, name)
    if (isinstance(tensor, tuple) and len(tensor) == 2 and _looks_like_shape(tensor[0])
            and _looks_like_flat(tensor[1])):
        return _checked_pair(tensor[0], tensor[1], name)
    try:
        return flatten(tensor)
    except (TypeError, ValueError) as e:
        raise type(e)("%s: %s" % (name, e)) from None


def _checked_pair(shape, values, name):
    shape = [_int_of(d, "%s.shape" % name) for d in shape]
    if is_numpy(values):
        _integer_array(values, name)
        values = values.reshape(-1).tolist()
    values = [_int_of(v, "%s[%d]" % (name, i)) for i, v in enumerate(values)]
    if len(values) != _product(shape):
        raise ValueError("%s: shape %s holds %d values, found %d"
                         % (name, shape, _product(shape), len(values)))
    return shape, values


def unflatten(shape, values):
    """Nested lists of ``shape`` from row-major flat ``values``."""
    shape = list(shape)
    if _product(shape) != len(values):
        raise ValueError("shape %s holds %d values, found %d" % (shape, _product(shape), len(values)))
    if not shape:
        return values[0] if values else None
    values = list(values)

    def build(offset, depth):
        n = shape[depth]
        if depth == len(shape) - 1:
            return values[offset:offset + n], offset + n
        out = []
        for _ in range(n):
            child, offset = build(offset, depth + 1)
            out.append(child)
        return out, offset

    return build(0, 0)[0]


# ---------------------------------------------------------------------------------------------
# bytes


def _array_code(precision):
    """An ``array`` type code whose item size is the precision's, or None."""
    code, size = PRECISIONS[precision][0], PRECISIONS[precision][1]
    for candidate in ({"b": "b", "h": "h", "i": "il", "q": "qlq"}[code]):
        if array.array(candidate).itemsize == size:
            return candidate
    return None


def encode(values, precision, name="tensor"):
    """The little-endian bytes of ``values`` as signed ``precision`` integers.

    Raises ValueError naming the index of the first value outside the precision's range.
    """
    if precision not in PRECISIONS:
        raise ValueError("unknown precision %r (expected one of %s)" % (precision, ", ".join(PRECISIONS)))
    code, size, lo, hi = PRECISIONS[precision]
    values = list(values)
    for i, v in enumerate(values):
        if not (lo <= v <= hi):
            raise ValueError("%s[%d] = %d is outside %s (%d..%d)" % (name, i, v, precision, lo, hi))
    acode = _array_code(precision)
    if acode is not None:
        a = array.array(acode, values)
        if sys.byteorder == "big":
            a.byteswap()
        return a.tobytes()
    return struct.pack("<%d%s" % (len(values), code), *values)


def decode(data, precision):
    """The flat list of signed ``precision`` integers in little-endian ``data`` (bytes or base64)."""
    if isinstance(data, str):
        data = base64.b64decode(data, validate=True)
    if precision not in PRECISIONS:
        raise ValueError("unknown precision %r (expected one of %s)" % (precision, ", ".join(PRECISIONS)))
    code, size = PRECISIONS[precision][0], PRECISIONS[precision][1]
    if len(data) % size:
        raise ValueError("%d bytes are not a whole number of %s values" % (len(data), precision))
    acode = _array_code(precision)
    if acode is not None:
        a = array.array(acode)
        a.frombytes(bytes(data))
        if sys.byteorder == "big":
            a.byteswap()
        return a.tolist()
    return list(struct.unpack("<%d%s" % (len(data) // size, code), data))


def tensor_dto(tensor, precision, name="tensor"):
    """The API's ``{"shape", "data"}`` of a tensor in any accepted form."""
    shape, values = to_shape_and_values(tensor, name)
    return {"shape": shape, "data": base64.b64encode(encode(values, precision, name)).decode("ascii")}
