"""A Python client of ``dpr serve``, the v1 HTTP API of dpr (docs/api.md).

Standard library only (Python 3.9+); numpy arrays are accepted and returned when numpy is installed,
but numpy is never required.

    from pynqpartial_client import Client, HybridOverlay, DprError

    client = Client("http://localhost:5080", key)
    id = client.submit("conv3x3_int8", input, weights)   # nested lists, (shape, values) or numpy
    client.wait(id, timeout=60)
    shape, values = client.result(id)

    overlay = HybridOverlay("http://localhost:5080", key)
    overlay.load_rm("conv3x3_8bit")
    output = overlay.run_convolution(input, weights)
"""

from .client import TERMINAL_STATES, Client
from .errors import DprError, JobError
from .overlay import HybridOverlay
from .tensors import (
    PRECISIONS,
    canonical_module_name,
    decode,
    encode,
    flatten,
    kernel_size_of_module,
    precision_of_module,
    to_shape_and_values,
    unflatten,
)

__all__ = [
    "Client",
    "HybridOverlay",
    "DprError",
    "JobError",
    "TERMINAL_STATES",
    "PRECISIONS",
    "canonical_module_name",
    "precision_of_module",
    "kernel_size_of_module",
    "to_shape_and_values",
    "flatten",
    "unflatten",
    "encode",
    "decode",
]

__version__ = "0.1.0"
