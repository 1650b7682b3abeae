"""``HybridOverlay``: the API of the original ``pynqpartial`` package, over HTTP."""

from .client import Client
from .errors import DprError, JobError
from .tensors import decode, is_numpy, to_numpy, unflatten

__all__ = ["HybridOverlay"]


class HybridOverlay:
    """The original package's overlay, now a client of ``dpr serve``.

    ``load_rm(name)`` chooses the reconfigurable module later convolutions run on. With an admin key
    it also loads the module into the partition that hosts it (``POST /v1/regions/{p}/load``); with a
    tenant key it only checks that the module exists, and the server's scheduler swaps it in when a
    job needs it. ``run_convolution`` submits a job to that module, waits for it and returns the
    output.
    """

    def __init__(self, url, key, timeout=30, wait_timeout=120):
        self.client = Client(url, key, timeout=timeout)
        self.wait_timeout = wait_timeout
        self._loaded_rm = None
        self._module = None
        self._admin = None  # unknown until a load answers (403: a tenant key)
        self.last_load = None  # the answer of the last POST /v1/regions/{p}/load, if any
        self.last_job = None  # the last job run_convolution waited for

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

    def available_rms(self):
        """The names of the modules the server offers, as the original package named them (the
        alias, ``conv3x3_8bit``, where the module has one; otherwise the name)."""
        return [m.get("alias") or m["name"] for m in self.client.modules()]

    def load_rm(self, name):
        """Chooses module ``name`` (a name or an alias, case-insensitive) for ``run_convolution``.

        Raises :class:`DprError` (status 400, field ``module``) for a module the server does not
        offer; with an admin key, the errors of the load itself (e.g. 409 for a faulted partition).
        Returns the load's answer ``{"partition", "module", "hit"}`` with an admin key, else None.
        """
        module = self.client.find_module(name)
        if module is None:
            known = ", ".join(sorted(m["name"] for m in self.client.modules(cached=True)))
            raise DprError(400, "Bad input", "unknown module %r; known: %s" % (name, known), "module")
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

    def run_convolution(self, data, weights, bias=None, shift=0, stride=1, padding="same"):
        """Convolves ``data`` (NCHW) with ``weights`` ([Cout, Cin, K, K]) on the loaded module.

        Tensors are nested lists, ``(shape, flat values)`` or numpy arrays. Returns the requantized
        output [N, Cout, Hout, Wout] as nested lists, or as a numpy array when ``data`` is one. A job
        that fails or is cancelled raises :class:`JobError`; an answer of the server
        :class:`DprError`.
        """
        if self._module is None:
            raise RuntimeError("no reconfigurable module loaded: call load_rm(name) first")
        client = self.client
        id = client.submit(self._module["name"], data, weights, bias=bias, shift=shift, stride=stride,
                           padding=padding)
        job = client.wait(id, self.wait_timeout)
        self.last_job = job
        if job.get("state") != "completed":
            raise JobError(job)
        doc = client.result_document(id)
        shape, values = list(doc["shape"]), decode(doc.get("data", ""), doc["precision"])
        if is_numpy(data):
            return to_numpy(shape, values, doc["precision"])
        return unflatten(shape, values)

    def __repr__(self):
        return "HybridOverlay(%r, loaded_rm=%r)" % (self.client.url, self._loaded_rm)
