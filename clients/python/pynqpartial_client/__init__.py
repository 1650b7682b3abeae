"""The 0.1 name of :mod:`pynqpartial`, kept so existing imports go on working.

``pynqpartial_client`` and ``pynqpartial`` are the same package: the same classes and the same
submodules (``pynqpartial_client.tensors is pynqpartial.tensors``), nothing copied.
"""

import sys

import pynqpartial
from pynqpartial import *  # noqa: F401,F403 - the alias re-exports the whole API
from pynqpartial import __all__, __version__  # noqa: F401
from pynqpartial import bitstream, client, errors, overlay, tensors

for _name, _module in (("bitstream", bitstream), ("client", client), ("errors", errors),
                       ("overlay", overlay), ("tensors", tensors)):
    sys.modules[__name__ + "." + _name] = _module
del _name, _module
