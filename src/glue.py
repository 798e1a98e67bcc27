"""refhunt's code inside the embedded interpreter: runs one round's target.

The worker (worker.c) compiles this file into a private namespace in every
new interpreter and calls run() and collect(). Every round imports the
same modules here, so that they cancel out of the deltas.
"""

# Imported before the target runs: a target that breaks the interpreter
# (numpy's second initialization does) must not break the error report.
# All of these are built in or loaded at start-up anyway: cheap.
import faulthandler
import gc
import io
import os
import sys


def _exit_status(code):
    """The process exit status `python` would give for SystemExit(code)."""
    if code is None:
        return 0, None
    if isinstance(code, int):
        return int(code), None
    return 1, str(code)


def _prepend_sys_path0(kind, target, safe_path):
    """sys.path[0] as the python command sets it (see Modules/main.c)."""
    if safe_path or getattr(sys.flags, "safe_path", False):   # -I, -P
        return
    if kind == "script":
        path0 = os.path.dirname(os.path.realpath(target))
    elif kind == "module":
        path0 = os.getcwd()
    else:
        path0 = ""
    sys.path.insert(0, path0)


def _run_script(path):
    path = os.path.abspath(path)    # as python does since 3.9
    main = sys.modules["__main__"]
    main.__file__ = path
    main.__cached__ = None
    with io.open_code(path) as f:
        source = f.read()
    code = compile(source, path, "exec", dont_inherit=True)
    exec(code, main.__dict__)


def _run_code(source):
    main = sys.modules["__main__"]
    exec(compile(source, "<string>", "exec", dont_inherit=True), main.__dict__)


def _user_frames(exc):
    """The traceback without refhunt's and runpy's own frames."""
    tb = exc.__traceback__
    runpy = sys.modules.get("runpy")
    while tb is not None and tb.tb_frame.f_code.co_filename in (
            _GLUE_FILE, getattr(runpy, "__file__", None)):
        tb = tb.tb_next
    return tb


_GLUE_FILE = _user_frames.__code__.co_filename


def _report(exc):
    """Prints the traceback as `python` does; returns its text.

    The C implementation (sys.__excepthook__) formats it: the traceback
    module's Python code can crash in an interpreter that the target broke.
    """
    exc.__traceback__ = _user_frames(exc)
    saved, sys.stderr = sys.stderr, io.StringIO()
    try:
        sys.__excepthook__(type(exc), exc, exc.__traceback__)
        text = sys.stderr.getvalue()
    finally:
        sys.stderr = saved
    if sys.stderr is not None:
        sys.stderr.write(text)
        sys.stderr.flush()
    return text


def run(kind, target, safe_path, dump_signal):
    """Runs the target as `python` would; returns None or why it failed."""
    # The supervisor sends SIGUSR1 before it kills a round that timed out:
    # the traceback on stderr shows where the target was stuck.
    # (The number comes from C: the signal module costs 7 ms a round.)
    faulthandler.register(dump_signal, file=2, all_threads=True)
    _prepend_sys_path0(kind, target, safe_path)
    try:
        if kind == "script":
            _run_script(target)
        elif kind == "module":
            import runpy    # only here: it costs a debug build 10 ms a round
            runpy._run_module_as_main(target, alter_argv=True)
        else:
            _run_code(target)
    except SystemExit as e:
        status, text = _exit_status(e.code)
        if text is not None:
            print(text, file=sys.stderr)
        if status != 0:
            return text or "the target exited with status %d" % status
        return None
    except BaseException as e:
        return _report(e)
    finally:
        faulthandler.unregister(dump_signal)
    return None


def collect(passes):
    for _ in range(passes):
        gc.collect()
