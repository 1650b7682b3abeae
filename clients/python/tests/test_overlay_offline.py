"""HybridOverlay without a server: what ``HybridOverlay(static_or_board)`` checks (on the real
bitstreams of ../shared/fixtures/real), the weights held per module, one-image inputs, and the JSON the
client sends."""

import json
import os
import shutil
import tempfile
import unittest

from pynqpartial import (
    BoardMismatchError,
    HybridOverlay,
    StaticDesignError,
    check_static_design,
    encode,
    read_bit_header,
)

from .test_tensors import MODULES, READY, _Recorder

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIXTURES = os.path.join(REPO, "..", "shared", "fixtures", "real")


def fixture(name):
    path = os.path.join(FIXTURES, name)
    if not os.path.isfile(path):
        raise FileNotFoundError("%s is missing: the real bitstream fixtures are read from "
                                "../shared/fixtures/real (as .ci/run requires)" % path)
    return path


class BitHeaderTest(unittest.TestCase):
    def test_the_full_pynq_z2_design(self):
        h = read_bit_header(fixture("cv_dfx_4_pr.bit"))
        # the fields of ../shared/fixtures/real/README.md's summary table
        self.assertEqual((h.design, h.part, h.device, h.partial, h.version, h.date, h.time),
                         ("video_cp_wrapper", "7z020clg400", "xc7z020", False, "2020.2.2", "2021/12/17",
                          "01:11:59"))
        self.assertEqual(h.user_id, "0XFFFFFFFF")
        # the bytes after the header: the sync word is at 162, after 12 pad and bus-width words
        self.assertEqual(h.length, 4045678 - (162 - 12 * 4))

    def test_partials_and_other_devices(self):
        self.assertTrue(read_bit_header(fixture("pr_0_gpio.bit")).partial)
        self.assertEqual(read_bit_header(fixture("zybo_swbut_design.bit")).device, "xc7z010")
        self.assertEqual(read_bit_header(fixture("arty-a7_swbut_design.bit")).device, "xc7a35t")

    def test_what_is_not_a_bit_file(self):
        work = tempfile.mkdtemp(prefix="dpr-bit-")
        self.addCleanup(shutil.rmtree, work)
        text = os.path.join(work, "static_design.bit")
        with open(text, "w") as f:
            f.write("not a bitstream\n")
        with self.assertRaises(StaticDesignError) as e:
            read_bit_header(text)
        self.assertEqual((e.exception.path, e.exception.offset), (text, 0))
        truncated = os.path.join(work, "truncated.bit")
        with open(fixture("cv_dfx_4_pr.bit"), "rb") as f:
            head = f.read(4096)
        with open(truncated, "wb") as f:
            f.write(head)
        with self.assertRaises(StaticDesignError) as e:
            read_bit_header(truncated)
        self.assertIn("field 'e'", e.exception.reason)
        self.assertEqual(e.exception.offset, 162 - 12 * 4)  # where the configuration stream starts


class StaticDesignCheckTest(unittest.TestCase):
    def test_the_board_s_full_design_is_accepted(self):
        self.assertEqual(check_static_design(fixture("cv_dfx_4_pr.bit"), "pynq-z2").device, "xc7z020")
        self.assertEqual(check_static_design(fixture("cv_dfx_4_pr.bit"), "PYNQ-Z2-composable").part,
                         "7z020clg400")

    def test_another_device_a_partial_and_a_missing_file_are_refused(self):
        with self.assertRaises(StaticDesignError) as e:
            check_static_design(fixture("zybo_swbut_design.bit"), "pynq-z2")
        self.assertIn("xc7z010", str(e.exception))
        self.assertIn("xc7z020", str(e.exception))
        with self.assertRaises(StaticDesignError) as e:
            check_static_design(fixture("pr_0_gpio.bit"), "pynq-z2")
        self.assertIn("partial", str(e.exception))
        with self.assertRaises(FileNotFoundError):
            check_static_design(os.path.join(FIXTURES, "static_design.bit"), "pynq-z2")

    def test_a_board_profile_unknown_here_checks_no_device(self):
        self.assertEqual(check_static_design(fixture("arty-a7_swbut_design.bit"), "my-arty").device, "xc7a35t")


class OverlayConstructionTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="dpr-overlay-")
        self.addCleanup(shutil.rmtree, self.work)
        self.saved = {k: os.environ.get(k) for k in ("DPR_URL", "DPR_KEY")}
        self.addCleanup(self.restore_env)

    def restore_env(self):
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def client(self):
        return _Recorder(dict(READY))

    def test_the_board_s_name(self):
        self.assertEqual(HybridOverlay("pynq-z2", client=self.client()).board, "pynq-z2")
        self.assertIsNone(HybridOverlay("PYNQ-Z2", client=self.client()).static_design)
        with self.assertRaises(BoardMismatchError) as e:
            HybridOverlay("zcu104", client=self.client())
        self.assertEqual((e.exception.expected, e.exception.actual), ("zcu104", "pynq-z2"))

    def test_the_static_design_s_path(self):
        static = os.path.join(self.work, "static_design.bit")
        with self.assertRaises(FileNotFoundError):
            HybridOverlay(static, client=self.client())
        shutil.copyfile(fixture("zybo_swbut_design.bit"), static)
        with self.assertRaises(StaticDesignError):
            HybridOverlay(static, client=self.client())
        shutil.copyfile(fixture("cv_dfx_4_pr.bit"), static)
        overlay = HybridOverlay(static, client=self.client())
        self.assertEqual((overlay.static_design.design, overlay.static_design.device),
                         ("video_cp_wrapper", "xc7z020"))

    def test_url_and_key_come_from_the_environment(self):
        os.environ.pop("DPR_KEY", None)
        os.environ["DPR_URL"] = "http://127.0.0.1:9"
        with self.assertRaises(ValueError) as e:
            HybridOverlay("pynq-z2")
        self.assertIn("DPR_KEY", str(e.exception))
        os.environ["DPR_KEY"] = "k-from-env"
        with self.assertRaises(OSError):  # nothing listens on port 9: the readiness check fails at once
            HybridOverlay("pynq-z2", timeout=5)

    def test_the_0_1_form_url_and_key(self):
        # HybridOverlay(url, key): the key lands in `url` and is moved to `key`, then the readiness
        # request fails (nothing listens on port 9); without any key, ValueError before a request
        os.environ.pop("DPR_KEY", None)
        with self.assertRaises(OSError):
            HybridOverlay("http://127.0.0.1:9", "k", timeout=5)
        with self.assertRaises(ValueError):
            HybridOverlay("http://127.0.0.1:9")


def _answers(results):
    """A server that completes job j with ``results[0]``, then j with the next, ... (flat int8
    values of shape [1, 1, 1, 2])."""
    import base64

    queue = list(results)

    def result(_body):
        return {"shape": queue[0][0], "data": base64.b64encode(encode(queue.pop(0)[1], "int8")).decode(),
                "precision": "int8", "ranOn": "conv"}

    return {**READY,
            ("GET", "/v1/modules"): MODULES,
            ("POST", "/v1/regions/conv/load"): lambda body: {"partition": "conv", "module": body["module"],
                                                              "hit": False},
            ("POST", "/v1/jobs"): {"id": "j", "state": "queued", "duplicate": False},
            ("GET", "/v1/jobs/j"): {"id": "j", "state": "completed"},
            ("GET", "/v1/jobs/j/result"): result}


