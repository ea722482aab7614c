"""The code sandbox: normal verdicts, the hostile corpus, containment checks, the CLI."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from hostile_programs import GOOD_ADD, HOSTILE, TESTS_ADD

from fusechat.sandbox import CodeJob, Limits, SandboxPool
from fusechat.sandbox.pool import PIPELINE_DEPTH
from fusechat.sandbox.worker import PRECOMPILE_MAX_CHARS, pack_program

REPO = Path(__file__).resolve().parents[2]
#: Where this file's pools start looking for uids: away from the default 64000 (pipeline stages, code benchmarks)
#: and test_code_exec_sandbox's 64200, though the pools' machine-wide uid claims (fusechat.sandbox.uids) already
#: keep any two live pools apart; the checks below look only at the uids the pool under test holds.
UID_BASE = 64400
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")


def _sandbox_uid_processes(uids: list[int]) -> list[str]:
    """Every process on the machine running with one of ``uids`` (real, effective, saved or filesystem uid, from
    /proc/<pid>/status: a process made non-dumpable by its setuid would show root as the owner of /proc/<pid>)."""
    want = {str(u) for u in uids}
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
            ids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
            if want & set(ids):
                out.append(f"{d.name} uids={ids} {(d / 'cmdline').read_bytes()[:80]!r}")
        except (OSError, StopIteration):
            continue
    return out


@pytest.fixture(scope="module")
def pool():
    os.environ["FC_TEST_SECRET"] = "hunter2"
    try:
        with SandboxPool(workers=2, limits=Limits(nproc=12, memory_mb=512, cgroup_memory_mb=1024),
                         uid_base=UID_BASE) as p:
            uids = p.uids
            yield p
    finally:
        os.environ.pop("FC_TEST_SECRET", None)
    assert not _sandbox_uid_processes(uids)


@pytest.fixture(scope="module")
def victim():
    """A root-owned directory outside any temp dir the sandbox could see (on /run, a tmpfs), removed after."""
    base = "/run" if os.access("/run", os.W_OK) else None
    d = Path(tempfile.mkdtemp(prefix="fc_sandbox_victim_", dir=base))
    os.chmod(d, 0o755)
    (d / "keep.txt").write_text("precious")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_good_and_wrong_programs(pool):
    res = pool.run_many([
        CodeJob(program=GOOD_ADD, tests=TESTS_ADD, timeout_s=5),
        CodeJob(program="def add(a, b):\n    return a * b\n", tests=TESTS_ADD, timeout_s=5),
        CodeJob(program="def f(x):\n    return x\n", tests="def check(candidate):\n    assert candidate(3) == 3\n",
                entry_point="f", timeout_s=5),
        CodeJob(program="def f(x):\n    return x + 1\n",
                tests="def check(candidate):\n    assert candidate(3) == 3\n", entry_point="f", timeout_s=5),
        CodeJob(program="import sys\nprint('hello')\nprint('oops', file=sys.stderr)\n" + GOOD_ADD,
                tests=TESTS_ADD, timeout_s=5),
    ])
    assert [r.status for r in res] == ["passed", "failed", "passed", "failed", "passed"]
    assert res[0].passed and res[0].asserts == 2 and res[2].asserts == 1
    assert "AssertionError" in res[1].detail
    assert res[4].stdout_tail == "hello\n" and "oops" in res[4].stderr_tail
    assert all(0 < r.duration_s < 5 for r in res)


def test_honest_objects_still_pass(pool):
    """The always-equal guard must not fail solutions whose own classes compare honestly with each other."""
    prog = ("from dataclasses import dataclass\n@dataclass\nclass P:\n    x: int\n"
            "def mk(x):\n    return P(x)\n")
    tests = "assert mk(1) == P(1)\nassert mk(1) != P(2)\nassert [mk(1)] == [P(1)]\nassert mk(2).x == 2\n"
    res = pool.run(CodeJob(program=prog, tests=tests, timeout_s=5))
    assert res.status == "passed", res.detail


def test_programs_compile_as_on_their_own(pool):
    """Worker-compiled, child-compiled (over the size cap) and uncompilable programs: same verdicts as running
    them alone; the harness's own ``from __future__ import annotations`` never leaks into a program."""
    ann = "def f(x: int) -> int:\n    return x\nA = f.__annotations__\n"
    pad = "#" + "x" * PRECOMPILE_MAX_CHARS + "\n"
    tests = "assert A['x'] is int\n"
    res = pool.run_many([CodeJob(program=ann, tests=tests, timeout_s=5),
                         CodeJob(program=pad + ann, tests=tests, timeout_s=5),
                         CodeJob(program="from __future__ import annotations\n" + ann, tests=tests, timeout_s=5),
                         CodeJob(program="def f(:\n", tests=tests, timeout_s=5),
                         CodeJob(program=pad + "def f(:\n", tests=tests, timeout_s=5)])
    assert [r.status for r in res] == ["passed", "passed", "failed", "syntax_error", "syntax_error"], res
    assert "line 3" in res[2].detail or "A['x'] is int" in res[2].detail
    assert pack_program(ann) and not pack_program(pad + ann) and not pack_program("def f(:\n")


