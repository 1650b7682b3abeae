"""``Client``: the v1 HTTP API of ``dpr serve`` (docs/api.md) over urllib."""

import ipaddress
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from .errors import DprError, JobError
from .tensors import canonical_module_name, decode, integer, is_numpy, precision_of_module, tensor_dto

__all__ = ["Client", "TERMINAL_STATES"]

TERMINAL_STATES = ("completed", "failed", "cancelled")


def _is_loopback(url):
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _retry_after(value):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value  # an HTTP date: left as the server wrote it
    return int(number) if number == int(number) else number


class Client:
    """A client of ``dpr serve``.

    ``url`` is the server's base address (``http://localhost:5080``), ``key`` a tenant's key (sent as
    ``Authorization: Bearer KEY``), ``timeout`` the seconds one HTTP request may take.

    Every error answer raises :class:`DprError` with the problem document's ``status``, ``title``,
    ``detail``, ``field`` and ``retry_after``.
    """

    def __init__(self, url, key, timeout=30):
        self.url = str(url).rstrip("/")
        self.key = key
        self.timeout = timeout
        handlers = []
        if _is_loopback(self.url):
            handlers.append(urllib.request.ProxyHandler({}))  # never send loopback traffic to a proxy
        self._opener = urllib.request.build_opener(*handlers)
        self._module_cache = None

    def __repr__(self):
        return "Client(%r)" % self.url

    # -----------------------------------------------------------------------------------------
    # HTTP

    def _request(self, method, path, body=None, query=None, auth=True, expect_json=True):
        url = self.url + path
        if query:
            pairs = [(k, v) for k, v in query.items() if v is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        data = None
        headers = {"Accept": "application/json, application/problem+json"}
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if auth and self.key is not None:
            headers["Authorization"] = "Bearer " + self.key
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                payload = response.read()
                status = response.status
        except urllib.error.HTTPError as e:
            raise self._problem(e) from None
        if not expect_json:
            return status, payload
        if not payload:
            return None
        return json.loads(payload.decode("utf-8"))

    @staticmethod
    def _problem(e):
        try:
            raw = e.read()
        except Exception:  # pragma: no cover - a broken connection while reading the error
            raw = b""
        body = None
        if raw:
            try:
                body = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                body = None
        if not isinstance(body, dict):
            text = raw.decode("utf-8", "replace").strip() if raw else None
            body = {"title": e.reason if isinstance(e.reason, str) else None, "detail": text or None}
        retry = e.headers.get("Retry-After") if e.headers is not None else None
        if retry is None:
            retry = body.get("retryAfter")
        return DprError(
            status=body.get("status") if isinstance(body.get("status"), int) else e.code,
            title=body.get("title"),
            detail=body.get("detail"),
            field=body.get("field"),
            retry_after=_retry_after(retry),
            type=body.get("type"),
            body=body,
        )

    @staticmethod
    def _segment(value):
        return urllib.parse.quote(str(value), safe="")

    # -----------------------------------------------------------------------------------------
    # jobs

    def precision_of(self, module):
        """The precision of a module: from its name, else from ``GET /v1/modules``."""
        precision = precision_of_module(module)
        if precision is not None:
            return precision
        wanted = str(module).lower()
        for m in self.modules(cached=True):
            names = [str(m.get("name", "")).lower(), str(m.get("alias") or "").lower()]
            if wanted in names and m.get("precision"):
                return m["precision"]
        raise ValueError("module %r: its precision is unknown (not a convKxK_intP name and not in "
                         "GET /v1/modules)" % module)

    def submit_job(self, module, input, weights, bias=None, shift=0, stride=1, padding="same",
                   output="requantized", idempotency_key=None, priority=None, cpu_fallback=None,
                   deadline=None):
        """``POST /v1/jobs``; returns the answer ``{"id", "state", "duplicate"}``.

        ``input`` is NCHW and ``weights`` [Cout, Cin, K, K], each as nested lists, ``(shape, flat
        values)`` or a numpy array; their values are sent as the module's precision.
        """
        precision = self.precision_of(module)
        # The field names of docs/api.md exactly, and integers as JSON numbers (a numpy integer, a
        # bool or a float 1.0 would be refused by the service or by json.dumps): coerced here.
        body = {
            "module": str(module),
            "input": tensor_dto(input, precision, "input"),
            "weights": tensor_dto(weights, precision, "weights"),
            "shift": integer(shift, "shift"),
            "stride": integer(stride, "stride"),
            "padding": str(padding),
            "output": str(output),
        }
        if bias is not None:
            if is_numpy(bias):
                bias = bias.reshape(-1).tolist()
            body["bias"] = [integer(b, "bias[%d]" % i) for i, b in enumerate(bias)]
        if idempotency_key is not None:
            body["idempotencyKey"] = str(idempotency_key)
        if priority is not None:
            body["priority"] = integer(priority, "priority")
        if cpu_fallback is not None:
            body["cpuFallback"] = bool(cpu_fallback)
        if deadline is not None:
            body["deadline"] = deadline if isinstance(deadline, str) else deadline.isoformat()
        return self._request("POST", "/v1/jobs", body)

    def submit(self, module, input, weights, bias=None, shift=0, stride=1, padding="same",
               output="requantized", idempotency_key=None, **options):
        """``POST /v1/jobs``; returns the new job's id (the first job's for a repeated
        ``idempotency_key``). ``options``: ``priority``, ``cpu_fallback``, ``deadline``."""
        return self.submit_job(module, input, weights, bias=bias, shift=shift, stride=stride,
                               padding=padding, output=output, idempotency_key=idempotency_key,
                               **options)["id"]

    def job(self, id):
        """``GET /v1/jobs/{id}``: ``{"id", "state", "module", "partition", "error"}``."""
        return self._request("GET", "/v1/jobs/" + self._segment(id))

    def result_document(self, id):
        """``GET /v1/jobs/{id}/result`` as the server sent it (``data`` still base64)."""
        return self._request("GET", "/v1/jobs/%s/result" % self._segment(id))

    def result(self, id):
        """``(shape, values)`` of a completed job: ``values`` is the flat list of the output in NCHW
        order, decoded from the result's precision (int64 for ``output="raw"``). 409 before then."""
        doc = self.result_document(id)
        return list(doc["shape"]), decode(doc.get("data", ""), doc["precision"])

    def wait(self, id, timeout=60, interval=0.02, max_interval=0.5):
        """Polls ``GET /v1/jobs/{id}`` until the job is completed, failed or cancelled; returns the
        job. Raises ``TimeoutError`` after ``timeout`` seconds (None: no limit)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.job(id)
            if job.get("state") in TERMINAL_STATES:
                return job
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("job %s is still %s after %ss" % (id, job.get("state"), timeout))
                time.sleep(min(interval, left))
            else:
                time.sleep(interval)
            interval = min(interval * 1.5, max_interval)

    def run(self, module, input, weights, timeout=60, **job):
        """Submits, waits and returns ``(shape, values)``; a failed or cancelled job raises
        :class:`JobError`."""
        id = self.submit(module, input, weights, **job)
        final = self.wait(id, timeout)
        if final.get("state") != "completed":
            raise JobError(final)
        return self.result(id)

    def cancel(self, id):
        """``DELETE /v1/jobs/{id}``: cancels a queued job (409 once it runs or finished)."""
        return self._request("DELETE", "/v1/jobs/" + self._segment(id))

    def jobs(self, state=None, limit=None):
        """``GET /v1/jobs``: the caller's jobs, newest first."""
        return self._request("GET", "/v1/jobs", query={"state": state, "limit": limit})["jobs"]

    # -----------------------------------------------------------------------------------------
    # board

    def regions(self):
        """``GET /v1/regions``: the list of regions."""
        return self._request("GET", "/v1/regions")["regions"]

    def placement(self):
        """The replacement policy of ``GET /v1/regions`` (``placement``): ``"lru"``, ``"fifo"`` or
        ``"lookahead"``, the loaded module evicted when a swap needs a partition."""
        return self._request("GET", "/v1/regions")["placement"]

    def load(self, partition, module):
        """``POST /v1/regions/{partition}/load`` (admin): ``{"partition", "module", "hit"}``."""
        return self._request("POST", "/v1/regions/%s/load" % self._segment(partition), {"module": module})

    def reset(self, partition):
        """``POST /v1/regions/{partition}/reset`` (admin): the region afterwards."""
        return self._request("POST", "/v1/regions/%s/reset" % self._segment(partition))

    def modules(self, cached=False):
        """``GET /v1/modules``: the list of modules (``cached``: reuse the last answer)."""
        if not cached or self._module_cache is None:
            self._module_cache = self._request("GET", "/v1/modules")["modules"]
        return list(self._module_cache)

    def find_module(self, name):
        """The module of ``GET /v1/modules`` whose name or alias is ``name`` (case-insensitive), or
        None."""
        wanted = str(name).strip().lower()
        canonical = canonical_module_name(name)
        for m in self.modules():
            names = {str(m.get("name", "")).lower(), str(m.get("alias") or "").lower()}
            aliases = m.get("aliases")
            if isinstance(aliases, list):
                names.update(str(a).lower() for a in aliases)
            if wanted in names or canonical in names:
                return m
        return None

    def swaps(self, partition=None, limit=50, before=None):
        """``GET /v1/swaps``: ``{"swaps": [...], "next": cursor or None}``, newest first; pass
        ``next`` as ``before`` for the following page."""
        page = self._request("GET", "/v1/swaps",
                             query={"partition": partition, "limit": limit, "before": before})
        page.setdefault("next", None)
        return page

    # -----------------------------------------------------------------------------------------
    # tenants (admin)

    def tenants(self):
        """``GET /v1/tenants`` (admin)."""
        return self._request("GET", "/v1/tenants")["tenants"]

    def add_tenant(self, name, admin=False):
        """``POST /v1/tenants`` (admin): ``{"name", "admin", "key"}``."""
        return self._request("POST", "/v1/tenants", {"name": name, "admin": bool(admin)})

    def tenant(self, name):
        """``GET /v1/tenants/{name}`` (admin): ``{"name", "admin", "created", "keys": [{"name", "prefix", "created"}]}``."""
        return self._request("GET", "/v1/tenants/" + urllib.parse.quote(name, safe=""))

    def rotate_key(self, name, key_name=None, replace=False):
        """``POST /v1/tenants/{name}/keys`` (admin): one more key, shown only now; with ``replace`` the others are revoked."""
        body = {"replace": bool(replace)}
        if key_name is not None:
            body["name"] = key_name
        return self._request("POST", "/v1/tenants/%s/keys" % urllib.parse.quote(name, safe=""), body)

    def revoke_key(self, name, key=None):
        """``DELETE /v1/tenants/{name}/keys[/{key}]`` (admin): one key (name or prefix), or every key; ``{"tenant", "revoked"}``."""
        path = "/v1/tenants/%s/keys" % urllib.parse.quote(name, safe="")
        if key is not None:
            path += "/" + urllib.parse.quote(key, safe="")
        return self._request("DELETE", path)

    def audit(self, limit=50, before=None):
        """``GET /v1/audit`` (admin): ``{"entries": [...], "next"}``, newest first; pass ``next`` as ``before``."""
        return self._request("GET", "/v1/audit", query={"limit": limit, "before": before})

    # -----------------------------------------------------------------------------------------
    # operations

    def health(self):
        """``GET /healthz``: ``{"status": "ok"}`` while the server runs."""
        return self._request("GET", "/healthz", auth=False)

    def readiness(self):
        """``GET /readyz`` once ready: ``{"status": "ready", "board", "partitions"}``. Raises
        :class:`DprError` (503, ``detail`` the reason) while the service is not ready."""
        try:
            return self._request("GET", "/readyz", auth=False)
        except DprError as e:
            if e.status == 503 and e.detail is None and e.body.get("reason"):
                raise DprError(503, "Not ready", e.body["reason"], e.field, e.retry_after, e.type, e.body) from None
            raise

    def ready(self):
        """True when ``GET /readyz`` answers 200, False for 503."""
        try:
            self._request("GET", "/readyz", auth=False, expect_json=False)
            return True
        except DprError as e:
            if e.status == 503:
                return False
            raise

    def metrics(self):
        """``GET /metrics``: the Prometheus text."""
        return self._request("GET", "/metrics", auth=False, expect_json=False)[1].decode("utf-8")
