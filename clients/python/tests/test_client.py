"""The client against a real ``dpr serve`` (docs/api.md).

Each test starts ``dotnet DPR_DLL serve`` on a free port with a fresh data directory holding two
keys (``alice``, a tenant, and ``ops``, an admin), and stops it with SIGTERM, which must end it
with exit code 0 within 30 s. ``DPR_DLL`` (environment) or the Debug/Release build of src/Host is
used; build first (``dotnet build Actors.sln``).
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from pynqpartial_client import Client, DprError, HybridOverlay, unflatten

from .reference import conv_reference

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
READY_TIMEOUT = 60
STOP_TIMEOUT = 30
JOB_TIMEOUT = 60


def find_dll():
    explicit = os.environ.get("DPR_DLL")
    if explicit:
        if not os.path.isfile(explicit):
            raise FileNotFoundError("DPR_DLL=%s does not exist" % explicit)
        return explicit
    for configuration in ("Debug", "Release"):
        path = os.path.join(REPO, "src", "Host", "bin", configuration, "net10.0", "dpr.dll")
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("no dpr.dll under src/Host/bin/{Debug,Release}/net10.0: run "
                            "`dotnet build Actors.sln` first, or set DPR_DLL")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dotnet_env():
    env = dict(os.environ)
    env.setdefault("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
    env.setdefault("DOTNET_NOLOGO", "1")
    return env


class DprServer:
    """``dpr serve`` in a throwaway data directory, with an ``alice`` and an admin ``ops`` key."""

    def __init__(self, env=None):
        self.dll = find_dll()
        self.env = dict(env or {})  # settings for the service, e.g. {"DPR__PLACEMENT": "lru"}
        self.data = tempfile.mkdtemp(prefix="dpr-pyclient-")
        self.process = None
        self.log_path = os.path.join(self.data, "serve.log")
        self._log = None
        self.url = None

    def _cli(self, *args):
        done = subprocess.run(["dotnet", self.dll] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=dotnet_env(), timeout=120,
                              universal_newlines=True)
        if done.returncode != 0:
            raise RuntimeError("dpr %s exited with %d\nstdout:\n%s\nstderr:\n%s"
                               % (" ".join(args), done.returncode, done.stdout, done.stderr))
        return done.stdout

    def add_tenant(self, name, admin=False):
        args = ["tenants", "add", name] + (["--admin"] if admin else []) + ["--data", self.data]
        lines = [line.strip() for line in self._cli(*args).splitlines() if line.strip()]
        if not lines:
            raise RuntimeError("dpr tenants add %s printed no key" % name)
        return lines[-1]

    def start(self):
        self.alice = self.add_tenant("alice")
        self.ops = self.add_tenant("ops", admin=True)
        port = free_port()
        self.url = "http://127.0.0.1:%d" % port
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            ["dotnet", self.dll, "serve", "--data", self.data, "--urls", self.url],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=dict(dotnet_env(), **self.env))
        deadline = time.monotonic() + READY_TIMEOUT
        last = None
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("dpr serve exited with %d before it was ready\n%s"
                                   % (self.process.returncode, self.log()))
            try:
                with opener.open(self.url + "/readyz", timeout=5) as r:
                    if r.status == 200:
                        return
                    last = r.status
            except urllib.error.HTTPError as e:
                last = e.code
            except (urllib.error.URLError, ConnectionError, socket.timeout) as e:
                last = e
            time.sleep(0.2)
        self.kill()
        raise RuntimeError("GET /readyz did not answer 200 within %ds (last: %s)\n%s"
                           % (READY_TIMEOUT, last, self.log()))

    def stop(self):
        """SIGTERM; the exit code (None if it did not end within STOP_TIMEOUT, then killed)."""
        if self.process is None:
            return None
        code = self.process.poll()
        if code is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                code = None
                self.kill()
        return code

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def log(self, tail=6000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-tail:]
        except OSError:
            return ""

    def cleanup(self):
        if self._log is not None:
            self._log.close()
        shutil.rmtree(self.data, ignore_errors=True)


def random_tensor(rng, shape, lo, hi):
    n = 1
    for d in shape:
        n *= d
    return [rng.randint(lo, hi) for _ in range(n)]


class ServeTest(unittest.TestCase):
    def setUp(self):
        self.server = DprServer()
        try:
            self.server.start()
        except BaseException:
            self.server.kill()
            self.server.cleanup()
            raise
        self.url = self.server.url
        self.alice = Client(self.url, self.server.alice, timeout=30)
        self.ops = Client(self.url, self.server.ops, timeout=30)

    def tearDown(self):
        server = self.server
        try:
            code = server.stop()
            log = server.log()
        finally:
            server.cleanup()
        self.assertEqual(code, 0, "dpr serve did not exit with 0 within %ds after SIGTERM (code %s)\n%s"
                         % (STOP_TIMEOUT, code, log))

    # -----------------------------------------------------------------------------------------

    def run_job(self, client, module, precision, x_shape, x, w_shape, w, **options):
        id = client.submit(module, (x_shape, x), (w_shape, w), **options)
        self.assertIsInstance(id, str)
        job = client.wait(id, JOB_TIMEOUT)
        self.assertEqual(job["state"], "completed", job)
        self.assertEqual(job["id"], id)
        shape, values = client.result(id)
        ref_options = {k: v for k, v in options.items() if k != "idempotency_key"}
        expected = conv_reference(x_shape, x, w_shape, w, precision, **ref_options)
        self.assertEqual(shape, expected[0])
        self.assertEqual(values, expected[1], "output of %s %s differs from the reference" % (module, options))
        return id, job

    def test_int8_3x3_matches_the_reference(self):
        rng = random.Random(8)
        x_shape, w_shape = [1, 2, 6, 7], [3, 2, 3, 3]
        x = random_tensor(rng, x_shape, -128, 127)
        w = random_tensor(rng, w_shape, -128, 127)
        id, job = self.run_job(self.alice, "conv3x3_int8", "int8", x_shape, x, w_shape, w,
                               bias=[5, -1000, 70000], shift=7)
        self.assertEqual(job["module"].lower(), "conv3x3_int8")
        self.assertTrue(job.get("partition"), job)
        doc = self.alice.result_document(id)
        self.assertEqual(doc["precision"], "int8")
        self.assertTrue(doc.get("ranOn"), doc)
        # stride 2, valid, by its alias, and the raw accumulators as int64
        self.run_job(self.alice, "conv3x3_8bit", "int8", x_shape, x, w_shape, w, stride=2, padding="valid",
                     shift=3)
        id, _ = self.run_job(self.alice, "conv3x3_int8", "int8", x_shape, x, w_shape, w, output="raw",
                             bias=[1 << 40, 0, -3])
        self.assertEqual(self.alice.result_document(id)["precision"], "int64")
        # nested lists too, with the rounding cases that saturate
        nested_x = [[[[127, -128, 1], [0, 64, -65], [3, -3, 2]]]]
        nested_w = [[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]], [[[-1, 2, -3], [4, -5, 6], [-7, 8, -9]]]]
        id = self.alice.submit("conv3x3_int8", nested_x, nested_w, shift=1)
        self.assertEqual(self.alice.wait(id, JOB_TIMEOUT)["state"], "completed")
        shape, values = self.alice.result(id)
        self.assertEqual((shape, values), conv_reference([1, 1, 3, 3], sum(sum(nested_x[0], []), []),
                                                         [2, 1, 3, 3], [v for co in nested_w for ci in co
                                                                        for row in ci for v in row],
                                                         "int8", shift=1))

    def test_int16_5x5_matches_the_reference(self):
        rng = random.Random(16)
        x_shape, w_shape = [2, 2, 9, 8], [2, 2, 5, 5]
        x = random_tensor(rng, x_shape, -32768, 32767)
        w = random_tensor(rng, w_shape, -32768, 32767)
        self.run_job(self.alice, "conv5x5_int16", "int16", x_shape, x, w_shape, w, shift=20, stride=2,
                     bias=[123456789, -987654321])
        self.run_job(self.alice, "conv5x5_16bit", "int16", x_shape, x, w_shape, w, shift=15,
                     padding="valid")

    def test_overlay_with_an_admin_key_loads_and_runs(self):
        overlay = HybridOverlay(self.url, self.server.ops, use_numpy=False)
        self.assertIn("conv3x3_8bit", overlay.available_rms())
        answer = overlay.load_rm("conv3x3_8bit")
        self.assertEqual(overlay.loaded_rm, "conv3x3_8bit")
        self.assertIsNotNone(answer, "an admin key should load the module")
        partition = overlay.loaded_module["partition"]
        self.assertEqual(answer["partition"], partition)
        self.assertEqual(answer["module"].lower(), "conv3x3_int8")
        regions = {r["partition"]: r for r in self.ops.regions()}
        self.assertIn(partition, regions)
        self.assertEqual((regions[partition].get("module") or "").lower(), "conv3x3_int8", regions[partition])
        self.assertEqual(regions[partition]["status"], "Loaded")
        self.assertTrue(overlay.load_rm("conv3x3_int8")["hit"])  # already there

        rng = random.Random(3)
        x_shape, w_shape = [1, 1, 5, 5], [2, 1, 3, 3]
        x = random_tensor(rng, x_shape, -128, 127)
        w = random_tensor(rng, w_shape, -128, 127)
        out = overlay.run_convolution(unflatten(x_shape, x), unflatten(w_shape, w), bias=[1, 2], shift=6)
        expected_shape, expected = conv_reference(x_shape, x, w_shape, w, "int8", bias=[1, 2], shift=6)
        self.assertEqual(out, unflatten(expected_shape, expected))

        swaps = self.ops.swaps(partition=partition)
        self.assertTrue(any(s["module"].lower() == "conv3x3_int8" for s in swaps["swaps"]), swaps)

    def test_overlay_with_a_tenant_key_only_validates(self):
        overlay = HybridOverlay(self.url, self.server.alice, use_numpy=False)
        self.assertIsNone(overlay.load_rm("conv5x5_16bit"))
        x = [[[list(range(r * 6, r * 6 + 6)) for r in range(6)]]]
        w = [[[[1 if (i + j) % 2 else -1 for j in range(5)] for i in range(5)]]]
        out = overlay.run_convolution(x, w, stride=2)
        shape, values = conv_reference([1, 1, 6, 6], list(range(36)), [1, 1, 5, 5],
                                       [v for row in w[0][0] for v in row], "int16", stride=2)
        self.assertEqual(out, unflatten(shape, values))
        with self.assertRaises(DprError) as e:
            overlay.load_rm("conv7x7_int8")
        self.assertEqual((e.exception.status, e.exception.field), (400, "module"))

    def test_tenants_are_isolated(self):
        id = self.ops.submit("conv3x3_int8", ([1, 1, 3, 3], [1] * 9), ([1, 1, 3, 3], [1] * 9))
        self.assertEqual(self.ops.wait(id, JOB_TIMEOUT)["state"], "completed")
        for call in (lambda: self.alice.job(id), lambda: self.alice.result(id), lambda: self.alice.cancel(id)):
            with self.assertRaises(DprError) as e:
                call()
            self.assertEqual(e.exception.status, 404)
        self.assertNotIn(id, [j["id"] for j in self.alice.jobs()])
        self.assertIn(id, [j["id"] for j in self.ops.jobs()])
        # and exactly like a job that does not exist
        with self.assertRaises(DprError) as e:
            self.alice.job("00000000-0000-0000-0000-000000000000")
        self.assertEqual(e.exception.status, 404)

    def test_bad_input_names_the_field(self):
        x, w = ([1, 1, 4, 4], [0] * 16), ([1, 1, 3, 3], [0] * 9)
        with self.assertRaises(DprError) as e:
            self.alice.submit("conv3x3_int8", x, w, stride=3)
        self.assertEqual((e.exception.status, e.exception.field), (400, "stride"), e.exception)
        with self.assertRaises(DprError) as e:
            self.alice.submit("conv7x7_int8", x, w)
        self.assertEqual((e.exception.status, e.exception.field), (400, "module"), e.exception)
        with self.assertRaises(DprError) as e:
            self.alice.submit("conv3x3_int8", x, w, padding="full")
        self.assertEqual((e.exception.status, e.exception.field), (400, "padding"), e.exception)
        with self.assertRaises(DprError) as e:
            self.alice.submit("conv3x3_int8", x, w, bias=[1, 2])
        self.assertEqual(e.exception.status, 400)
        self.assertIn(e.exception.field, ("bias", "bias.shape"), e.exception)
        # a byte count that does not match the shape, sent by hand
        body = {"module": "conv3x3_int8", "input": {"shape": [1, 1, 8, 8], "data": "A" * 84},
                "weights": {"shape": [1, 1, 3, 3], "data": "AAAAAAAAAAAA"}}
        with self.assertRaises(DprError) as e:
            self.alice._request("POST", "/v1/jobs", body)
        self.assertEqual(e.exception.status, 400)
        self.assertTrue((e.exception.field or "").startswith("input"), e.exception)
        self.assertTrue(e.exception.title, e.exception)
        self.assertTrue(e.exception.detail, e.exception)

    def test_keys(self):
        for key in ("not-a-key", None):
            with self.assertRaises(DprError) as e:
                Client(self.url, key).jobs()
            self.assertEqual((e.exception.status, e.exception.field), (401, "authorization"), e.exception)
        with self.assertRaises(DprError) as e:
            self.alice.load(self.alice.regions()[0]["partition"], "conv3x3_int8")
        self.assertEqual((e.exception.status, e.exception.field), (403, "authorization"), e.exception)

    def test_board_and_operations(self):
        self.assertEqual(self.alice.health()["status"], "ok")
        self.assertTrue(self.alice.ready())
        modules = self.alice.modules()
        names = {m["name"].lower() for m in modules}
        for k in (3, 5):
            for p in (8, 16, 32):
                self.assertIn("conv%dx%d_int%d" % (k, k, p), names)
        regions = self.alice.regions()
        self.assertTrue(regions)
        partition = regions[0]["partition"]
        region = self.ops.reset(partition)
        self.assertEqual(region["partition"], partition)
        page = self.alice.swaps(limit=5)
        self.assertIn("swaps", page)
        self.assertIn("next", page)

    def test_swap_history_pages(self):
        partition = self.ops.regions()[0]["partition"]
        loads = ["conv3x3_int8", "conv5x5_int16", "conv3x3_int32", "conv5x5_int8"]
        for module in loads:
            answer = self.ops.load(partition, module)
            self.assertEqual((answer["partition"], answer["module"], answer["hit"]), (partition, module, False))
        seen, before = [], None
        for _ in range(10):
            page = self.alice.swaps(partition=partition, limit=3, before=before)
            self.assertLessEqual(len(page["swaps"]), 3)
            seen.extend(page["swaps"])
            before = page["next"]
            if before is None:
                break
        self.assertEqual([s["module"] for s in seen], list(reversed(loads)), seen)  # newest first
        self.assertTrue(all(s["outcome"] == "completed" and s["partition"] == partition for s in seen), seen)
        self.assertEqual(len({s["swapId"] for s in seen}), len(loads))

    def test_tenants_by_api(self):
        created = self.ops.add_tenant("bob")
        self.assertEqual((created["name"], created["admin"]), ("bob", False))
        bob = Client(self.url, created["key"])
        self.assertEqual(bob.jobs(), [])
        self.assertIn("bob", [t["name"] for t in self.ops.tenants()])
        with self.assertRaises(DprError) as e:
            bob.add_tenant("eve", admin=True)
        self.assertEqual((e.exception.status, e.exception.field), (403, "authorization"))

    def test_keys_rotated_and_revoked_and_the_audit_trail(self):
        created = self.ops.add_tenant("carol")
        rotated = self.ops.rotate_key("carol", key_name="ci")
        self.assertEqual((rotated["name"], rotated["prefix"]), ("ci", rotated["key"][:12]))
        self.assertEqual([k["name"] for k in self.ops.tenant("carol")["keys"]], ["default", "ci"])
        revoked = self.ops.revoke_key("carol", "default")
        self.assertEqual([k["name"] for k in revoked["revoked"]], ["default"])
        with self.assertRaises(DprError) as e:
            Client(self.url, created["key"]).jobs()
        self.assertEqual(e.exception.status, 401)
        self.assertEqual(Client(self.url, rotated["key"]).jobs(), [])
        # Newest first; the CLI's entries (the tenants made before the start) may be stored in between.
        entries = self.ops.audit(limit=10)["entries"]
        actions = [(e["action"], e["by"], e["outcome"]) for e in entries if e.get("target") == "carol"]
        self.assertEqual(actions, [("key.revoke", "ops", "ok"), ("key.rotate", "ops", "ok"), ("tenant.add", "ops", "ok")], entries)

    def test_cancel_and_idempotency(self):
        x, w = ([1, 1, 3, 3], [1] * 9), ([1, 1, 3, 3], [1] * 9)
        first = self.alice.submit_job("conv3x3_int8", x, w, idempotency_key="layer-1")
        again = self.alice.submit_job("conv3x3_int8", x, w, idempotency_key="layer-1")
        self.assertEqual(again["id"], first["id"])
        self.assertTrue(again["duplicate"])
        self.assertFalse(first["duplicate"])
        id = self.alice.submit("conv3x3_int8", x, w)
        try:
            answer = self.alice.cancel(id)
            self.assertEqual((answer["id"], answer["state"]), (id, "cancelled"))
            # A GET right after the 200 may still say "queued" for a moment (the server's job view
            # lags its dispatcher); the job must end cancelled, never run.
            self.assertEqual(self.alice.wait(id, JOB_TIMEOUT)["state"], "cancelled")
            with self.assertRaises(DprError) as e:
                self.alice.result(id)
            self.assertEqual((e.exception.status, e.exception.field), (409, "state"))
        except DprError as e:  # it was already running or done
            self.assertEqual((e.status, e.field), (409, "state"), e)
        self.assertIn(self.alice.wait(id, JOB_TIMEOUT)["state"], ("completed", "cancelled"))


if __name__ == "__main__":
    unittest.main()
