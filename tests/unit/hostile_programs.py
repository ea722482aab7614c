"""A corpus of hostile programs for the sandbox tests: (name, program, tests, expected statuses).

Each entry is data: the test module runs every program through one pool and checks that it ends within its
limit, is never a pass, leaves no process of the sandbox uid behind and changes nothing outside its work dir
(``MARK`` paths are checked on the host afterwards), and that the pool keeps serving the next request.
``{mark}`` in a program is replaced by a unique host path prefix per test session.
"""

from __future__ import annotations

FAIL = {"failed"}
ANY_BAD = {"failed", "timeout", "memory", "crashed", "output_limit", "error", "syntax_error"}

TESTS_ADD = "assert add(1, 2) == 3\nassert add(2, 5) == 7\n"
GOOD_ADD = "def add(a, b):\n    return a + b\n"

# (name, program, tests, allowed statuses)
HOSTILE: list[tuple[str, str, str, set[str]]] = [
    ("fork_bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
     TESTS_ADD, {"timeout", "failed", "memory", "crashed"}),
    ("fork_bomb_subprocess",
     "import subprocess, sys\nps = []\nwhile True:\n    try:\n"
     "        ps.append(subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']))\n"
     "    except OSError:\n        pass\n", TESTS_ADD, ANY_BAD),
    ("memory_bomb", "x = []\nwhile True:\n    x.append(bytearray(50 * 1024 * 1024))\n", TESTS_ADD,
     {"memory", "failed", "crashed"}),
    ("memory_bomb_forked",
     "import os\nfor _ in range(3):\n    if os.fork() == 0:\n        break\n"
     "x = []\nwhile True:\n    x.append(bytearray(20 * 1024 * 1024))\n", TESTS_ADD, ANY_BAD),
    ("infinite_loop", "while True:\n    pass\n", TESTS_ADD, {"timeout"}),
    ("sleep_forever", "import time\ntime.sleep(10 ** 6)\n", TESTS_ADD, {"timeout"}),
    ("endless_output", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", TESTS_ADD,
     {"output_limit", "failed", "timeout"}),
    ("endless_file", "f = open('big.bin', 'wb')\nwhile True:\n    f.write(b'0' * 1048576)\n", TESTS_ADD,
     {"output_limit", "failed", "timeout"}),
    ("write_outside_tmp", "open('{mark}_tmp', 'w').write('x')\ndef add(a, b):\n    return 0\n", TESTS_ADD, FAIL),
    ("write_outside_etc", "open('/etc/{markname}', 'w').write('x')\n" + GOOD_ADD, TESTS_ADD, FAIL),
    ("write_into_victim_dir", "open('{victim_dir}/new.txt', 'w').write('x')\n" + GOOD_ADD, TESTS_ADD, FAIL),
    ("overwrite_victim", "open('{victim}', 'w').write('gone')\n" + GOOD_ADD, TESTS_ADD, FAIL),
    ("write_outside_repo", "import os\nopen(os.path.join('{repo}', '{markname}'), 'w').write('x')\n" + GOOD_ADD,
     TESTS_ADD, FAIL),
    ("delete_outside", "import os\nos.remove('{victim}')\n" + GOOD_ADD, TESTS_ADD, FAIL),
    ("rmtree_root", "import shutil\nshutil.rmtree('{victim_dir}')\n" + GOOD_ADD, TESTS_ADD, FAIL),
    ("network_connect_host", "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
     + GOOD_ADD, TESTS_ADD, FAIL),
    ("network_connect_internet", "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)\n"
     + GOOD_ADD, TESTS_ADD, FAIL),
    ("read_env_secret", "import os\nassert os.environ['FC_TEST_SECRET'] == 'hunter2'\n" + GOOD_ADD, TESTS_ADD,
     FAIL),
    ("read_parent_environ", "import os\ns = open(f'/proc/{os.getppid()}/environ').read()\n"
     "assert 'FC_TEST_SECRET' in s\n" + GOOD_ADD, TESTS_ADD, FAIL),
    ("read_pool_environ", "s = open('/proc/{pool_pid}/environ').read()\nassert 'FC_TEST_SECRET' in s\n"
     + GOOD_ADD, TESTS_ADD, FAIL),
    ("kill_parent", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + GOOD_ADD, TESTS_ADD, FAIL),
    ("kill_pool", "import os, signal\nos.kill({pool_pid}, signal.SIGKILL)\n" + GOOD_ADD, TESTS_ADD, FAIL),
    ("kill_all", "import os, signal\nos.kill(-1, signal.SIGKILL)\ndef add(a, b):\n    return 0\n", TESTS_ADD,
     FAIL),
    ("killpg_own", "import os, signal\nos.killpg(0, signal.SIGKILL)\n", TESTS_ADD, {"memory", "crashed"}),
    ("os_exit_before_tests", "import os\nos._exit(0)\n", TESTS_ADD, FAIL),
    ("sys_exit_before_tests", "import sys\nsys.exit(0)\n", TESTS_ADD, FAIL),
    ("exit_inside_candidate", "import os\ndef add(a, b):\n    os._exit(0)\n", TESTS_ADD, FAIL),
    ("sys_exit_inside_candidate", "import sys\ndef add(a, b):\n    sys.exit(0)\n", TESTS_ADD, FAIL),
    ("always_equal", "class Eq:\n    def __eq__(self, other):\n        return True\n"
     "def add(a, b):\n    return Eq()\n", TESTS_ADD, FAIL),
    ("always_equal_int_subclass", "class Eq(int):\n    def __eq__(self, other):\n        return True\n"
     "    __hash__ = int.__hash__\ndef add(a, b):\n    return Eq(0)\n", TESTS_ADD, FAIL),
    ("always_equal_in_list", "class Eq:\n    def __eq__(self, o):\n        return True\n"
     "def f():\n    return [Eq(), Eq()]\n", "assert f() == [1, 2]\n", FAIL),
    ("always_true_bool", "class T:\n    def __bool__(self):\n        return True\n"
     "def is_prime(n):\n    return T()\n", "assert is_prime(7)\nassert not is_prime(8)\n", FAIL),
    ("always_equal_metaclass_posing_as_int",  # the type claims to equal and hash as int: must not pass as built-in
     "class Meta(type):\n    def __eq__(cls, other):\n        return True\n    __hash__ = lambda cls: hash(int)\n"
     "class Eq(metaclass=Meta):\n    def __eq__(self, other):\n        return True\n"
     "def add(a, b):\n    return [Eq()]\n", "assert add(1, 2) == [3]\n", FAIL),
    ("dynamic_type_eq", "Eq = type('Eq', (), {'__eq__': lambda s, o: True})\ndef add(a, b):\n    return Eq()\n",
     TESTS_ADD, FAIL),
    ("override_check", "def candidate(*a):\n    return 0\ndef check(c):\n    pass\n",
     "def check(candidate):\n    assert candidate(1, 2) == 3\n", FAIL),
    ("override_builtin_assertionerror", "import builtins\nbuiltins.AssertionError = KeyError\n"
     "def add(a, b):\n    return 0\n", TESTS_ADD, FAIL),
    ("patch_math_isclose", "import math\nmath.isclose = lambda *a, **k: True\ndef area(r):\n    return 0.0\n",
     "import math\nassert math.isclose(area(1.0), 3.14159, rel_tol=1e-3)\n", FAIL),
    ("fake_result_line", "import os\nfor fd in range(3, 64):\n    try:\n"
     "        os.write(fd, b'FCRESULT 0 {\"status\": \"passed\"}\\n')\n    except OSError:\n        pass\n"
     "os._exit(0)\n", TESTS_ADD, FAIL),
    ("print_pass", "print('All tests passed')\nprint('{\"passed\": true}')\n", TESTS_ADD, FAIL),
    ("daemon_grandchild",
     "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(30)\n"
     "        open('{mark}_daemon', 'w').write('x')\n    os._exit(0)\n"
     "def add(a, b):\n    return 0\n", TESTS_ADD, FAIL),
    ("segfault", "import ctypes\nctypes.string_at(0)\n", TESTS_ADD, {"crashed"}),
    ("deep_recursion", "def f(n):\n    return f(n + 1)\nf(0)\n", TESTS_ADD, FAIL),
    ("deep_recursion_raised_limit", "import sys\nsys.setrecursionlimit(10 ** 7)\ndef f(n):\n    return f(n + 1) + 1\n"
     "f(0)\n", TESTS_ADD, {"crashed", "failed", "memory", "timeout"}),
    ("ignore_sigterm", "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
     "signal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.01)\n", TESTS_ADD, {"timeout"}),
    ("cpu_in_threads", "import threading\ndef spin():\n    while True:\n        pass\n"
     "for _ in range(4):\n    threading.Thread(target=spin, daemon=True).start()\nspin()\n", TESTS_ADD, {"timeout"}),
    ("open_many_files", "fs = [open('f%d' % i, 'w') for i in range(100000)]\n" + GOOD_ADD, TESTS_ADD, FAIL),
    ("syntax_error", "def add(a, b)\n    return a + b\n", TESTS_ADD, {"syntax_error"}),
    ("raise_in_tests_swallowed", "import sys\nsys.excepthook = lambda *a: None\ndef add(a, b):\n    return 0\n",
     TESTS_ADD, FAIL),
    ("wrong_answer", "def add(a, b):\n    return a - b\n", TESTS_ADD, FAIL),
    ("signal_self_segv", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n", TESTS_ADD, {"crashed"}),
    ("chmod_workdir_then_hang", "import os\nos.chmod('.', 0)\nos.mkdir('x') if False else None\n"
     "while True:\n    pass\n", TESTS_ADD, {"timeout"}),
    ("replace_module_in_sys_modules", "import sys, types\nfake = types.ModuleType('math')\n"
     "fake.isclose = lambda *a, **k: True\nsys.modules['math'] = fake\ndef area(r):\n    return 0.0\n",
     "import math\nassert math.isclose(area(1.0), 3.14159, rel_tol=1e-3)\n", FAIL),
    ("patch_after_new_import", "import fractions, math\nmath.isclose = lambda *a, **k: True\n"
     "def area(r):\n    return 0.0\n", "import math\nassert math.isclose(area(1.0), 3.14159, rel_tol=1e-3)\n", FAIL),
    ("rebind_own_builtins", "__builtins__ = dict(vars(__import__('builtins')), isinstance=lambda *a: True)\n"
     "def add(a, b):\n    return 'x'\n", "assert isinstance(add(1, 2), int)\n", FAIL),
    ("flood_result_pipe", "import os\nif os.fork() == 0:\n    while True:\n        os.write(3, b'x' * 4096)\n"
     "def add(a, b):\n    return 0\n", TESTS_ADD, ANY_BAD),
    ("stdin_read", "import sys\ndata = sys.stdin.read()\ndef add(a, b):\n    return len(data)\n", TESTS_ADD, FAIL),
]
