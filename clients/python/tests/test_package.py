"""The package as PYNQ users get it: ``pip install ./clients/python`` into fresh virtual environments,
offline, then the original ``pynqpartial`` example and the notebook under ``examples/`` against a real
``dpr serve`` (started with ``Dpr:Placement`` lru, so the policy shown is known).

Two environments, made by the Debian interpreter (``/usr/bin/python3``, where apt installs
python3-numpy, python3-setuptools and python3-nbclient; ``$DPR_PYTHON`` overrides it):

* ``numpy/``: ``python3 -m venv --system-site-packages``, then ``pip install --no-index
  --no-build-isolation`` of a copy of clients/python (setuptools and numpy are Debian's): arrays in
  and out, and the notebook through nbclient and an ipykernel of this environment when Debian's
  python3-nbclient and python3-ipykernel are installed;
* ``plain/``: ``python3 -m venv`` without system packages, then ``pip install --no-index`` of the
  wheel the first one built: no numpy, nested lists in and out, the notebook's code cells run in
  order by this interpreter.

Nothing is imported from the source tree there: the scripts run in a scratch directory and the test
checks that ``pynqpartial`` came from the environment's site-packages.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

from pynqpartial import BoardMismatchError, HybridOverlay, StaticDesignError, unflatten

from .reference import conv_reference
from .test_client import REPO, STOP_TIMEOUT, DprServer

SOURCE = os.path.join(REPO, "clients", "python")
NOTEBOOK = os.path.join(SOURCE, "examples", "hybrid_overlay.ipynb")
STATIC = os.path.join(REPO, "..", "shared", "fixtures", "real", "cv_dfx_4_pr.bit")  # a full xc7z020 design
STEP_TIMEOUT = 300


def base_python():
    explicit = os.environ.get("DPR_PYTHON")
    if explicit:
        return explicit
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def run(args, cwd=None, env=None, stdin=None):
    done = subprocess.run(args, cwd=cwd, env=env, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=STEP_TIMEOUT)
    if done.returncode != 0:
        raise AssertionError("%s exited with %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), done.returncode, done.stdout[-4000:], done.stderr[-4000:]))
    return done.stdout


def bin_of(venv, name):
    return os.path.join(venv, "bin", name)


def flat(nested):
    out = []
    for v in nested:
        out.extend(flat(v) if isinstance(v, list) else [v])
    return out


# The original package's example, as written, with the one line dpr adds (set_weights: the service's
# modules hold no weights). The case comes on stdin; the outcome goes to stdout as JSON.
SEED = textwrap.dedent('''
    import json, sys
    case = json.load(sys.stdin)
    try:
        import numpy as np
        input_data = np.array(case["input"], dtype=np.int8)
    except ImportError:
        input_data = case["input"]

    from pynqpartial import HybridOverlay

    overlay = HybridOverlay("static_design.bit")
    overlay.load_rm("conv3x3_8bit")
    overlay.set_weights(case["weights"], bias=case["bias"], shift=case["shift"])
    result = overlay.run_convolution(input_data)

    print(json.dumps({"type": type(result).__module__ + "." + type(result).__name__,
                      "dtype": str(getattr(result, "dtype", "")),
                      "result": result.tolist() if hasattr(result, "tolist") else result,
                      "loaded_rm": overlay.loaded_rm, "available_rms": list(overlay.available_rms),
                      "policy": overlay.replacement_policy, "board": overlay.board,
                      "static_design": overlay.static_design.as_dict(), "loaded": overlay.last_load,
                      "file": sys.modules["pynqpartial"].__file__}))
''')

# Appended to the notebook by the test only: what its cells left behind.
PROBE = textwrap.dedent('''
    import json as _json, sys as _sys
    _plain = lambda v: v.tolist() if hasattr(v, "tolist") else v
    print("PROBE " + _json.dumps({"input": _plain(input_data), "result": _plain(result), "box": _plain(box),
                                  "again": _plain(again), "type": type(result).__name__,
                                  "dtype": str(getattr(result, "dtype", "")), "policy": overlay.replacement_policy,
                                  "file": _sys.modules["pynqpartial"].__file__}))
''')

# Runs a notebook's code cells in order in one namespace (the fallback without nbclient).
CELLS = textwrap.dedent('''
    import json, sys
    notebook = json.load(open(sys.argv[1]))
    assert notebook["nbformat"] == 4, notebook["nbformat"]
    namespace = {"__name__": "__main__"}
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), "cell %d" % i, "exec"), namespace)
    exec(compile(sys.stdin.read(), "probe", "exec"), namespace)
''')

# Runs a notebook through nbclient with the kernel "dpr-venv" (this environment's ipykernel).
NBCLIENT = textwrap.dedent('''
    import sys
    import nbformat
    from nbclient import NotebookClient
    notebook = nbformat.read(sys.argv[1], as_version=4)
    nbformat.validate(notebook)
    notebook.cells.append(nbformat.v4.new_code_cell(sys.stdin.read()))
    NotebookClient(notebook, timeout=180, kernel_name="dpr-venv",
                   resources={"metadata": {"path": sys.argv[2]}}).execute()
    for output in notebook.cells[-1].outputs:
        if output.get("name") == "stdout":
            sys.stdout.write(output["text"])
''')


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="dpr-pypackage-")
        try:
            cls._install()
            cls.server = DprServer(env={"DPR__PLACEMENT": "lru"})
            try:
                cls.server.start()
            except BaseException:
                cls.server.kill()
                cls.server.cleanup()
                raise
        except BaseException:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def _install(cls):
        python = base_python()
        env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
        env.pop("PYTHONPATH", None)
        cls.env = env
        # a copy, so that the in-tree build leaves nothing in the repository
        source = os.path.join(cls.work, "source")
        shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__",
                                                                     "tests", "examples"))
        cls.numpy_env = os.path.join(cls.work, "numpy")
        run([python, "-m", "venv", "--system-site-packages", cls.numpy_env], env=env)
        run([bin_of(cls.numpy_env, "python"), "-m", "pip", "install", "--no-index", "--no-build-isolation",
             source], cwd=cls.work, env=env)
        wheels = os.path.join(cls.work, "wheels")
        run([bin_of(cls.numpy_env, "python"), "-m", "pip", "wheel", "--no-index", "--no-build-isolation",
             "--no-deps", "-w", wheels, source], cwd=cls.work, env=env)
        cls.wheel = [os.path.join(wheels, w) for w in os.listdir(wheels) if w.endswith(".whl")]
        cls.plain_env = os.path.join(cls.work, "plain")
        run([python, "-m", "venv", cls.plain_env], env=env)
        run([bin_of(cls.plain_env, "python"), "-m", "pip", "install", "--no-index"] + cls.wheel,
            cwd=cls.work, env=env)
        cls.scratch = os.path.join(cls.work, "notebooks")
        os.makedirs(cls.scratch)
        shutil.copyfile(STATIC, os.path.join(cls.scratch, "static_design.bit"))

    @classmethod
    def tearDownClass(cls):
        server = cls.server
        try:
            code = server.stop()
            log = server.log()
        finally:
            server.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
        if code != 0:
            raise AssertionError("dpr serve did not exit with 0 within %ds after SIGTERM (code %s)\n%s"
                                 % (STOP_TIMEOUT, code, log))

    def service_env(self, key):
        return dict(self.env, DPR_URL=self.server.url, DPR_KEY=key)

    def python(self, venv, code, key, stdin="", args=()):
        return run([bin_of(venv, "python"), "-c", code] + list(args), cwd=self.scratch,
                   env=self.service_env(key), stdin=stdin)

    def assert_installed_in(self, venv, module_file):
        self.assertTrue(os.path.realpath(module_file).startswith(os.path.realpath(venv) + os.sep),
                        "pynqpartial came from %s, not from the environment %s" % (module_file, venv))
        self.assertIn("site-packages", module_file)

    # -----------------------------------------------------------------------------------------

    def test_the_package_installs_offline_into_fresh_environments(self):
        self.assertEqual([os.path.basename(w) for w in self.wheel], ["pynqpartial-0.2.0-py3-none-any.whl"])
        probe = ("import json, pynqpartial, pynqpartial_client, pynqpartial_client.tensors\n"
                 "try:\n    import numpy\nexcept ImportError:\n    numpy = None\n"
                 "print(json.dumps([pynqpartial.__file__, pynqpartial.__version__,"
                 " pynqpartial_client.HybridOverlay is pynqpartial.HybridOverlay,"
                 " pynqpartial_client.tensors is pynqpartial.tensors, numpy is not None]))")
        for venv, has_numpy in ((self.numpy_env, True), (self.plain_env, False)):
            path, version, same_class, same_module, numpy = json.loads(self.python(venv, probe, "unused"))
            self.assert_installed_in(venv, path)
            self.assertEqual((version, same_class, same_module), ("0.2.0", True, True))
            self.assertEqual(numpy, has_numpy, "numpy importable in %s: %s (install python3-numpy, as "
                                               ".ci/run does)" % (venv, numpy))

    def seed_case(self, seed):
        rng = random.Random(seed)
        image = [[rng.randint(-128, 127) for _ in range(28)] for _ in range(28)]
        weights = [[rng.randint(-128, 127) for _ in range(3)] for _ in range(3)]
        return {"input": image, "weights": weights, "bias": [rng.randint(-5000, 5000)], "shift": 7}

    def expected(self, case, k=3, precision="int8"):
        shape, values = conv_reference([1, 1, 28, 28], flat(case["input"]), [1, 1, k, k], flat(case["weights"]),
                                       precision, bias=case["bias"], shift=case["shift"])
        return unflatten(shape[2:], values)

    def test_the_seed_example_with_numpy_and_a_tenant_key(self):
        case = self.seed_case(1)
        out = json.loads(self.python(self.numpy_env, SEED, self.server.alice, json.dumps(case)))
        self.assert_installed_in(self.numpy_env, out["file"])
        self.assertEqual((out["type"], out["dtype"]), ("numpy.ndarray", "int8"))
        self.assertEqual(out["result"], self.expected(case))
        self.assertEqual(out["loaded_rm"], "conv3x3_8bit")
        self.assertIn("conv5x5_16bit", out["available_rms"])
        self.assertEqual((out["policy"], out["board"]), ("lru", "pynq-z2"))
        self.assertEqual((out["static_design"]["design"], out["static_design"]["device"]),
                         ("video_cp_wrapper", "xc7z020"))
        self.assertIsNone(out["loaded"])  # a tenant key: the scheduler swapped the module in

    def test_the_seed_example_without_numpy_and_an_admin_key(self):
        case = self.seed_case(2)
        out = json.loads(self.python(self.plain_env, SEED, self.server.ops, json.dumps(case)))
        self.assert_installed_in(self.plain_env, out["file"])
        self.assertEqual((out["type"], out["dtype"]), ("builtins.list", ""))
        self.assertEqual(out["result"], self.expected(case))
        self.assertEqual((out["loaded"]["partition"], out["loaded"]["module"]), ("conv", "conv3x3_int8"))

    def run_notebook(self, venv, key):
        """(probe's outcome, how it ran): through nbclient where the environment has it, else the
        code cells in order."""
        env = self.service_env(key)
        try:
            run([bin_of(venv, "python"), "-c", "import nbclient, nbformat, ipykernel"], env=env)
            has_nbclient = True
        except AssertionError:
            has_nbclient = False
        if has_nbclient:
            jupyter = os.path.join(self.work, "jupyter-" + os.path.basename(venv))
            kernels = os.path.join(jupyter, "kernels", "dpr-venv")
            os.makedirs(kernels, exist_ok=True)
            with open(os.path.join(kernels, "kernel.json"), "w") as f:
                json.dump({"argv": [bin_of(venv, "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                           "display_name": "dpr-venv", "language": "python"}, f)
            env = dict(env, JUPYTER_PATH=jupyter, IPYTHONDIR=os.path.join(self.work, "ipython"))
            text = run([bin_of(venv, "python"), "-c", NBCLIENT, NOTEBOOK, self.scratch], cwd=self.scratch,
                       env=env, stdin=PROBE)
        else:
            text = run([bin_of(venv, "python"), "-c", CELLS, NOTEBOOK], cwd=self.scratch, env=env, stdin=PROBE)
        lines = [line for line in text.splitlines() if line.startswith("PROBE ")]
        self.assertEqual(len(lines), 1, text)
        return json.loads(lines[0][len("PROBE "):]), "nbclient" if has_nbclient else "cells"

    def check_notebook(self, out, venv):
        self.assert_installed_in(venv, out["file"])
        blur = {"input": out["input"], "weights": [[1, 2, 1], [2, 4, 2], [1, 2, 1]], "bias": [0], "shift": 4}
        box = {"input": out["input"], "weights": [[1] * 5] * 5, "bias": [0], "shift": 0}
        self.assertEqual(out["result"], self.expected(blur))
        self.assertEqual(out["box"], self.expected(box, k=5, precision="int16"))
        self.assertEqual(out["again"], out["result"])  # the 3x3 module kept its weights over the swap
        self.assertEqual(out["policy"], "lru")

    def test_the_notebook_runs_with_numpy(self):
        out, how = self.run_notebook(self.numpy_env, self.server.ops)
        sys.stderr.write("(notebook with numpy: %s) " % how)
        self.assertEqual((out["type"], out["dtype"]), ("ndarray", "int8"))
        self.check_notebook(out, self.numpy_env)

    def test_the_notebook_runs_without_numpy(self):
        out, how = self.run_notebook(self.plain_env, self.server.alice)
        self.assertEqual(how, "cells")  # no nbclient without the system's packages
        self.assertEqual((out["type"], out["dtype"]), ("list", ""))
        self.check_notebook(out, self.plain_env)

    def test_the_notebook_is_nbformat_4(self):
        with open(NOTEBOOK) as f:
            notebook = json.load(f)
        self.assertEqual(notebook["nbformat"], 4)
        sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
        self.assertTrue(all(c["outputs"] == [] and c["execution_count"] is None
                            for c in notebook["cells"] if c["cell_type"] == "code"), "stored outputs")
        for line in ('overlay = HybridOverlay("static_design.bit")', 'overlay.load_rm("conv3x3_8bit")',
                     "result = overlay.run_convolution(input_data)", "from pynqpartial import HybridOverlay"):
            self.assertTrue(any(line in s for s in sources), line)

    # -----------------------------------------------------------------------------------------
    # the same service, from this process (the source tree's package)

    def test_the_board_is_checked_against_the_service(self):
        url, key = self.server.url, self.server.alice
        self.assertEqual(HybridOverlay("pynq-z2", url=url, key=key).board, "pynq-z2")
        with self.assertRaises(BoardMismatchError) as e:
            HybridOverlay("zcu104", url=url, key=key)
        self.assertEqual(e.exception.actual, "pynq-z2")
        with self.assertRaises(StaticDesignError):  # a partial bitstream is no static design
            HybridOverlay(os.path.join(os.path.dirname(STATIC), "pr_0_gpio.bit"), url=url, key=key)
        overlay = HybridOverlay(os.path.join(self.scratch, "static_design.bit"), url=url, key=key)
        self.assertEqual(overlay.static_design.part, "7z020clg400")
        self.assertEqual(overlay.replacement_policy, "lru")

    def test_modules_keep_their_weights_across_swaps(self):
        overlay = HybridOverlay("pynq-z2", url=self.server.url, key=self.server.ops, use_numpy=False)
        rng = random.Random(5)
        image = [[rng.randint(-100, 100) for _ in range(9)] for _ in range(7)]
        w3 = [[[[rng.randint(-9, 9) for _ in range(3)] for _ in range(3)]] for _ in range(2)]  # [2, 1, 3, 3]
        w5 = [[rng.randint(-9, 9) for _ in range(5)] for _ in range(5)]
        overlay.load_rm("conv3x3_8bit")
        overlay.set_weights(w3, bias=[10, -10], shift=3)
        overlay.set_weights(w5, bias=[7], shift=2, rm="conv5x5_16bit")
        first = overlay.run_convolution(image)
        shape, values = conv_reference([1, 1, 7, 9], flat(image), [2, 1, 3, 3], flat(w3), "int8",
                                       bias=[10, -10], shift=3)
        self.assertEqual(first, unflatten(shape[1:], values))  # [Cout, H, W] for one image
        self.assertEqual(overlay.load_rm("conv5x5_16bit")["module"], "conv5x5_int16")
        shape, values = conv_reference([1, 1, 7, 9], flat(image), [1, 1, 5, 5], flat(w5), "int16",
                                       bias=[7], shift=2, stride=2)
        self.assertEqual(overlay.run_convolution(image, stride=2), unflatten(shape[2:], values))
        regions = {r["partition"]: r for r in overlay.regions}
        self.assertEqual(regions["conv"]["module"], "conv5x5_int16")
        overlay.load_rm("conv3x3_8bit")
        self.assertEqual(overlay.run_convolution(image), first)


if __name__ == "__main__":
    unittest.main()
