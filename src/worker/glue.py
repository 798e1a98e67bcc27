"""refhunt's code inside the embedded interpreter: runs one round's target.

The worker (worker.c, embed.c) runs this file in a private namespace of
every new (sub)interpreter and calls run() and collect(); in loop mode,
where one interpreter serves every round, also loop_setup() once and
cleanup() after every run. finders.py (--show-growth, --explain) runs in
this namespace after it when asked. Every round imports the same
modules here, so that they cancel out of the deltas.
"""

# Imported before the target runs: a target that breaks the interpreter
# (numpy's second initialization does) must not break the error report.
# All of these are built in or loaded at start-up anyway: cheap.
import faulthandler
import gc
import io
import os
import sys


# ---- compat: the differences between CPython versions (3.9 - 3.13) and
# builds (free-threaded) that this file meets, all here (those of C are in
# probe.c). Elsewhere, only _clear_module_caches() skips a regrtest step
# whose function this version lacks (AttributeError).


# Free-threaded builds (sys.abiflags "t"): memory that a pass frees with
# _PyMem_FreeDelayed (list and dict storage) is freed at the start of the
# next pass, so a pass that finds nothing can still free blocks.
_DELAYED_FREES = "t" in getattr(sys, "abiflags", "")


def _safe_path_flag():
    """-P and -I: no script directory in sys.path (sys.flags: 3.11+)."""
    return getattr(sys.flags, "safe_path", False)


def _abc_registry(cls):
    """An ABC's registry as weak references: the C _abc module's dump, or
    the pure-Python abc's set (a build without _abc)."""
    try:
        from _abc import _get_dump
    except ImportError:
        import weakref
        return set(weakref.ref(obj) for obj in cls._abc_registry)
    return _get_dump(cls)[0]


def _zip_directory_cache():
    """zipimport's cache of zip directories, or None where it has none."""
    try:
        import zipimport
        return zipimport._zip_directory_cache
    except (ImportError, AttributeError):
        return None


def _clear_inspect_shadowed_dict(inspect):
    """inspect's lru_cache of _shadowed_dict (3.12+)."""
    cached = getattr(inspect, "_shadowed_dict_from_weakref_mro_tuple", None)
    if cached is not None:
        cached.cache_clear()


def _clear_type_caches():
    """The interpreter's type cache (3.13+: and its other internal ones)."""
    if hasattr(sys, "_clear_internal_caches"):
        sys._clear_internal_caches()
    else:
        sys._clear_type_cache()


def _suppress_immortalization():
    """3.13 free-threaded: objects with deferred reference counts (functions,
    code objects, modules, types) become immortal when the interpreter
    starts its first thread, and are never freed, so every target that
    starts a thread would leak them. regrtest turns that off while it hunts
    leaks (test.support.suppress_immortalization); so does refhunt, in every
    interpreter before the target runs. 3.14 no longer immortalizes them
    and has no such function; other builds need nothing. The "t" of
    sys.abiflags marks a free-threaded build."""
    if "t" not in getattr(sys, "abiflags", ""):
        return
    try:
        import _testinternalcapi
    except ImportError:
        return      # (README: a free-threaded build without its test modules)
    if hasattr(_testinternalcapi, "suppress_immortalization"):
        _testinternalcapi.suppress_immortalization(True)



def _exit_status(code):
    """The process exit status `python` would give for SystemExit(code)."""
    if code is None:
        return 0, None
    if isinstance(code, int):
        return int(code), None
    return 1, str(code)


# Before the target starts a thread: once in every interpreter.
_suppress_immortalization()

# What the first run in this interpreter set up, for the runs after it.
_first = {}


def _prepend_sys_path0(kind, target, safe_path):
    """sys.path[0] as the python command sets it (see Modules/main.c)."""
    if safe_path or _safe_path_flag():     # -I, -P
        return
    if kind == "script":
        path0 = os.path.dirname(os.path.realpath(target))
    elif kind == "module":
        path0 = os.getcwd()
    else:
        path0 = ""
    sys.path.insert(0, path0)


def _compile(source, filename, ignore_cookie=False):
    """compile(source, filename, "exec", dont_inherit=True), without what
    builtins.compile() costs a new interpreter: it builds the ast module's
    hundred-odd types (PyAST_Check) on first use, 1.7 ms a round on a debug
    build, which `python` never does. _c_compile, set by embed.c, is
    Py_CompileStringObject; source with NUL bytes goes to compile() for its
    SyntaxError."""
    if isinstance(source, str):
        source = source.encode("utf-8", "surrogateescape")
    if b"\0" in source:
        return compile(source, filename, "exec", dont_inherit=True)
    return _c_compile(source, filename, ignore_cookie)


