"""The parts of the client that need no server: names, tensors, bytes, problems, the reference."""

import base64
import io
import json
import unittest
import urllib.error

from pynqpartial_client import (
    Client,
    DprError,
    HybridOverlay,
    JobError,
    canonical_module_name,
    decode,
    encode,
    flatten,
    kernel_size_of_module,
    precision_of_module,
    to_shape_and_values,
    unflatten,
)
from pynqpartial_client.tensors import tensor_dto

from .reference import conv_reference, round_shift, saturate, wrap_int64


class ModuleNamesTest(unittest.TestCase):
    def test_precision_from_canonical_names_and_aliases(self):
        cases = {
            "conv3x3_int8": "int8", "conv3x3_int16": "int16", "conv3x3_int32": "int32",
            "conv5x5_int8": "int8", "conv5x5_int16": "int16", "conv5x5_int32": "int32",
            "conv3x3_8bit": "int8", "conv5x5_16bit": "int16", "conv3x3_32bit": "int32",
            "CONV5X5_8BIT": "int8", " Conv3x3_Int16 ": "int16",
        }
        for name, precision in cases.items():
            self.assertEqual(precision_of_module(name), precision, name)

    def test_unknown_names_have_no_precision(self):
        for name in ("conv3x3", "conv3x3_int4", "conv3x3_64bit", "fir_int8", "", "conv3x3_int8x"):
            self.assertIsNone(precision_of_module(name), name)

    def test_canonical_name_and_kernel(self):
        self.assertEqual(canonical_module_name("conv3x3_8bit"), "conv3x3_int8")
        self.assertEqual(canonical_module_name("CONV5X5_32BIT"), "conv5x5_int32")
        self.assertEqual(canonical_module_name("conv5x5_int16"), "conv5x5_int16")
        self.assertEqual(canonical_module_name("Other"), "other")
        self.assertEqual(kernel_size_of_module("conv5x5_16bit"), 5)
        self.assertEqual(kernel_size_of_module("conv3x3_int8"), 3)
        self.assertIsNone(kernel_size_of_module("conv3x5_int8"))


class FlattenTest(unittest.TestCase):
    def test_nested_lists_give_shape_and_row_major_values(self):
        nested = [[[[1, 2, 3], [4, 5, 6]]], [[[7, 8, 9], [10, 11, 12]]]]
        self.assertEqual(flatten(nested), ([2, 1, 2, 3], list(range(1, 13))))

    def test_tuples_are_lists_too(self):
        self.assertEqual(flatten(((1, 2), (3, 4))), ([2, 2], [1, 2, 3, 4]))

    def test_ragged_lists_are_refused(self):
        with self.assertRaises(ValueError):
            flatten([[1, 2], [3]])
        with self.assertRaises(ValueError):
            flatten([[1, 2], 3])
        with self.assertRaises(ValueError):
            flatten([[[1], [2]], [3, 4]])

    def test_non_integers_are_refused(self):
        with self.assertRaises(TypeError):
            flatten([[1.5, 2]])
        with self.assertRaises(TypeError):
            flatten([[True, 2]])
        with self.assertRaises(TypeError):
            flatten(5)

    def test_unflatten_inverts_flatten(self):
        nested = [[[[1, -2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, -12]]]]
        shape, values = flatten(nested)
        self.assertEqual(shape, [1, 2, 3, 2])
        self.assertEqual(unflatten(shape, values), nested)

    def test_unflatten_checks_the_count(self):
        with self.assertRaises(ValueError):
            unflatten([2, 2], [1, 2, 3])

    def test_the_accepted_forms(self):
        nested = [[[[1, 2], [3, 4]]]]
        expected = ([1, 1, 2, 2], [1, 2, 3, 4])
        self.assertEqual(to_shape_and_values(nested), expected)
        self.assertEqual(to_shape_and_values(([1, 1, 2, 2], [1, 2, 3, 4])), expected)
        self.assertEqual(to_shape_and_values(((1, 1, 2, 2), (1, 2, 3, 4))), expected)
        self.assertEqual(to_shape_and_values({"shape": [1, 1, 2, 2], "values": [1, 2, 3, 4]}), expected)

    def test_a_tuple_of_two_batches_is_nested_not_a_pair(self):
        batch = [[[1, 2], [3, 4]]]
        self.assertEqual(to_shape_and_values((batch, batch)), ([2, 1, 2, 2], [1, 2, 3, 4] * 2))

    def test_a_pair_with_the_wrong_count_is_refused(self):
        with self.assertRaises(ValueError) as e:
            to_shape_and_values(([1, 1, 2, 2], [1, 2, 3]), "input")
        self.assertIn("input", str(e.exception))


