"""pynqpartial: the ``HybridOverlay`` of the original PYNQ notebook package, and ``Client``, both
clients of ``dpr serve``, the v1 HTTP API of dpr (docs/api.md).

Standard library only (Python 3.9+); numpy arrays are accepted, and returned by ``HybridOverlay``,
when numpy is installed, but numpy is never required.

    from pynqpartial import HybridOverlay

    overlay = HybridOverlay("static_design.bit")        # or "pynq-z2"; url/key: $DPR_URL, $DPR_KEY
    overlay.load_rm("conv3x3_8bit")
    overlay.set_weights(weights, bias, shift)           # held per module
    result = overlay.run_convolution(input_data)

    client = Client("http://localhost:5080", key)       # the HTTP API itself
    id = client.submit("conv3x3_int8", input, weights)
    client.wait(id, timeout=60)
    shape, values = client.result(id)
"""

from .client import TERMINAL_STATES, Client
from .bitstream import BitHeader, check_static_design, read_bit_header
from .errors import BoardMismatchError, DprError, JobError, StaticDesignError
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
    "StaticDesignError",
    "BoardMismatchError",
    "BitHeader",
    "read_bit_header",
    "check_static_design",
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

__version__ = "0.2.0"