def _run_script(path):
    path = os.path.abspath(path)    # as python does since 3.9
    main = sys.modules["__main__"]
    main.__file__ = path
    main.__cached__ = None
    with io.open_code(path) as f:
        source = f.read()
    code = _compile(source, path)
    exec(code, main.__dict__)


def _run_code(source):
    main = sys.modules["__main__"]
    # as python -c: the text is UTF-8 whatever a coding cookie says
    exec(_compile(source, "<string>", True), main.__dict__)


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


class _Main(type(sys)):
    """__main__ in loop mode: notes the names set on it as an attribute,
    which the target's own top-level code does not do (it stores into the
    dict) and an imported module does (CPython's pickletester puts its
    classes there when it is imported)."""

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if not (name.startswith("__") and name.endswith("__")):
            _first["main_set"].add(name)


def _fresh_main():
    """A new __main__ for a run in an interpreter that ran the target before:
    what the last run defined there goes, as it would with a new process.
    What imported modules set there stays: they stay imported and do not
    run again, and under regrtest the one __main__ keeps it."""
    main = _Main("__main__")
    main.__dict__.update(_first.setdefault("main_kept", {}))
    main.__dict__["__builtins__"] = sys.modules["builtins"]
    _first.setdefault("main_set", set())
    sys.modules["__main__"] = main


def _keep_main_attributes(main):
    """After a run: what was set on its __main__ as an attribute."""
    kept = _first["main_kept"]
    for name in _first["main_set"]:
        if name in main.__dict__:
            kept[name] = main.__dict__[name]
        else:
            kept.pop(name, None)
    _first["main_set"].clear()


def run(kind, target, safe_path, dump_signal, fresh_main):
    """Runs the target as `python` would; returns None or why it failed."""
    # The supervisor sends SIGUSR1 before it kills a round that timed out:
    # the traceback on stderr shows where the target was stuck.
    # (The number comes from C: the signal module costs 7 ms a round.)
    faulthandler.register(dump_signal, file=2, all_threads=True)
    if not _first:
        _first["argv"] = list(sys.argv)
        _first["main"] = sys.modules["__main__"]
        _first["modules"] = set(sys.modules)
        _first["path"] = list(sys.path)
        _prepend_sys_path0(kind, target, safe_path)
    else:
        sys.argv[:] = _first["argv"]
    if fresh_main:
        _fresh_main()
        main = sys.modules["__main__"]
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
        if fresh_main:
            _keep_main_attributes(main)
            sys.modules["__main__"] = _first["main"]
    return None


def collect(passes, interpreter_ends=False, finalize_next=False):
    """The gc passes. They stop after a pass that found no unreachable
    object and during which no GC object was allocated, when no other
    thread and no gc.callbacks could run code between passes: nothing
    changed the object graph, and that full pass emptied the free lists,
    so the next pass would find nothing and free nothing either (the same
    figures; a full pass costs 3 to 5 ms over a small debug heap, 0.5 s
    over NumPy's test suite). Not in a free-threaded build's live
    interpreter (_DELAYED_FREES), unless it ends before the counters are
    read (reinit, subinterp: interpreter_ends), which frees them all.

    finalize_next (reinit): Py_FinalizeEx starts with a full pass of its
    own (PyGC_Collect, sys.modules still whole), which after such a pass
    walks the whole heap again to find nothing, unless code runs in
    between: another thread, gc.callbacks, an atexit function (whose
    garbage that pass collects). With none, gc is disabled, and
    PyGC_Collect, which does nothing then, is skipped (2 % of a round of
    tests/examples/stdlib_imports.py); finalization's later passes
    collect regardless, as they always do."""
    alone = ((interpreter_ends or not _DELAYED_FREES) and not gc.callbacks
             and len(sys._current_frames()) == 1)
    for _ in range(passes):
        if gc.collect() == 0 and alone and gc.get_count()[0] == 0:
            if finalize_next and _atexit_functions() == 0:
                gc.disable()
            break