class BytesTest(unittest.TestCase):
    def test_little_endian_of_every_precision(self):
        self.assertEqual(encode([1, -1, 127, -128], "int8"), b"\x01\xff\x7f\x80")
        self.assertEqual(encode([1, -2, 0x1234], "int16"), b"\x01\x00\xfe\xff\x34\x12")
        self.assertEqual(encode([0x01020304, -1], "int32"), b"\x04\x03\x02\x01\xff\xff\xff\xff")
        self.assertEqual(encode([1, -(1 << 63)], "int64"),
                         b"\x01" + b"\x00" * 7 + b"\x00" * 7 + b"\x80")

    def test_decode_inverts_encode(self):
        for precision, values in {
            "int8": [-128, -1, 0, 1, 127],
            "int16": [-32768, -300, 0, 300, 32767],
            "int32": [-(1 << 31), -70000, 0, 70000, (1 << 31) - 1],
            "int64": [-(1 << 63), -(1 << 40), 0, 1 << 40, (1 << 63) - 1],
        }.items():
            data = encode(values, precision)
            self.assertEqual(decode(data, precision), values, precision)
            self.assertEqual(decode(base64.b64encode(data).decode(), precision), values, precision)

    def test_out_of_range_values_name_their_index(self):
        with self.assertRaises(ValueError) as e:
            encode([0, 128], "int8", "input")
        self.assertIn("input[1]", str(e.exception))
        with self.assertRaises(ValueError):
            encode([-32769], "int16")
        with self.assertRaises(ValueError):
            encode([1 << 31], "int32")

    def test_decode_refuses_a_partial_value(self):
        with self.assertRaises(ValueError):
            decode(b"\x00\x01\x02", "int16")

    def test_unknown_precision(self):
        with self.assertRaises(ValueError):
            encode([1], "int4")

    def test_tensor_dto(self):
        dto = tensor_dto([[[[1, -1], [2, -2]]]], "int16", "input")
        self.assertEqual(dto["shape"], [1, 1, 2, 2])
        self.assertEqual(base64.b64decode(dto["data"]), b"\x01\x00\xff\xff\x02\x00\xfe\xff")


