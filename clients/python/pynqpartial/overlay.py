"""``HybridOverlay``: the API of the original ``pynqpartial`` package, over HTTP."""

import os

from .bitstream import check_static_design
from .client import Client
from .errors import BoardMismatchError, DprError, JobError
from .tensors import decode, encode, integer, to_numpy, to_shape_and_values, unflatten

__all__ = ["HybridOverlay", "DEFAULT_URL"]

DEFAULT_URL = "http://localhost:5080"  # where `dpr serve` listens by default (docs/api.md)


def _is_url(value):
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def _is_path(value):
    text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    return (isinstance(value, os.PathLike) or text.lower().endswith(".bit") or os.sep in text
            or os.path.exists(text))


def _numpy_or_none():
    try:
        import numpy
    except ImportError:
        return None
    return numpy


class ModuleNames(list):
    """The list ``available_rms`` is, read as an attribute like ``loaded_rm``. Calling it returns a
    copy, so the 0.1 client's ``available_rms()`` still works."""

    def __call__(self):
        return list(self)


class HybridOverlay:
    """The original package's overlay, now a client of ``dpr serve``.

    ``HybridOverlay(static_or_board, url=None, key=None)``: ``static_or_board`` is the board the
    service drives (``"pynq-z2"``, compared with the service's board name, ``GET /readyz``) or the
    path of the static design's ``.bit`` (the seed's ``"static_design.bit"``): the file must exist, be
    a full (not partial) ``.bit`` file and, for dpr's built-in boards, be built for the board's device
    (xc7z020 for the PYNQ-Z2); the service does not expose its static design's identity, so that is
    all that is checked. None checks nothing. ``url`` defaults to ``$DPR_URL``, else
    ``http://localhost:5080``; ``key`` to ``$DPR_KEY``. The 0.1 form ``HybridOverlay(url, key)`` is
    still accepted, and so is ``client=`` (a :class:`Client` to use, instead of ``url`` and ``key``).

    ``load_rm(name)`` chooses the reconfigurable module later convolutions run on. With an admin key
    it also loads the module into the partition that hosts it (``POST /v1/regions/{p}/load``); with a
    tenant key it only checks that the module exists, and the service's scheduler swaps it in when a
    job needs it (and rebinds the module's driver after the swap). The weights, bias and shift of each
    module are held here (``set_weights``) and sent with every job, since the service's modules hold
    none. ``run_convolution(x)`` returns numpy arrays when numpy is importable (``use_numpy=None``),
    nested lists otherwise; ``use_numpy=False`` always returns lists, ``True`` requires numpy.
    """

    def __init__(self, static_or_board=None, url=None, key=None, timeout=30, wait_timeout=120,
                 use_numpy=None, client=None):
        if _is_url(static_or_board):  # the 0.1 form HybridOverlay(url, key)
            if key is None and url is not None and not _is_url(url):
                key = url
            url, static_or_board = static_or_board, None
        if client is not None:  # an existing Client: its url and key
            url, key = client.url, client.key
        url = url or os.environ.get("DPR_URL") or DEFAULT_URL
        key = key if key is not None else os.environ.get("DPR_KEY")
        if not key:
            raise ValueError("no key for %s: pass key=... or set DPR_KEY (a key is made with "
                             "`dpr tenants add NAME`)" % url)
        if use_numpy is None:
            self._numpy = _numpy_or_none()
        elif use_numpy:
            self._numpy = _numpy_or_none()
            if self._numpy is None:
                raise ImportError("use_numpy=True, but numpy is not importable")
        else:
            self._numpy = None
        self.client = client if client is not None else Client(url, key, timeout=timeout)
        self.wait_timeout = wait_timeout
        self._loaded_rm = None
        self._module = None
        self._admin = None  # unknown until a load answers (403: a tenant key)
        self._weights = {}  # canonical module name -> (shape, values, bias, shift)
        self.last_load = None  # the answer of the last POST /v1/regions/{p}/load, if any
        self.last_job = None  # the last job run_convolution waited for
        self.board = self.client.readiness().get("board")
        self.static_design = None  # the BitHeader of the static design given, if a path was
        if static_or_board is None:
            return
        if _is_path(static_or_board):
            self.static_design = check_static_design(os.fspath(static_or_board), self.board)
        elif str(static_or_board).strip().lower() != str(self.board).lower():
            raise BoardMismatchError(str(static_or_board), self.board, url)

    # -----------------------------------------------------------------------------------------

    @property
    def loaded_rm(self):
        """The name given to the last successful ``load_rm``, or None."""
        return self._loaded_rm

    @property
    def loaded_module(self):
        """The loaded module as ``GET /v1/modules`` describes it (``name``, ``alias``,
        ``partition``, ``kernelSize``, ``precision``, ...), or None."""
        return dict(self._module) if self._module is not None else None

    @property
    def available_rms(self):
        """The names of the modules the service offers, as the original package named them (the
        alias, ``conv3x3_8bit``, where the module has one; otherwise the name)."""
        return ModuleNames(m.get("alias") or m["name"] for m in self.client.modules())

    @property
    def replacement_policy(self):
        """Which loaded module a swap evicts when every partition is taken: ``"lru"`` and
        ``"fifo"`` as in the original package, or the service's default ``"lookahead"`` (the one its
        queue needs furthest in the future). The service's ``Dpr:Placement`` (``GET /v1/regions``)."""
        return self.client.placement()

    @property
    def regions(self):
        """The partitions and what each holds (``GET /v1/regions``)."""
        return self.client.regions()

    def load_rm(self, name):
        """Chooses module ``name`` (a name or an alias, case-insensitive) for ``run_convolution``.

        Raises :class:`DprError` (status 400, field ``module``) for a module the service does not
        offer; with an admin key, the errors of the load itself (e.g. 409 for a faulted partition).
        Returns the load's answer ``{"partition", "module", "hit"}`` with an admin key, else None.
        """
        module = self._find(name)
        answer = None
        if self._admin is not False and module.get("partition"):
            try:
                answer = self.client.load(module["partition"], module["name"])
                self._admin = True
            except DprError as e:
                if e.status != 403:
                    raise
                self._admin = False
        self._module = module
        self._loaded_rm = name
        self.last_load = answer
        return answer

    def set_weights(self, weights, bias=None, shift=0, rm=None):
        """Sets the weights ``[Cout, Cin, K, K]`` (or ``[K, K]``: one channel), the bias (one per
        output channel, default zeros) and the requantization shift that ``run_convolution`` uses on
        module ``rm`` (default: the loaded one). Each module keeps its own until they are set again.

        Checked at once: K against the module's kernel size, the values against its precision, the
        bias's length against Cout. Raises ValueError or TypeError naming what is wrong.
        """
        if rm is None:
            if self._module is None:
                raise RuntimeError("no reconfigurable module loaded: call load_rm(name) first, or "
                                   "pass rm=NAME")
            module = self._module
        else:
            module = self._find(rm)
        shape, values = to_shape_and_values(weights, "weights")
        k = module.get("kernelSize")
        if len(shape) == 2:
            shape = [1, 1] + shape
        if len(shape) != 4 or shape[2] != shape[3] or (k is not None and shape[2] != k):
            raise ValueError("weights of %s: shape %s, expected [Cout, Cin, %s, %s] or [%s, %s]"
                             % (module["name"], shape, k, k, k, k))
        encode(values, module["precision"], "weights")  # the values fit the module's precision
        if bias is not None:
            if hasattr(bias, "reshape"):
                bias = bias.reshape(-1).tolist()
            bias = [integer(b, "bias[%d]" % i) for i, b in enumerate(bias)]
            if len(bias) != shape[0]:
                raise ValueError("bias of %s: %d values for %d output channels"
                                 % (module["name"], len(bias), shape[0]))
        shift = integer(shift, "shift")
        if shift < 0:
            raise ValueError("shift of %s: %d is negative" % (module["name"], shift))
        self._weights[module["name"]] = (shape, values, bias, shift)

    def get_weights(self, rm=None):
        """``{"shape", "values", "bias", "shift"}`` set for module ``rm`` (default: the loaded one),
        or None."""
        module = self._module if rm is None else self._find(rm)
        if module is None or module["name"] not in self._weights:
            return None
        shape, values, bias, shift = self._weights[module["name"]]
        return {"shape": list(shape), "values": list(values), "bias": bias, "shift": shift}

    def run_convolution(self, data, weights=None, bias=None, shift=None, stride=1, padding="same"):
        """Convolves ``data`` on the loaded module and returns the requantized output.

        ``data`` is NCHW ``[N, Cin, H, W]`` or one image ``[H, W]`` (then Cin is 1 and the output is
        ``[Hout, Wout]``, or ``[Cout, Hout, Wout]`` for several output channels): a numpy array of
        integers, nested lists, or ``(shape, flat values)``. The weights, bias and shift are the
        module's (``set_weights``) unless ``weights`` is given here (then ``bias`` defaults to zeros
        and ``shift`` to 0). The output is a numpy array of the module's precision when numpy is
        used (see the class), nested lists otherwise.

        A job that fails or is cancelled raises :class:`JobError`; an answer of the service
        :class:`DprError`.
        """
        if self._module is None:
            raise RuntimeError("no reconfigurable module loaded: call load_rm(name) first")
        module = self._module
        if weights is None:
            held = self._weights.get(module["name"])
            if held is None:
                raise RuntimeError("no weights for %s: call set_weights(weights, bias, shift) after "
                                   "load_rm(%r), or pass weights" % (module["name"], self._loaded_rm))
            w_shape, w_values, held_bias, held_shift = held
            weights = (w_shape, w_values)
            bias = held_bias if bias is None else bias
            shift = held_shift if shift is None else shift
        shape, values = to_shape_and_values(data, "input")
        image = len(shape) == 2
        if image:
            shape = [1, 1] + shape
        elif len(shape) != 4:
            raise ValueError("input: shape %s, expected [N, Cin, H, W] or [H, W]" % shape)
        client = self.client
        id = client.submit(module["name"], (shape, values), weights, bias=bias,
                           shift=0 if shift is None else shift, stride=stride, padding=padding)
        job = client.wait(id, self.wait_timeout)
        self.last_job = job
        if job.get("state") != "completed":
            raise JobError(job)
        doc = client.result_document(id)
        out_shape, out = list(doc["shape"]), decode(doc.get("data", ""), doc["precision"])
        if image:
            out_shape = out_shape[2:] if out_shape[1] == 1 else out_shape[1:]
        if self._numpy is not None:
            return to_numpy(out_shape, out, doc["precision"])
        return unflatten(out_shape, out)

    def _find(self, name):
        module = self.client.find_module(name)
        if module is None:
            known = ", ".join(sorted(m["name"] for m in self.client.modules(cached=True)))
            raise DprError(400, "Bad input", "unknown module %r; known: %s" % (name, known), "module")
        return module

    def __repr__(self):
        return "HybridOverlay(%r, board=%r, loaded_rm=%r)" % (self.client.url, self.board, self._loaded_rm)