class WeightsPerModuleTest(unittest.TestCase):
    def overlay(self, results=()):
        return HybridOverlay("pynq-z2", client=_Recorder(_answers(results)), use_numpy=False)

    def jobs(self, overlay):
        return [c[2] for c in overlay.client.calls if c[:2] == ("POST", "/v1/jobs")]

    def test_run_convolution_uses_the_loaded_module_s_weights(self):
        o = self.overlay([([1, 1, 1, 2], [5, 6]), ([1, 1, 1, 2], [7, 8])])
        o.load_rm("conv3x3_8bit")
        with self.assertRaises(RuntimeError) as e:
            o.run_convolution([[[[1, 2]]]])
        self.assertIn("set_weights", str(e.exception))
        o.set_weights([[0, 0, 0], [0, 2, 0], [0, 0, 0]], bias=[3], shift=1)
        o.set_weights([[0] * 5] * 5, bias=[-1], shift=4, rm="conv5x5_16bit")  # another module's
        self.assertEqual(o.run_convolution([[[[1, 2]]]]), [[[[5, 6]]]])
        body = self.jobs(o)[-1]
        self.assertEqual((body["module"], body["weights"]["shape"], body["bias"], body["shift"]),
                         ("conv3x3_int8", [1, 1, 3, 3], [3], 1))
        # explicit weights win for one call, and leave the module's alone
        o.run_convolution([[[[1, 2]]]], [[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]]])
        body = self.jobs(o)[-1]
        self.assertEqual((body.get("bias"), body["shift"]), (None, 0))
        self.assertEqual(o.get_weights()["bias"], [3])
        self.assertEqual(o.get_weights("conv5x5_16bit")["shift"], 4)

    def test_set_weights_checks_at_once(self):
        o = self.overlay()
        with self.assertRaises(RuntimeError):
            o.set_weights([[1]])  # no module loaded
        o.load_rm("conv3x3_8bit")
        with self.assertRaises(ValueError):
            o.set_weights([[0] * 5] * 5)  # K=5 on a 3x3 module
        with self.assertRaises(ValueError):
            o.set_weights([[0, 0, 0], [0, 200, 0], [0, 0, 0]])  # 200 is not an int8
        with self.assertRaises(ValueError):
            o.set_weights([[[[0] * 3] * 3]] * 2, bias=[1])  # two output channels, one bias
        with self.assertRaises(TypeError):
            o.set_weights([[0] * 3] * 3, shift=1.5)
        self.assertIsNone(o.get_weights())

    def test_one_image_in_one_image_out(self):
        o = self.overlay([([1, 1, 1, 2], [5, 6]), ([1, 2, 1, 2], [1, 2, 3, 4])])
        o.load_rm("conv3x3_int8")
        o.set_weights([[0, 0, 0], [0, 1, 0], [0, 0, 0]])
        self.assertEqual(o.run_convolution([[1, 2]]), [[5, 6]])
        self.assertEqual(self.jobs(o)[-1]["input"]["shape"], [1, 1, 1, 2])
        o.set_weights([[[[0] * 3] * 3]] * 2)  # two output channels: [Cout, H, W]
        self.assertEqual(o.run_convolution([[1, 2]]), [[[1, 2]], [[3, 4]]])
        with self.assertRaises(ValueError):
            o.run_convolution([[[1, 2]]])  # CHW is neither form

    def test_the_body_has_the_documented_names_and_integer_numbers(self):
        class Int:  # an integer that is not an int, as numpy.int64 is
            def __init__(self, v):
                self.v = v

            def __index__(self):
                return self.v

        o = self.overlay([([1, 1, 1, 2], [5, 6])])
        o.load_rm("conv3x3_8bit")
        o.set_weights([[0] * 3] * 3, bias=[Int(2)], shift=Int(3))
        o.run_convolution([[1, 2]], stride=Int(1))
        body = self.jobs(o)[-1]
        self.assertEqual(sorted(body), ["bias", "input", "module", "output", "padding", "shift", "stride", "weights"])
        self.assertEqual(sorted(body["input"]), ["data", "shape"])
        text = json.dumps(body)
        self.assertIn('"shift": 3', text)
        self.assertIn('"stride": 1', text)
        self.assertIn('"bias": [2]', text)
        with self.assertRaises(TypeError):
            o.run_convolution([[1, 2]], stride=1.0)


if __name__ == "__main__":
    unittest.main()