class ReferenceTest(unittest.TestCase):
    def test_round_half_up_as_documented(self):
        self.assertEqual(round_shift(3, 1), 2)
        self.assertEqual(round_shift(-3, 1), -1)
        self.assertEqual(round_shift(-1, 1), 0)
        self.assertEqual(round_shift(-2, 1), -1)
        self.assertEqual(round_shift(5, 0), 5)
        self.assertEqual(round_shift(6, 2), 2)  # 1.5 -> 2
        self.assertEqual(round_shift(-6, 2), -1)  # -1.5 -> -1
        self.assertEqual(round_shift((1 << 63) - 1, 63), 1)  # no wrap near Int64.MaxValue
        self.assertEqual(round_shift(-(1 << 63), 63), -1)

    def test_saturate_and_wrap(self):
        self.assertEqual(saturate(200, 8), 127)
        self.assertEqual(saturate(-200, 8), -128)
        self.assertEqual(saturate(-5, 16), -5)
        self.assertEqual(wrap_int64(1 << 63), -(1 << 63))
        self.assertEqual(wrap_int64(-(1 << 63) - 1), (1 << 63) - 1)
        self.assertEqual(wrap_int64(12), 12)

    def test_a_convolution_by_hand(self):
        # 1x1x3x3 input, one 3x3 kernel of ones: "same" sums each 3x3 neighbourhood.
        x = [1, 2, 3,
             4, 5, 6,
             7, 8, 9]
        w = [1] * 9
        shape, out = conv_reference([1, 1, 3, 3], x, [1, 1, 3, 3], w, "int8")
        self.assertEqual(shape, [1, 1, 3, 3])
        self.assertEqual(out, [12, 21, 16,
                               27, 45, 33,
                               24, 39, 28])
        shape, out = conv_reference([1, 1, 3, 3], x, [1, 1, 3, 3], w, "int8", padding="valid")
        self.assertEqual((shape, out), ([1, 1, 1, 1], [45]))
        # bias 3, shift 2: (45 + 3 + 2) >> 2 = 12
        shape, out = conv_reference([1, 1, 3, 3], x, [1, 1, 3, 3], w, "int8", bias=[3], shift=2,
                                    padding="valid")
        self.assertEqual(out, [12])
        # raw keeps the accumulator, no saturation
        _, out = conv_reference([1, 1, 3, 3], [100] * 9, [1, 1, 3, 3], [100] * 9, "int8",
                                padding="valid", output="raw")
        self.assertEqual(out, [90000])
        _, out = conv_reference([1, 1, 3, 3], [100] * 9, [1, 1, 3, 3], [100] * 9, "int8",
                                padding="valid")
        self.assertEqual(out, [127])

    def test_stride_two_same_pads_symmetrically(self):
        # 4x4, K=3, stride 2, same: p = 1, out ceil(4/2) = 2; the window of (0,0) is rows/cols -1..1
        x = list(range(16))
        shape, out = conv_reference([1, 1, 4, 4], x, [1, 1, 3, 3], [1] * 9, "int16", stride=2)
        self.assertEqual(shape, [1, 1, 2, 2])
        self.assertEqual(out[0], 0 + 1 + 4 + 5)
        self.assertEqual(out[3], sum(x[r * 4 + c] for r in (1, 2, 3) for c in (1, 2, 3)))
        shape, _ = conv_reference([1, 1, 5, 5], [0] * 25, [1, 1, 5, 5], [0] * 25, "int16", stride=2)
        self.assertEqual(shape, [1, 1, 3, 3])

    def test_channels_and_batches(self):
        # two input channels summed, two output channels, two images
        x = [1, 1, 1, 1,  2, 2, 2, 2,    # image 0: channel 0 ones, channel 1 twos (2x2)
             3, 3, 3, 3,  4, 4, 4, 4]    # image 1
        w = [1] * 9 + [1] * 9 + [-1] * 9 + [0] * 9  # co0: sum of both, co1: minus channel 0
        shape, out = conv_reference([2, 2, 2, 2], x, [2, 2, 3, 3], w, "int32")
        self.assertEqual(shape, [2, 2, 2, 2])
        self.assertEqual(out, [12] * 4 + [-4] * 4 + [28] * 4 + [-12] * 4)

    def test_int32_sums_wrap(self):
        m = -(1 << 31)
        _, out = conv_reference([1, 2, 3, 3], [m] * 18, [1, 2, 3, 3], [m] * 18, "int32",
                                padding="valid", output="raw")
        self.assertEqual(out, [wrap_int64(18 * (1 << 62))])
        self.assertEqual(out, [-(1 << 63)])  # 18 * 2^62 = 4.5 * 2^64 -> 2^63 -> Int64.MinValue


class _FakeHttpError(urllib.error.HTTPError):
    def __init__(self, status, body, headers=None):
        import email.message

        msg = email.message.Message()
        for k, v in (headers or {}).items():
            msg[k] = v
        super().__init__("http://x/v1/jobs", status, "reason", msg, io.BytesIO(body))