def test_closed_home_of_the_interpreter_shows_only_the_interpreter(pool):
    """An interpreter under a directory others cannot enter (/root here) is exposed alone, read-only."""
    notes = [n for n in pool.isolation["notes"] if " replaced by a tmpfs exposing only " in n]
    if not notes:
        pytest.skip("the interpreter does not live under a closed directory here")
    anc, rest = notes[0].split(" replaced by a tmpfs exposing only ")
    prefix = rest.removesuffix(" read-only")
    first = Path(prefix).relative_to(anc).parts[0]
    assert set(os.listdir(anc)) - {first}, "nothing else there: the check would be vacuous"
    res = pool.run(CodeJob(program=f"import os\nSEEN = os.listdir({anc!r})\nW = os.access({prefix!r}, os.W_OK)\n",
                           tests=f"assert SEEN == [{first!r}], SEEN\nassert not W\n", timeout_s=5))
    assert res.passed, res


def test_isolation_metadata_is_honest(pool):
    iso = pool.isolation
    assert set(iso) >= {"network_namespace", "uid_switch", "private_tmp", "notes"}
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    assert iso["network_namespace"] == (probe.returncode == 0)


@pytest.mark.parametrize("name", [h[0] for h in HOSTILE])
def test_hostile(pool, victim, name):
    _, program, tests, allowed = next(h for h in HOSTILE if h[0] == name)
    mark = f"/tmp/fc_sandbox_mark_{uuid.uuid4().hex[:8]}"
    markname = Path(mark).name
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    victim_file = victim / "keep.txt"
    program = (program.replace("{mark}", mark).replace("{markname}", markname).replace("{repo}", str(REPO))
               .replace("{victim}", str(victim_file)).replace("{victim_dir}", str(victim))
               .replace("{port}", str(port)).replace("{pool_pid}", str(os.getpid())))
    timeout = 2.0
    t0 = time.monotonic()
    try:
        res = pool.run(CodeJob(program=program, tests=tests, timeout_s=timeout))
        elapsed = time.monotonic() - t0
        with pytest.raises(TimeoutError):
            listener.accept()
    finally:
        listener.close()
    assert not res.passed, (name, res)
    assert res.status in allowed, (name, res.status, res.detail)
    assert elapsed < timeout + 3.0, (name, elapsed)
    assert not res.leftover_processes
    assert not _sandbox_uid_processes(pool.uids), name
    assert victim_file.read_text() == "precious" and sorted(p.name for p in victim.iterdir()) == ["keep.txt"]
    for path in (Path(mark + "_tmp"), Path(mark + "_daemon"), Path("/etc") / markname, REPO / markname):
        assert not path.exists(), path
    # the pool keeps serving
    ok = pool.run(CodeJob(program=GOOD_ADD, tests=TESTS_ADD, timeout_s=5))
    assert ok.status == "passed", (name, ok)


def test_corpus_size():
    assert len(HOSTILE) >= 30
    assert len({h[0] for h in HOSTILE}) == len(HOSTILE)


def test_cli(tmp_path):
    (tmp_path / "p.py").write_text(GOOD_ADD)
    (tmp_path / "t.py").write_text(TESTS_ADD)
    (tmp_path / "bad.py").write_text("import os\nos._exit(0)\n")
    cmd = [sys.executable, "-m", "fusechat.sandbox", "--tests", str(tmp_path / "t.py"), "--timeout", "5"]
    ok = subprocess.run(cmd + ["--program", str(tmp_path / "p.py")], capture_output=True, text=True, cwd=REPO)
    bad = subprocess.run(cmd + ["--program", str(tmp_path / "bad.py")], capture_output=True, text=True, cwd=REPO)
    rec_ok, rec_bad = json.loads(ok.stdout.strip().splitlines()[-1]), json.loads(bad.stdout.strip().splitlines()[-1])
    assert ok.returncode == 0 and rec_ok["passed"] is True and rec_ok["status"] == "passed"
    assert isinstance(rec_ok["duration_s"], float)
    assert bad.returncode == 1 and rec_bad["passed"] is False and rec_bad["status"] == "failed"


