"""The header of a Xilinx ``.bit`` file: enough to tell a full static design for the board's device.

The layout is that of ../shared/fixtures/real/FORMAT-NOTES.md section 1 (as PYNQ's
``parse_bit_header`` reads it): 13 fixed bytes, then the fields ``a`` (design info), ``b`` (part),
``c`` (date), ``d`` (time) with a big-endian u16 length each, and ``e`` with a u32 length, followed by
the configuration stream, which starts with pad words and the sync word ``AA995566``.
"""

import os
import re
import struct

from .errors import StaticDesignError

__all__ = ["BitHeader", "BOARD_DEVICES", "read_bit_header", "check_static_design"]

_MAGIC = bytes.fromhex("00090ff00ff00ff00ff0000001")
_SYNC = bytes.fromhex("aa995566")

# The device of dpr's built-in boards (src/Fabric/Boards/*.board.json, "device"). A board profile the
# service loads from a file is not known here: its static design's device is then not checked.
BOARD_DEVICES = {
    "pynq-z2": "xc7z020",
    "pynq-z2-composable": "xc7z020",
}


class BitHeader:
    """The fields of a ``.bit`` header: ``design``, ``user_id``, ``version``, ``partial`` (a partial
    bitstream, ``PARTIAL=TRUE`` in field ``a``), ``part`` (``7z020clg400``), ``date``, ``time`` and
    ``length`` (bytes of the configuration stream)."""

    def __init__(self, design_info, part, date, time, length):
        items = design_info.split(";")
        self.design = items[0]
        fields = dict(i.split("=", 1) for i in items[1:] if "=" in i)
        self.user_id = fields.get("UserID")
        self.version = fields.get("Version")
        self.partial = fields.get("PARTIAL", "").upper() == "TRUE"
        self.part = part
        self.date = date
        self.time = time
        self.length = length

    @property
    def device(self):
        """``xc`` and the part without its package: ``7z020clg400`` -> ``xc7z020``."""
        # 7-series parts are device + package: 7z020 clg400, 7a35t csg324, 7k325t ffg900
        m = re.match(r"^(\d[a-z]+\d+t?)[a-z]", self.part.lower())
        return "xc" + (m.group(1) if m else self.part.lower())

    def as_dict(self):
        return {"design": self.design, "user_id": self.user_id, "version": self.version,
                "partial": self.partial, "part": self.part, "device": self.device, "date": self.date,
                "time": self.time, "length": self.length}

    def __repr__(self):
        return "BitHeader(%r)" % self.as_dict()


def read_bit_header(path):
    """The :class:`BitHeader` of the ``.bit`` file at ``path``.

    Reads the header and the start of the configuration stream only. Raises ``FileNotFoundError``
    for a missing file and :class:`StaticDesignError` (with the byte offset) for anything that is
    not a ``.bit`` file: a wrong magic, a truncated field, a stream length that is not the rest of
    the file, no sync word where the stream starts.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head.startswith(_MAGIC):
        raise StaticDesignError(path, "not a .bit file: the first 13 bytes are not the .bit header's "
                                "00 09 0F F0 ... 00 01", offset=0)
    offset = len(_MAGIC)
    strings = {}
    while True:
        if offset >= len(head):
            raise StaticDesignError(path, "the header has no field 'e' (the configuration stream)", offset)
        key = chr(head[offset])
        if key == "e":
            if offset + 5 > len(head):
                raise StaticDesignError(path, "field 'e' is truncated", offset)
            (length,) = struct.unpack(">I", head[offset + 1:offset + 5])
            start = offset + 5
            break
        if offset + 3 > len(head):
            raise StaticDesignError(path, "field %r is truncated" % key, offset)
        (length,) = struct.unpack(">H", head[offset + 1:offset + 3])
        value = head[offset + 3:offset + 3 + length]
        if len(value) != length:
            raise StaticDesignError(path, "field %r is truncated" % key, offset)
        strings[key] = value.rstrip(b"\0").decode("ascii", "replace")
        offset += 3 + length
    for key in "ab":
        if key not in strings:
            raise StaticDesignError(path, "the header has no field %r" % key, offset)
    if length != size - start:
        raise StaticDesignError(path, "field 'e' says the configuration stream has %d bytes, the file "
                                "has %d after the header" % (length, size - start), start)
    stream = head[start:start + 256]
    sync = stream.find(_SYNC)
    if sync < 0 or sync % 4:
        raise StaticDesignError(path, "no sync word AA995566 in the first %d bytes of the configuration "
                                "stream" % len(stream), start)
    return BitHeader(strings["a"], strings["b"], strings.get("c"), strings.get("d"), length)


def check_static_design(path, board):
    """The header of ``path`` once it is checked to be a static design ``board`` can hold.

    Checked: the file exists (``FileNotFoundError``), it is a ``.bit`` file (:func:`read_bit_header`),
    it is a full bitstream and not a partial, and its device is the board's when the board is one of
    :data:`BOARD_DEVICES`. Not checked (the service does not tell): that it is the very static design
    the service's partitions were built against.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError("static design %s: no such file" % path)
    header = read_bit_header(path)
    if header.partial:
        raise StaticDesignError(path, "%s is a partial bitstream (PARTIAL=TRUE), not a static design"
                                % header.design, offset=len(_MAGIC))
    device = BOARD_DEVICES.get(str(board).lower())
    if device is not None and header.device != device:
        raise StaticDesignError(path, "built for %s (part %s), but the service's board %s is a %s"
                                % (header.device, header.part, board, device), offset=len(_MAGIC))
    return header
