"""The typed error of the client: an RFC 7807 problem document of ``dpr serve``."""

__all__ = ["DprError", "JobError", "StaticDesignError", "BoardMismatchError"]


class DprError(Exception):
    """An error answer of ``dpr serve`` (docs/api.md, "Errors").

    Attributes: ``status`` (HTTP status), ``title``, ``detail``, ``field`` (the field at fault, e.g.
    ``input.shape``, ``authorization``, ``id``), ``retry_after`` (seconds, for 429 and 503, else
    None), ``type`` (the problem type URI) and ``body`` (the whole problem document as a dict).
    """

    def __init__(self, status, title=None, detail=None, field=None, retry_after=None, type=None, body=None):
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.retry_after = retry_after
        self.type = type
        self.body = body if body is not None else {}
        super().__init__(self._message())

    def _message(self):
        parts = [str(self.status)]
        if self.title:
            parts.append(self.title)
        text = " ".join(parts)
        if self.detail:
            text += ": " + self.detail
        if self.field:
            text += " [field: %s]" % self.field
        if self.retry_after is not None:
            text += " (retry after %ss)" % self.retry_after
        return text

    def __repr__(self):
        return "DprError(status=%r, title=%r, detail=%r, field=%r, retry_after=%r)" % (
            self.status, self.title, self.detail, self.field, self.retry_after)


class JobError(Exception):
    """A job that ended ``failed`` or ``cancelled`` where a result was expected.

    Attributes: ``job`` (the job as ``GET /v1/jobs/{id}`` answered), ``id``, ``state``, ``error``.
    """

    def __init__(self, job):
        self.job = dict(job)
        self.id = job.get("id")
        self.state = job.get("state")
        self.error = job.get("error")
        text = "job %s %s" % (self.id, self.state)
        if self.error:
            text += ": %s" % self.error
        super().__init__(text)


class StaticDesignError(ValueError):
    """A static design file that is not one the service's board can hold: not a ``.bit`` file, a
    partial bitstream, or one built for another device.

    Attributes: ``path``, ``reason`` and ``offset`` (the byte offset in the file where the check
    failed, or None).
    """

    def __init__(self, path, reason, offset=None):
        self.path = path
        self.reason = reason
        self.offset = offset
        where = " (byte %d)" % offset if offset is not None else ""
        super().__init__("static design %s: %s%s" % (path, reason, where))


class BoardMismatchError(ValueError):
    """``HybridOverlay(board)`` named another board than the one the service drives.

    Attributes: ``expected`` (the name given) and ``actual`` (the service's, ``GET /readyz``).
    """

    def __init__(self, expected, actual, url):
        self.expected = expected
        self.actual = actual
        super().__init__("board %r was asked for, but the service at %s drives %r" % (expected, url, actual))