class ProblemTest(unittest.TestCase):
    def test_a_problem_document_becomes_a_typed_error(self):
        body = json.dumps({"type": "https://dpr.dev/problems/bad-input", "title": "Bad input", "status": 400,
                           "detail": "input: shape [1, 1, 8, 8] of int8 needs 64 bytes, found 63",
                           "field": "input"}).encode()
        e = Client._problem(_FakeHttpError(400, body, {"Content-Type": "application/problem+json"}))
        self.assertIsInstance(e, DprError)
        self.assertEqual((e.status, e.title, e.field, e.retry_after), (400, "Bad input", "input", None))
        self.assertIn("63", e.detail)
        self.assertEqual(e.type, "https://dpr.dev/problems/bad-input")
        self.assertIn("input", str(e))

    def test_retry_after_comes_from_the_header(self):
        body = json.dumps({"title": "Too many jobs", "status": 429, "field": "quota"}).encode()
        e = Client._problem(_FakeHttpError(429, body, {"Retry-After": "3"}))
        self.assertEqual((e.status, e.field, e.retry_after), (429, "quota", 3))

    def test_a_body_that_is_not_json(self):
        e = Client._problem(_FakeHttpError(502, b"bad gateway"))
        self.assertEqual(e.status, 502)
        self.assertEqual(e.detail, "bad gateway")
        self.assertIsNone(e.field)

    def test_job_error(self):
        e = JobError({"id": "j1", "state": "failed", "module": "conv3x3_int8", "error": "boom"})
        self.assertEqual((e.id, e.state, e.error), ("j1", "failed", "boom"))
        self.assertIn("boom", str(e))


class _Recorder(Client):
    """A Client that answers from a table instead of the network."""

    def __init__(self, answers):
        super().__init__("http://127.0.0.1:9", "k")
        self.answers = answers
        self.calls = []

    def _request(self, method, path, body=None, query=None, auth=True, expect_json=True):
        self.calls.append((method, path, body, query))
        answer = self.answers[(method, path)]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(body)
        return answer


MODULES = {"modules": [
    {"name": "conv3x3_int8", "alias": "conv3x3_8bit", "partition": "conv", "kernelSize": 3,
     "precision": "int8", "bytes": 1, "sha256": "00"},
    {"name": "conv5x5_int16", "alias": "conv5x5_16bit", "partition": "conv", "kernelSize": 5,
     "precision": "int16", "bytes": 1, "sha256": "00"},
    {"name": "blur", "partition": "conv", "kernelSize": 3, "precision": "int32", "bytes": 1, "sha256": "00"},
]}


READY = {("GET", "/readyz"): {"status": "ready", "board": "pynq-z2", "partitions": {"conv": "Empty"}}}


def _run_answers(data):
    """What the server answers to load_rm + run_convolution of a 1x1x1x2 int8 job whose result is data."""
    return {("GET", "/readyz"): READY[("GET", "/readyz")],
            ("GET", "/v1/modules"): MODULES,
            ("POST", "/v1/regions/conv/load"): {"partition": "conv", "module": "conv3x3_int8", "hit": True},
            ("POST", "/v1/jobs"): {"id": "j", "state": "queued", "duplicate": False},
            ("GET", "/v1/jobs/j"): {"id": "j", "state": "completed"},
            ("GET", "/v1/jobs/j/result"): {"shape": [1, 1, 1, 2], "data": data, "precision": "int8", "ranOn": "conv"}}