def _atexit_functions():
    """How many atexit functions are registered (atexit._ncallbacks():
    3.8 to 3.13, private; unknown counts as some); 0 if the module was
    never imported: registering one imports it."""
    atexit = sys.modules.get("atexit")
    if atexit is None:
        return 0
    count = getattr(atexit, "_ncallbacks", None)
    return 1 if count is None else count()


# ---- --bisect imports: what the target imported (tests: pertest.py)


def _importable(name, module):
    """Whether `__import__(name)` in a new interpreter loads this module:
    not an alias (os.path), not a module made without a spec
    (cython_runtime, __main__)."""
    spec = getattr(module, "__spec__", None)
    return spec is not None and getattr(spec, "name", None) == name


# Modules whose import completed, in that order, with the module whose
# import was under way when each was loaded: watch_imports() fills it.
_completed = []


def watch_imports():
    """Records modules as their imports complete.

    Every import that loads a module goes through
    importlib._bootstrap._load_unlocked(spec), which returns once the
    module has run (3.9 to 3.13 alike); it is looked up in its module's
    globals at each call, so wrapping it there sees them all. A module
    completes before the module that imported it, even when the two
    import each other (markupsafe and markupsafe._speedups)."""
    import _thread
    from importlib import _bootstrap
    # Compiled as importlib's own, so that a traceback through it is
    # trimmed as python trims importlib's frames.
    space = {"load": _bootstrap._load_unlocked, "loading": {},
             "get_ident": _thread.get_ident, "completed": _completed}
    exec(compile(_WATCH, _bootstrap._find_and_load.__code__.co_filename,
                 "exec"), space)
    _bootstrap._load_unlocked = space["_load_unlocked"]


_WATCH = """
def _load_unlocked(spec):
    stack = loading.setdefault(get_ident(), [])
    stack.append(spec.name)
    try:
        module = load(spec)
    finally:
        stack.pop()
    completed.append((spec.name, stack[-1] if stack else None))
    return module
"""


def imported():
    """The modules the first run imported that can be imported by name:
    (name, index of the module that imported it or -1), in the order their
    imports completed (watch_imports), else in the order they were first
    imported (sys.modules keeps insertion order).

    With watch_imports, a submodule goes with the last of its packages
    to complete: importing it by name runs them, and all they import
    (pluggy._version brings all of pluggy)."""
    start = _first.get("modules", ())
    if _completed:
        names = [name for name, _ in _completed]
    else:
        names = list(sys.modules)
    order = {}
    for name in names:
        if name not in start and name not in order and \
                _importable(name, sys.modules.get(name)):
            order[name] = len(order)
    if _completed:
        def key(name):
            parts = name.split(".")
            return max(order.get(".".join(parts[:i]), -1)
                       for i in range(1, len(parts) + 1)), order[name]
        order = dict((name, i) for i, name in
                     enumerate(sorted(order, key=key)))
    parent = dict((name, by) for name, by in _completed
                  if by is not None)
    return [(name, order.get(parent.get(name), -1)) for name in order]


def added_paths():
    """The sys.path entries the first run added (the script's directory,
    pytest's rootdir): where its modules are imported from by name."""
    start = _first.get("path", ())
    return [os.fsencode(p) for p in sys.path
            if p not in start and isinstance(p, str)]


# ---- loop mode: regrtest's refleak.py (dash_R_cleanup) and
# utils.clear_caches, for what this interpreter has (what differs between
# versions is in the compat section above).

_TPFLAGS_IS_ABSTRACT = 1 << 20
_snapshot = {}


def _isabstract(obj):
    return isinstance(obj, type) and bool(obj.__flags__ & _TPFLAGS_IS_ABSTRACT)


def _abc_classes(namespace):
    return [c for c in namespace if _isabstract(c)]


def _warm_caches():
    """Fills the small int, char and bytes caches that CPython fills lazily."""
    s = bytes(range(256))
    for i in range(256):
        s[i:i + 1]
    [chr(i) for i in range(256)]
    list(range(-5, 257))


def loop_setup():
    """Before the first round: regrtest's set-up, less the snapshot, which
    the first cleanup() takes, after the first run (see _take_snapshot)."""
    _warm_caches()
    _clear_module_caches()
    _clear_type_caches()
    collect(3)