def _zygote_pid(worker_pid: int) -> int:
    kids = Path(f"/proc/{worker_pid}/task/{worker_pid}/children").read_text().split()
    for k in kids:
        if b"fusechat.sandbox.zygote" in Path(f"/proc/{k}/cmdline").read_bytes():
            return int(k)
    raise AssertionError(f"no zygote among {kids}")


def test_zygote_death_is_reported_and_replaced():
    """A zygote killed mid-job (say by the OOM killer) costs that job an error, not the pool."""
    with SandboxPool(workers=1, uid_base=UID_BASE + 8) as pool:
        assert pool.run(CodeJob(program=GOOD_ADD, tests=TESTS_ADD, timeout_s=5)).passed
        zygote = _zygote_pid(pool._workers[0].proc.pid)
        killer = threading.Timer(0.5, os.kill, (zygote, signal.SIGKILL))
        killer.start()
        res = pool.run(CodeJob(program="import time\ntime.sleep(3)\n" + GOOD_ADD, tests=TESTS_ADD, timeout_s=5))
        killer.join()
        assert res.status == "error" and "zygote" in res.detail, res
        assert not res.leftover_processes
        again = pool.run(CodeJob(program=GOOD_ADD, tests=TESTS_ADD, timeout_s=5))
        assert again.passed, again
        assert _zygote_pid(pool._workers[0].proc.pid) != zygote
        uids = pool.uids
    assert not _sandbox_uid_processes(uids)


def test_pipelined_jobs_survive_a_dead_worker(monkeypatch):
    """Jobs queued at a worker that dies are reported as errors; the rest run on its replacement."""
    with SandboxPool(workers=1, uid_base=UID_BASE + 8) as pool:
        worker = pool._workers[0]
        real = worker.receive
        calls = {"n": 0}

        def dies_once() -> dict:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("sandbox worker died")
            return real()

        monkeypatch.setattr(worker, "receive", dies_once)
        res = pool.run_many([CodeJob(program=GOOD_ADD, tests=TESTS_ADD, timeout_s=5) for _ in range(6)])
        assert len(res) == 6
        n_err = PIPELINE_DEPTH
        assert [r.status for r in res] == ["error"] * n_err + ["passed"] * (6 - n_err)
        assert pool._workers[0] is not worker


def test_hash_seed_is_fixed():
    """Every child starts from PYTHONHASHSEED=0: set/dict orders, and so verdicts, repeat across runs."""
    prog = "print(hash('fusechat'), list({'a', 'b', 'c', 'd'}))\n"
    with SandboxPool(workers=1, uid_base=UID_BASE + 8) as pool:
        outs = [r.stdout_tail for r in pool.run_many([CodeJob(program=prog, timeout_s=5)] * 2)]
    want = subprocess.run([sys.executable, "-c", prog], env={**os.environ, "PYTHONHASHSEED": "0"},
                          capture_output=True, text=True).stdout
    assert outs == [want, want]