class RequestBodyTest(unittest.TestCase):
    def test_submit_sends_the_contract_body(self):
        c = _Recorder({("POST", "/v1/jobs"): {"id": "abc", "state": "queued", "duplicate": False}})
        id = c.submit("conv5x5_16bit", ([1, 1, 1, 2], [1, -1]), [[[[0] * 5] * 5]], bias=[7], shift=3,
                      stride=2, padding="valid", idempotency_key="k1", priority=2)
        self.assertEqual(id, "abc")
        method, path, body, _ = c.calls[0]
        self.assertEqual(body["module"], "conv5x5_16bit")
        self.assertEqual(body["input"], {"shape": [1, 1, 1, 2],
                                         "data": base64.b64encode(b"\x01\x00\xff\xff").decode()})
        self.assertEqual(body["weights"]["shape"], [1, 1, 5, 5])
        self.assertEqual(len(base64.b64decode(body["weights"]["data"])), 50)
        self.assertEqual((body["bias"], body["shift"], body["stride"], body["padding"], body["output"]),
                         ([7], 3, 2, "valid", "requantized"))
        self.assertEqual(body["idempotencyKey"], "k1")
        self.assertEqual(body["priority"], 2)
        self.assertNotIn("cpuFallback", body)

    def test_a_module_without_a_conv_name_takes_its_precision_from_the_catalog(self):
        c = _Recorder({("GET", "/v1/modules"): MODULES,
                       ("POST", "/v1/jobs"): {"id": "x", "state": "queued", "duplicate": False}})
        c.submit("blur", ([1, 1, 1, 1], [70000]), ([1, 1, 3, 3], [0] * 9))
        body = c.calls[-1][2]
        self.assertEqual(len(base64.b64decode(body["input"]["data"])), 4)

    def test_result_decodes_by_the_result_precision(self):
        data = base64.b64encode(encode([1, -2, 3, -4], "int64")).decode()
        c = _Recorder({("GET", "/v1/jobs/j%2F1/result"): {"shape": [1, 1, 2, 2], "data": data,
                                                          "precision": "int64", "ranOn": "conv"}})
        self.assertEqual(c.result("j/1"), ([1, 1, 2, 2], [1, -2, 3, -4]))

    def test_wait_polls_until_a_final_state(self):
        states = iter(["queued", "running", "completed"])
        c = _Recorder({("GET", "/v1/jobs/j"): lambda body: {"id": "j", "state": next(states)}})
        self.assertEqual(c.wait("j", timeout=5, interval=0.001)["state"], "completed")
        self.assertEqual(len(c.calls), 3)

    def test_wait_times_out(self):
        c = _Recorder({("GET", "/v1/jobs/j"): {"id": "j", "state": "queued"}})
        with self.assertRaises(TimeoutError):
            c.wait("j", timeout=0.05, interval=0.01)

    def test_lists_are_unwrapped(self):
        c = _Recorder({("GET", "/v1/jobs"): {"jobs": [{"id": "a"}]},
                       ("GET", "/v1/regions"): {"regions": [{"partition": "conv"}]},
                       ("GET", "/v1/swaps"): {"swaps": []}})
        self.assertEqual(c.jobs(state="queued"), [{"id": "a"}])
        self.assertEqual(c.calls[-1][3], {"state": "queued", "limit": None})
        self.assertEqual(c.regions(), [{"partition": "conv"}])
        self.assertEqual(c.swaps(partition="conv", before="C"), {"swaps": [], "next": None})
        self.assertEqual(c.calls[-1][3], {"partition": "conv", "limit": 50, "before": "C"})