def _take_snapshot():
    """What cleanup() restores after every run, taken after the first run
    as regrtest takes it after importing the test module: what the target
    registers while it imports (a copyreg reducer such as re.Pattern's,
    warnings filters, ABC registrations, importer caches) stays."""
    import collections.abc
    import copyreg
    import warnings
    import weakref
    _snapshot["filters"] = warnings.filters[:]
    _snapshot["dispatch"] = copyreg.dispatch_table.copy()
    _snapshot["importers"] = sys.path_importer_cache.copy()
    zipdirs = _zip_directory_cache()
    _snapshot["zipdirs"] = zipdirs.copy() if zipdirs is not None else None
    # weak keys: an ABC subclass the first run made in a test body must
    # not live on through the snapshot (regrtest's holds import-time ones)
    abcs = weakref.WeakKeyDictionary()
    for abc in _abc_classes(getattr(collections.abc, a)
                            for a in collections.abc.__all__):
        for obj in abc.__subclasses__() + [abc]:
            abcs[obj] = _abc_registry(obj)
    _snapshot["abcs"] = abcs


def _clear_module_caches():
    """regrtest's utils.clear_caches()."""
    mods = sys.modules
    for mod in list(mods.values()):
        # the registry is a global of the module: its own __dict__, never
        # hasattr(), which calls a module's __getattr__ (hypothesis.errors
        # has one that answers every name, and del then fails)
        namespace = _own_dict(mod)
        if namespace is not None:
            namespace.pop("__warningregistry__", None)
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is not None:
            stream.flush()
    steps = [
        ("re", lambda m: m.purge()),
        ("_strptime", lambda m: m._regex_cache.clear()),
        ("urllib.parse", lambda m: m.clear_cache()),
        ("urllib.request", lambda m: m.urlcleanup()),
        ("linecache", lambda m: m.clearcache()),
        ("mimetypes", lambda m: m._default_mime_types()),
        ("filecmp", lambda m: m._cache.clear()),
        ("struct", lambda m: m._clearcache()),
        ("doctest", lambda m: setattr(m, "master", None)),
        ("ctypes", lambda m: m._reset_cache()),
        ("typing", _clear_typing),
        ("fractions", lambda m: m._hash_algorithm.cache_clear()),
        ("inspect", _clear_inspect),
        ("importlib.metadata",
         lambda m: m.FastPath.__new__.cache_clear()),
    ]
    for name, clear in steps:
        mod = mods.get(name)
        if mod is not None:
            try:
                clear(mod)
            except AttributeError:  # not in this version
                pass


def _own_dict(obj):
    """obj's own __dict__ if it has one, read past any __getattr__ or
    __getattribute__ of its class."""
    try:
        namespace = object.__getattribute__(obj, "__dict__")
    except Exception:
        return None
    return namespace if type(namespace) is dict else None


def _clear_typing(typing):
    for f in typing._cleanups:
        f()
    for abc in _abc_classes(typing.__dict__.values()):
        for obj in abc.__subclasses__() + [abc]:
            obj._abc_caches_clear()


def _clear_inspect(inspect):
    _clear_inspect_shadowed_dict(inspect)
    inspect._filesbymodname.clear()
    inspect.modulesbyfile.clear()


def cleanup():
    """After every run: regrtest's dash_R_cleanup()."""
    if "abcs" not in _snapshot:
        _take_snapshot()        # after the first run (--per-test: test)
    _restore()
    _clear_module_caches()
    # before 3.11: no opcache for the modules' code (probe.c), whose
    # allocation at a function's 1024th call would fall in some run
    _c_no_opcache()
    # last, as regrtest does: the caches above hold types
    _clear_type_caches()


def _restore():
    """Puts back what _take_snapshot() saw."""
    import collections.abc
    import copyreg
    import warnings
    warnings.filters[:] = _snapshot["filters"]
    copyreg.dispatch_table.clear()
    copyreg.dispatch_table.update(_snapshot["dispatch"])
    sys.path_importer_cache.clear()
    sys.path_importer_cache.update(_snapshot["importers"])
    if _snapshot["zipdirs"] is not None:
        _zip_directory_cache().clear()
        _zip_directory_cache().update(_snapshot["zipdirs"])
    abcs = _snapshot["abcs"]
    for abc in _abc_classes(getattr(collections.abc, a)
                            for a in collections.abc.__all__):
        for obj in abc.__subclasses__() + [abc]:
            refs = abcs.get(obj)
            # only a registry that the run changed: registering is costly
            if refs is not None and _abc_registry(obj) != refs:
                obj._abc_registry_clear()
                for ref in refs:
                    subclass = ref()
                    if subclass is not None:
                        obj.register(subclass)
            obj._abc_caches_clear()