def test_site_packages_importable(monkeypatch):
    """Programs may import what the environment installs (the zygote runs with -S and adds site dirs), also from a
    site-packages directory that another environment's ``.pth`` chains onto ``sys.path`` (as the mutation tool's
    environment layered over .venv does), even one under /tmp."""
    pkg = next((m for m in ("numpy", "yaml", "packaging") if importlib.util.find_spec(m)), None)
    if pkg is None:
        pytest.skip("no third-party package installed")
    base = Path(tempfile.mkdtemp(prefix="fc_chained_env_", dir="/tmp"))
    try:
        chained = base / "lib" / "site-packages"
        chained.mkdir(parents=True)
        (chained / "fc_chained_module.py").write_text("VALUE = 1\n")
        for d in (base, base / "lib", chained, chained / "fc_chained_module.py"):
            os.chmod(d, 0o755)
        monkeypatch.setattr(sys, "path", [*sys.path, str(chained), str(chained)])
        with SandboxPool(workers=1, uid_base=UID_BASE + 8) as pool:
            res = pool.run(CodeJob(program=f"import {pkg}\nfrom fc_chained_module import VALUE\n"
                                           "def f():\n    return VALUE\n", tests="assert f() == 1\n", timeout_s=20))
        assert res.passed, res
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_repository_under_tmp(tmp_path_factory):
    """A checkout (or environment) kept under /tmp stays usable: the worker binds it back read-only over its
    private /tmp, and nothing else of the host's /tmp becomes visible."""
    base = Path(tempfile.mkdtemp(prefix="fc_repo_under_tmp_", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        repo = base / "checkout"
        shutil.copytree(REPO / "fusechat", repo / "fusechat", ignore=shutil.ignore_patterns("__pycache__"))
        (base / "secret.txt").write_text("outside the checkout")
        tests = "assert SEEN == ['checkout'], SEEN\nassert not WROTE\n"
        prog = (f"import os\nSEEN = os.listdir({str(base)!r})\n"
                f"try:\n    open({str(repo / 'planted.txt')!r}, 'w')\n    WROTE = True\n"
                "except OSError:\n    WROTE = False\n")
        driver = (f"import json, sys\nsys.path.insert(0, {str(repo)!r})\n"
                  "from fusechat.sandbox import CodeJob, SandboxPool\n"
                  f"with SandboxPool(workers=1, uid_base={UID_BASE + 8}) as pool:\n"
                  f"    res = pool.run(CodeJob(program={prog!r}, tests={tests!r}, timeout_s=10))\n"
                  "print(json.dumps(res.to_dict()))\n")
        out = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, cwd="/", timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        res = json.loads(out.stdout.strip().splitlines()[-1])
        assert res["passed"], res
        assert not (repo / "planted.txt").exists()
        assert any("bound back read-only" in n for n in res["isolation"]["notes"]) == res["isolation"]["private_tmp"]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_workers_start_from_cached_bytecode(tmp_path):
    """The pool byte-compiles its package once, so workers and zygotes (PYTHONDONTWRITEBYTECODE=1) do not compile
    it at every start; stale bytecode is rewritten, current bytecode left alone."""
    shutil.copytree(REPO / "fusechat", tmp_path / "fusechat", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(tmp_path)}
    env.pop("PYTHONPYCACHEPREFIX", None)

    def ensure() -> int:
        out = subprocess.run([sys.executable, "-c", "from fusechat.sandbox.pool import ensure_bytecode as e; "
                              "print(e())"], env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
        return int(out.stdout)

    n_files = 1 + len(list((tmp_path / "fusechat" / "sandbox").glob("*.py")))
    assert ensure() == n_files
    assert ensure() == 0
    src = tmp_path / "fusechat" / "sandbox" / "worker.py"
    src.write_text(src.read_text() + "\n# edited\n")
    assert ensure() == 1
    verbose = subprocess.run([sys.executable, "-S", "-v", "-c", "import fusechat.sandbox.worker"], env=env,
                             cwd="/", capture_output=True, text=True, check=True).stderr
    assert f"{src.parent / '__pycache__' / 'worker.'}" in verbose and f" matches {src}" in verbose


def test_uid_claims_keep_live_pools_apart(tmp_path):
    """Two pools from one ``uid_base`` never share a uid while both live (a worker's clean-up kills every process
    of its uid, so a shared uid would kill the other pool's programs); another process sees the claims too, and a
    released uid is free again."""
    from fusechat.sandbox.uids import UidClaim

    a = UidClaim(70000, 2, tmp_path)
    b = UidClaim(70000, 2, tmp_path)
    assert a.uids == [70000, 70001] and b.uids == [70002, 70003]
    probe = ("import sys; from pathlib import Path; from fusechat.sandbox.uids import UidClaim; "
             "print(UidClaim(70000, 1, Path(sys.argv[1])).uids[0])")
    other = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, cwd=REPO,
                           check=True)
    assert int(other.stdout) == 70004
    a.release()
    assert UidClaim(70000, 1, tmp_path).uids == [70000]
    b.release()


def test_two_live_pools_on_one_base_run_as_different_uids():
    with SandboxPool(workers=1, uid_base=UID_BASE + 8) as one, SandboxPool(workers=1, uid_base=UID_BASE + 8) as two:
        assert one.uids != two.uids
        prog = "import os\nUID = os.getuid()\n"
        seen = [p.run(CodeJob(program=prog, tests="print(UID)\n", timeout_s=5)).stdout_tail for p in (one, two)]
    if one.isolation["uid_switch"]:
        assert seen == [f"{one.uids[0]}\n", f"{two.uids[0]}\n"]