class OverlayOfflineTest(unittest.TestCase):
    def overlay(self, answers):
        return HybridOverlay(client=_Recorder({**READY, **answers}), use_numpy=False)

    def test_a_tenant_key_only_validates(self):
        forbidden = DprError(403, "Forbidden", "an admin key is needed", "authorization")
        o = self.overlay({("GET", "/v1/modules"): MODULES, ("POST", "/v1/regions/conv/load"): forbidden})
        self.assertIsNone(o.load_rm("CONV3X3_8BIT"))
        self.assertEqual(o.loaded_rm, "CONV3X3_8BIT")
        self.assertEqual(o.loaded_module["name"], "conv3x3_int8")
        o.load_rm("conv5x5_int16")  # no second load attempt once 403 said it is a tenant key
        self.assertEqual(sum(1 for call in o.client.calls if call[0] == "POST"), 1)

    def test_an_admin_key_loads_the_hosting_partition(self):
        o = self.overlay({("GET", "/v1/modules"): MODULES,
                          ("POST", "/v1/regions/conv/load"): lambda body: {"partition": "conv",
                                                                           "module": body["module"],
                                                                           "hit": False}})
        self.assertEqual(o.load_rm("conv5x5_16bit"), {"partition": "conv", "module": "conv5x5_int16",
                                                      "hit": False})

    def test_an_unknown_module(self):
        o = self.overlay({("GET", "/v1/modules"): MODULES})
        with self.assertRaises(DprError) as e:
            o.load_rm("conv7x7_int8")
        self.assertEqual((e.exception.status, e.exception.field), (400, "module"))
        self.assertIsNone(o.loaded_rm)

    def test_available_rms_use_the_original_names(self):
        o = self.overlay({("GET", "/v1/modules"): MODULES})
        self.assertEqual(o.available_rms(), ["conv3x3_8bit", "conv5x5_16bit", "blur"])

    def test_run_convolution_needs_a_module(self):
        o = self.overlay({})
        with self.assertRaises(RuntimeError):
            o.run_convolution([[[[1]]]], [[[[1]]]])

    def test_run_convolution_returns_nested_lists(self):
        data = base64.b64encode(encode([5, 6], "int8")).decode()
        o = self.overlay(_run_answers(data))
        o.load_rm("conv3x3_8bit")
        self.assertEqual(o.run_convolution([[[[1, 2]]]], [[[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]]), [[[[5, 6]]]])
        self.assertEqual(o.client.calls[-4][2]["module"], "conv3x3_int8")

    def test_a_failed_job_raises(self):
        o = self.overlay({("GET", "/v1/modules"): MODULES,
                          ("POST", "/v1/regions/conv/load"): {"partition": "conv", "module": "conv3x3_int8",
                                                              "hit": True},
                          ("POST", "/v1/jobs"): {"id": "j", "state": "queued", "duplicate": False},
                          ("GET", "/v1/jobs/j"): {"id": "j", "state": "failed", "error": "boom"}})
        o.load_rm("conv3x3_8bit")
        with self.assertRaises(JobError) as e:
            o.run_convolution([[[[1]]]], [[[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]])
        self.assertEqual(e.exception.error, "boom")



class _FakeArray:
    """Just enough of numpy.ndarray for the client's glue (numpy itself is optional and absent)."""

    def __init__(self, shape, values, kind="i"):
        self.shape, self.values = tuple(shape), list(values)
        self.dtype = type("dtype", (), {"kind": kind, "__str__": lambda self: "float64" if kind == "f" else "int"})()
        self.ndim = len(self.shape)

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape
        if shape == (-1,):
            shape = (len(self.values),)
        return _FakeArray(shape, self.values, self.dtype.kind)

    def tolist(self):
        return unflatten(list(self.shape), self.values)


class NumpyGlueTest(unittest.TestCase):
    """The numpy paths against a stand-in module in sys.modules (the real numpy is never needed)."""

    def setUp(self):
        import sys
        import types

        self.saved = sys.modules.get("numpy")
        fake = types.ModuleType("numpy")
        fake.ndarray = _FakeArray
        fake.dtype = lambda code: code
        fake.asarray = lambda values, dtype=None: _FakeArray([len(values)], values)
        sys.modules["numpy"] = fake
        self.addCleanup(self.restore)

    def restore(self):
        import sys

        if self.saved is None:
            sys.modules.pop("numpy", None)
        else:
            sys.modules["numpy"] = self.saved

    def test_arrays_are_tensors(self):
        a = _FakeArray([1, 1, 2, 2], [1, -2, 3, -4])
        self.assertEqual(to_shape_and_values(a), ([1, 1, 2, 2], [1, -2, 3, -4]))
        self.assertEqual(to_shape_and_values(([1, 1, 2, 2], _FakeArray([4], [1, 2, 3, 4]))),
                         ([1, 1, 2, 2], [1, 2, 3, 4]))

    def test_float_arrays_are_refused(self):
        with self.assertRaises(TypeError):
            to_shape_and_values(_FakeArray([1, 1, 1, 2], [1.5, 2.0], kind="f"), "input")

    def test_overlay_returns_an_array_for_an_array(self):
        data = base64.b64encode(encode([5, 6], "int8")).decode()
        o = HybridOverlay(client=_Recorder(_run_answers(data)))
        o.load_rm("conv3x3_8bit")
        out = o.run_convolution(_FakeArray([1, 1, 1, 2], [1, 2]), [[[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]])
        self.assertIsInstance(out, _FakeArray)
        self.assertEqual((out.shape, out.values), ((1, 1, 1, 2), [5, 6]))


if __name__ == "__main__":
    unittest.main()
