"""refhunt's code inside the embedded interpreter: runs one round's target.

The worker (worker.c, embed.c) runs this file in a private namespace of
every new (sub)interpreter and calls run() and collect(); in loop mode,
where one interpreter serves every round, also loop_setup() once and
cleanup() after every run; the finders (growth, trace, explain_snapshot
and explain) after the counters are read. Every round imports the same
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


def collect(passes, until_clean=False):
    """The gc passes. until_clean (reinit and subinterp, where the
    interpreter ends before the counters are read, and its end empties the
    free lists): stop after a pass that found no unreachable object and
    during which no GC object was allocated, when no other thread and no
    gc.callbacks could run code between passes. Nothing changed the
    object graph then, so the next pass would find nothing either (the
    same figures; a full pass over a debug build's heap is 3 to 5 ms)."""
    alone = (until_clean and not gc.callbacks and
             len(sys._current_frames()) == 1)
    for _ in range(passes):
        if gc.collect() == 0 and alone and gc.get_count()[0] == 0:
            break


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


# ---- --show-growth: what grew


def _type_name(obj):
    t = type(obj)
    module = getattr(t, "__module__", None)
    if module in (None, "builtins"):
        return t.__qualname__
    return "%s.%s" % (module, t.__qualname__)


def growth(limit, previous):
    """objgraph's show_growth: GC-tracked objects per type, against the
    counts of the round before (`previous`, "name\tcount" lines, kept by
    the worker across interpreters). Returns the `limit` types that grew
    most as (name, count, delta), and this round's counts as text."""
    counts = {}
    for obj in gc.get_objects():
        name = _type_name(obj)
        counts[name] = counts.get(name, 0) + 1
    before = {}
    for line in previous.splitlines():
        name, _, count = line.rpartition("\t")
        before[name] = int(count)
    grown = [(count - before.get(name, 0), name, count)
             for name, count in counts.items()
             if count > before.get(name, 0)]
    grown.sort(key=lambda g: (-g[0], g[1]))
    text = "\n".join("%s\t%d" % item for item in counts.items())
    return [(name, count, delta) for delta, name, count in grown[:limit]], text


# ---- --explain: what holds the objects that the last run left behind
#
# After any tracked run (loop mode: the last round; a per-test hunt: a
# test's last run), in two calls:
#   before = explain_snapshot()      after the counters of the run before
#                                    are read; the worker keeps the result
#                                    (two lists of ints, a text) in C
#                                    memory, so that nothing of it lives
#                                    in the heap while the next run is
#                                    measured
#   explain(limit, ids, types, text, s)
#                                    after the tracked run's counters are
#                                    read, with the two lists as bytes of
#                                    native 64-bit integers, sorted by id
#                                    (pairs kept together): the data, for
#                                    up to `limit` objects; s: the time
#                                    limit in seconds
# Nothing either call makes outlives it. explain_snapshot() imports
# nothing; explain() imports time, collections and bisect (loop mode:
# after the last round; a per-test hunt: the first time, after a leaking
# test's last run, so before the next test's warm-ups). The worker's side
# is explainer.c, for both.

_TPFLAGS_HAVE_GC = 1 << 14


class _Slots:
    __slots__ = ("x",)


_MEMBER = type(_Slots.x)        # what a C struct member's descriptor is


def _universe():
    """Every object the GC tracks, and the untracked ones they refer to
    (an `object()` in a list, an instance of a type without
    Py_TPFLAGS_HAVE_GC), through untracked containers too: a dict or a
    tuple of only ints and strings is untracked, and so is what is in it
    (a cache of numbers). {id: object}."""
    from itertools import filterfalse
    tracked = gc.get_objects()
    objs = dict(zip(map(id, tracked), tracked))
    # (no loop in Python: a million objects cost a debug build seconds)
    level = tracked
    del tracked
    while level:
        referents = gc.get_referents(*level)
        new = dict(zip(map(id, referents), referents))
        del referents
        for key in objs.keys() & new.keys():
            del new[key]
        objs.update(new)
        # the next level: what untracked containers among them hold
        level = list(filterfalse(gc.is_tracked, new.values()))
        del new
    return objs


def explain_snapshot():
    """Before a tracked run: the ids of the objects alive and of their
    types, as two lists of ints, in the same order; and the references
    held outside the GC's view to each class whose instances the GC does
    not see, as text."""
    enabled = gc.isenabled()
    gc.disable()        # the heap doubles for a moment: no full collections
    try:
        objs = _universe()
        return list(objs), list(map(id, map(type, objs.values()))), \
            _blind_type_refs()
    finally:
        if enabled:
            gc.enable()


_TPFLAGS_HEAPTYPE = 1 << 9


def _blind_type_refs():
    """"id\tcount" lines: for each class made at run time whose instances
    the GC does not track (no Py_TPFLAGS_HAVE_GC), the references to it
    that no object the GC knows accounts for. Such an instance holds one
    to its class; when nothing the GC tracks refers to the instance (it
    is on a cycle with itself, or in a C static), only this count shows
    it."""
    pool = [object(), object()]
    seen = set()
    todo = [object]
    while todo:
        for sub in type.__subclasses__(todo.pop()):
            if id(sub) not in seen:
                seen.add(id(sub))
                todo.append(sub)
                if sub.__flags__ & _TPFLAGS_HEAPTYPE and \
                        not sub.__flags__ & _TPFLAGS_HAVE_GC:
                    pool.append(sub)
    counts = _outside_counts(pool) if len(pool) > 2 else []
    return "\n".join("%d\t%d" % (id(t), n) for t, n in zip(pool[2:], counts))


def _short_type(obj):
    t = obj if isinstance(obj, type) else type(obj)
    module = getattr(t, "__module__", None)
    if module in (None, "builtins"):
        return t.__qualname__
    return "%s.%s" % (module, t.__qualname__)


def _module_dicts():
    """{id(module.__dict__): name} of the modules in sys.modules."""
    found = {}
    for name, m in list(sys.modules.items()):
        d = getattr(m, "__dict__", None)
        if isinstance(d, dict):
            found.setdefault(id(d), name)
    return found


def _describe(obj, mdicts):
    """A short name for an object: its type, and what it is where that
    helps (a function's name, a module's globals)."""
    name = _short_type(type(obj))
    if isinstance(obj, dict):
        if id(obj) in mdicts:
            return "dict (globals of %s)" % mdicts[id(obj)]
        if "__builtins__" in obj and isinstance(obj.get("__name__"), str):
            return "dict (globals of %s)" % obj["__name__"]
    if isinstance(obj, type):
        return "class %s" % _short_type(obj)
    if type(obj).__name__ in ("function", "builtin_function_or_method",
                              "method", "functools._lru_cache_wrapper",
                              "_lru_cache_wrapper"):
        qual = getattr(obj, "__qualname__", None)
        if isinstance(qual, str):
            return "%s %s" % (name, qual)
    if type(obj).__name__ == "module":
        return "module %s" % getattr(obj, "__name__", "?")
    return name


# {type: [(name, member descriptor)]}, for one explain() call
_members = {}


def _hidden_refs(obj):
    """The objects obj holds in C struct members that it does not report
    to the GC: [(member name, value)]. A type without Py_TPFLAGS_HAVE_GC
    reports none; one with it may leave members out of its tp_traverse."""
    tp = type(obj)
    members = _members.get(tp)
    if members is None:
        members = []
        if tp.__module__ != "builtins":     # CPython's own types are right
            for klass in getattr(tp, "__mro__", ()):
                for name, d in list(vars(klass).items()):
                    if type(d) is _MEMBER:
                        members.append((name, d))
        _members[tp] = members
    found = []
    for name, d in members:
        try:
            value = d.__get__(obj, tp)
        except Exception:
            continue
        if value is not None:
            found.append((name, value))
    if not found:
        return found
    if tp.__flags__ & _TPFLAGS_HAVE_GC and gc.is_tracked(obj):
        seen = set(map(id, gc.get_referents(obj)))
        found = [(n, v) for n, v in found if id(v) not in seen]
    return found


def _blind_type(obj):
    """Why obj's type does not report its references to the GC, or None."""
    tp = type(obj)
    if not tp.__flags__ & _TPFLAGS_HAVE_GC:
        return "%s does not report its references to the GC (no " \
            "Py_TPFLAGS_HAVE_GC, no tp_traverse)" % _short_type(tp)
    hidden = _hidden_refs(obj)
    if hidden:
        return "%s does not report its references to the GC (its " \
            "tp_traverse leaves out %s)" % (_short_type(tp), ", ".join(
                sorted(set(n for n, _ in hidden))))
    return None


def _edge(parent, child):
    """How parent refers to child: "[3]", ".name", "['key']", or ""."""
    if isinstance(parent, (list, tuple)):
        for i, x in enumerate(parent):
            if x is child:
                return "[%d]" % i
    elif isinstance(parent, dict):
        for k, v in parent.items():
            if v is child:
                return ".%s" % k if isinstance(k, str) else "[%r]" % (k,)
            if k is child:
                return "(key)"
    elif type(parent).__name__ == "cell":
        return ".cell_contents"
    else:
        try:
            own = getattr(parent, "__dict__", None)
            for k, v in (own.items() if hasattr(own, "items") else ()):
                if v is child:
                    return ".%s" % k
        except Exception:
            pass
        if type(parent).__name__ == "function" and type(child) is tuple \
                and child is not parent.__closure__ \
                and child is not parent.__defaults__:
            # 3.10+ keeps annotations as (name, value, ...) until
            # __annotations__ is read (which would make a dict of them)
            return ".__annotations__"
        for name in ("__closure__", "__globals__", "__defaults__",
                     "__kwdefaults__", "__self__",
                     "__func__", "__wrapped__", "__dict__", "__mro__",
                     "__bases__", "f_locals", "f_globals", "__args__"):
            try:
                if getattr(parent, name, None) is child:
                    return "." + name
            except Exception:
                pass
        for name, value in _hidden_refs(parent):
            if value is child:
                return ".%s" % name
    return ""


def _is_dict_of(obj, d):
    """Whether d is obj's __dict__ (a class's: the dict behind its proxy)."""
    try:
        own = getattr(obj, "__dict__", None)
    except Exception:
        return False
    if own is d:
        return True
    return isinstance(obj, type) and own is not None and own == d and \
        any(r is d for r in gc.get_referents(obj))


def _fold_dicts(path):
    """A chain without the __dict__ of the object before each: `obj.x`
    rather than `obj → dict → x`."""
    out = [path[0]]
    for i in range(1, len(path)):
        node = path[i]
        if isinstance(node, dict) and i + 1 < len(path) and \
                _is_dict_of(out[-1], node):
            continue
        out.append(node)
    return out


def _root_name(obj, mdicts):
    """A root's name: "module", "module.Class", "frame of f", or None
    when obj is not a root."""
    if id(obj) in mdicts:
        return mdicts[id(obj)]
    if obj is sys.modules:
        return "sys.modules"
    if isinstance(obj, type):
        m = sys.modules.get(getattr(obj, "__module__", None))
        qual = getattr(obj, "__qualname__", "")
        if m is not None and "." not in qual and \
                getattr(m, "__dict__", {}).get(qual) is obj:
            return "%s.%s" % (m.__name__, qual)
        return None
    if type(obj).__name__ == "frame":
        code = obj.f_code
        return "frame of %s (%s:%d)" % (code.co_name, code.co_filename,
                                        obj.f_lineno)
    return None


def _render(path, mdicts, root=True):
    """`mod._kept (list) → [3] object`: the root, then each edge and
    what it leads to (root=False: a path from an object that is none)."""
    path = _fold_dicts(path)
    first = path[0]
    name = _root_name(first, mdicts)
    if not root:
        text = _describe(first, mdicts)
    elif len(path) > 1 and isinstance(first, dict) and id(first) in mdicts:
        # a module's globals: name the global, not the dict
        label = _edge(first, path[1])
        path = path[1:]
        text = "%s%s (%s)" % (name, label, _describe(path[0], mdicts))
    else:
        text = "%s (%s)" % (name, _describe(first, mdicts))
    for parent, child in zip(path, path[1:]):
        text += " \u2192 %s %s" % (_edge(parent, child) or "\u2192",
                                   _describe(child, mdicts))
    return text.replace("\u2192 \u2192", "\u2192")


class _Deadline(Exception):
    pass


def _backrefs(obj, ours, mdicts, deadline, max_depth=12, width=20):
    """objgraph's find_backref_chain, a level at a time (one
    gc.get_referrers call per level, not per object): the shortest chain
    [root, ..., obj], or None; and the referrer tree {id: (parent, obj)}
    found on the way. At most `width` objects a level: get_referrers
    costs the size of the heap times the objects searched for."""
    import time
    tree = {id(obj): [None, obj]}
    level = [obj]
    ours = set(ours)
    ours.update((id(tree), id(level), id(ours)))
    for depth in range(max_depth):
        if time.monotonic() > deadline:
            raise _Deadline
        referrers = gc.get_referrers(*level)
        ours.add(id(referrers))
        wanted = dict(zip(map(id, level), level))
        ours.add(id(wanted))
        nxt = []
        ours.add(id(nxt))
        for r in referrers:
            if id(r) in ours or id(r) in tree:
                continue
            if type(r).__name__ == "frame" and \
                    r.f_code.co_filename == _GLUE_FILE:
                continue
            for child in gc.get_referents(r):
                if id(child) in wanted:
                    tree[id(r)] = [child, r]
                    nxt.append(r)
                    if _root_name(r, mdicts) is not None:
                        path = [r]
                        node = child
                        while node is not None:
                            path.append(node)
                            node = tree[id(node)][0]
                        return path, tree
                    break
        del referrers
        # an untracked object may be in an untracked container (a dict of
        # numbers), which no referrer the GC knows is
        loose = {k: v for k, v in wanted.items() if not gc.is_tracked(v)}
        for r, child in _held_in(loose) if loose else ():
            if id(r) not in tree and id(r) not in ours:
                tree[id(r)] = [child, r]
                nxt.append(r)
        if not nxt:
            break
        level = nxt[:width]
    return None, tree


# The untracked containers of the heap while explain runs (a dict or a
# tuple of only ints and strings): gc.get_referrers does not see them.
_holders = []
_HOLDER_TYPES = frozenset((dict, tuple, list, set, frozenset))


def _find_holders(objs):
    """The untracked containers among objs' values, into _holders."""
    from itertools import compress, filterfalse
    untracked = list(filterfalse(gc.is_tracked, objs.values()))
    _holders[:] = compress(untracked, map(_HOLDER_TYPES.__contains__,
                                          map(type, untracked)))


def _held_in(wanted):
    """[(holder, child)]: the untracked containers that hold an object of
    wanted ({id: object})."""
    found = []
    for h in _holders:
        for c in gc.get_referents(h):
            if id(c) in wanted:
                found.append((h, c))
                break
    return found


def _outside_counts(pool):
    """For each object of pool but the first two, how many references to
    it no object the GC knows accounts for. The first two are objects only
    pool holds: what they show is what this function's own frame holds
    (on 3.11 the first pass through a loop holds one more: the smaller).
    One gc.get_referrers call for all: each call walks the whole heap."""
    seen = {}
    for o in pool:
        seen[id(o)] = 0
    r = x = o = None
    for r in gc.get_referrers(*pool):
        if type(r).__name__ == "frame" and r.f_code.co_filename == _GLUE_FILE:
            continue
        for x in gc.get_referents(r):
            if id(x) in seen:
                seen[id(x)] += 1
    for r in _holders:
        for x in gc.get_referents(r):
            if id(x) in seen:
                seen[id(x)] += 1
    r = x = None        # the loops' last values must not count
    counts = []
    for o in pool:
        # _c_uncounted_refs (embed.c, probe.c): a deferred reference count
        # holds one that no referrer accounts for (free-threaded 3.13)
        counts.append(sys.getrefcount(o) - seen[id(o)] - _c_uncounted_refs(o))
    o = None
    base = min(counts[0], counts[1])
    out = []
    for c in counts[2:]:
        out.append(c - base if c < 1 << 30 else 0)      # immortal (3.12+)
    return out


def _anchor(tree):
    """When no chain reaches a root: the referrer nearest to the object
    that has references no GC-known object accounts for (a C static's, a
    leaked Py_INCREF's), and how many; the path [anchor, ..., obj]."""
    pool = [object(), object()]
    for entry in tree.values():
        pool.append(entry[1])
    outside = _outside_counts(pool)
    for k in range(1, len(outside)):   # [0] is the object itself
        if outside[k] > 0:
            path = []
            n = pool[k + 2]
            while n is not None:
                path.append(n)
                n = tree[id(n)][0]
            return outside[k], path
    return 0, None


def _cycle(obj, tree, deadline, limit=20000, max_depth=10):
    """The shortest cycle through obj that the GC cannot see: a search
    forward from obj over the references the GC sees and the struct
    members it does not, back to obj or to an object that leads to it
    (tree: the referrers found by _backrefs). The path, or None."""
    import time
    parent = {id(obj): None}
    level = [obj]
    keep = [obj]
    for depth in range(max_depth):
        nxt = []
        for node in level:
            if time.monotonic() > deadline:
                raise _Deadline
            edges = list(gc.get_referents(node)) if gc.is_tracked(node) \
                else []
            edges += [v for _, v in _hidden_refs(node)]
            for child in edges:
                if child is obj or (id(child) in tree and
                                    id(child) not in parent):
                    path = [child]
                    n = node
                    while n is not None:
                        path.append(n)
                        n = parent[id(n)]
                    path.reverse()          # obj ... node child
                    # from child back to obj along the referrer tree
                    n = tree.get(id(child), (None, None))[0] \
                        if child is not obj else None
                    while n is not None:
                        path.append(n)
                        n = tree[id(n)][0]
                    return path
                if id(child) not in parent and len(parent) < limit:
                    parent[id(child)] = node
                    keep.append(child)
                    nxt.append(child)
        if not nxt:
            break
        level = nxt
    return None


def _render_cycle(loop, mdicts):
    """"a → b → a; a does not report ...", or "" when the GC sees every
    member and reference of the cycle (then it is not why obj lives)."""
    why = None
    for n in loop:
        why = _blind_type(n)
        if why:
            break
    if why is None:
        return ""
    return "%s; %s" % (" \u2192 ".join(_describe(n, mdicts) for n in loop),
                       why)


def _known_cache(path):
    """A cache refhunt knows on the chain: its name and how to clear it,
    or None."""
    typing = sys.modules.get("typing")
    re_mod = sys.modules.get("re")
    cleanups = getattr(typing, "_cleanups", ()) if typing else ()
    for node in path:
        if re_mod is not None and node is getattr(re_mod, "_cache", None):
            return "re's pattern cache: re.purge() clears it"
        clear = getattr(node, "cache_clear", None)
        if clear is None or not hasattr(node, "cache_info"):
            continue
        if any(getattr(c, "__self__", None) is node for c in cleanups):
            return "typing's _tp_cache (an LRU cache of %s): " \
                "`for f in typing._cleanups: f()` clears it" % \
                getattr(node, "__qualname__", "?")
        name = "%s.%s" % (getattr(node, "__module__", "?"),
                          getattr(node, "__qualname__", "?"))
        return "functools.lru_cache of %s: %s.cache_clear() clears it" % (
            name, name)
    return None


_PLUMBING = ("ReferenceType", "ProxyType", "CallableProxyType", "weakref",
             "weakproxy", "weakcallableproxy", "cell",
             "getset_descriptor", "member_descriptor", "wrapper_descriptor",
             "method_descriptor", "classmethod_descriptor", "method-wrapper",
             "mappingproxy", "code", "frame", "builtin_function_or_method")


_WEAK = ("ReferenceType", "ProxyType", "CallableProxyType", "weakref",
         "weakproxy", "weakcallableproxy")     # 3.11, and before

# values more often shared than leaked on their own
_ATOMS = (tuple, str, bytes, int, float, complex)


def _plumbing(obj):
    """How far down to list an object: 0 a class, 1 an instance of a
    class that is not CPython's own (what a person named), 2 a container
    or a function, 3 what only comes with those (weak references, cells,
    descriptors, code, strings and numbers)."""
    tp = type(obj)
    if tp.__name__ in _PLUMBING or tp in _ATOMS:
        return 3
    if isinstance(obj, type):
        return 0
    return 1 if tp.__module__ != "builtins" else 2


def explain(limit, before_ids, before_types, before_blind, seconds,
            older_ids=b"", older_types=b""):
    """What holds up to `limit` objects that are new since explain_snapshot()
    (or whose address now holds an object of another type), of the types
    that grew. With the snapshot before that (older_*): the objects the
    run between the two made that are still alive; what every run makes
    anew in place of the last one (pytest's log records) is not a leak. Returns (findings, note): findings a list of
    (description, chain or "", refs outside the GC's view, cycle or "",
    cache or ""); note says what was left undone, or ""."""
    # No collection while explain runs: its million-tuple sets would set
    # off full collections (40 s on a debug build), and a collection could
    # untrack a tuple that refers to an object, which would then count as
    # held outside the GC's view.
    enabled = gc.isenabled()
    gc.disable()
    try:
        findings, note = _explain(limit, before_ids, before_types, seconds,
                                  older_ids, older_types)
        if len(findings) < limit and not note:
            _explain_blind(findings, limit, before_blind)
        return findings, note
    finally:
        _members.clear()
        del _holders[:]
        if enabled:
            gc.enable()


def _explain_blind(findings, limit, before):
    """Findings for the classes whose invisible instances grew (see
    _blind_type_refs), unless a finding names such an instance already."""
    then = {}
    for line in before.splitlines():
        key, count = line.split("\t")
        then[int(key)] = int(count)
    named = set()
    for f in findings:
        named.add(f[0])
    for line in _blind_type_refs().splitlines():
        if len(findings) == limit:
            break
        key, count = line.split("\t")
        grew = int(count) - then.get(int(key), int(count))
        if grew <= 0:
            continue
        tp = _by_id(int(key))
        if tp is None or _short_type(tp) in named:
            continue
        name = _short_type(tp)
        findings.append((
            "instances of %s" % name, "", grew,
            "instances of %s that nothing the GC tracks refers to (%d more "
            "reference%s to the class in the run), kept by a cycle among "
            "them, a C static or a leaked Py_INCREF; %s does not report its "
            "references to the GC (no Py_TPFLAGS_HAVE_GC, no tp_traverse)"
            % (name, grew, "" if grew == 1 else "s", name), ""))


def _by_id(key):
    """The class with that id among object's subclasses, or None."""
    todo = [object]
    seen = set()
    while todo:
        for sub in type.__subclasses__(todo.pop()):
            if id(sub) == key:
                return sub
            if id(sub) not in seen:
                seen.add(id(sub))
                todo.append(sub)
    return None


def _explain(limit, before_ids, before_types, seconds, older_ids,
             older_types):
    """explain()'s steps: the objects new since the snapshot, of the
    types that grew; the few to look at; what holds each of them. Each
    step's lists and views die with it, before the search that follows
    the referrers, where they would show as holders."""
    import time
    new, counts = _new_since(before_ids, before_types, older_ids,
                             older_types)
    # the search's time limit starts now: listing the heap takes what it
    # takes (seconds on a million objects), and at least one object gets
    # its chance
    deadline = time.monotonic() + seconds
    pool, fed = _candidates(new, counts, limit)
    del new
    return _explain_pool(pool, fed, limit, deadline, seconds)


def _new_since(before_ids, before_types, older_ids, older_types):
    """The objects new since the snapshot (or at an address whose object
    had another type then), of the types that grew; with two snapshots,
    those the run between them made and the last did not free. Returns
    (objects, {id of a type: how many more})."""
    # bytes, not lists of ints: no object of theirs joins the heap searched
    ids = memoryview(before_ids).cast("Q")
    tps = memoryview(before_types).cast("Q")
    old = memoryview(older_ids).cast("Q")
    oldtps = memoryview(older_types).cast("Q")
    objs = _universe()
    _find_holders(objs)
    # explain's own: the arguments, the tuple the caller passed them in,
    # the views
    for x in (ids, tps, old, oldtps, before_ids, before_types, older_ids,
              older_types):
        objs.pop(id(x), None)
        for y in gc.get_referents(x):       # a view's buffer
            objs.pop(id(y), None)
    for r in gc.get_referrers(before_ids, before_types):
        objs.pop(id(r), None)
        if type(r) is tuple:
            for y in r:
                objs.pop(id(y), None)
    x = r = y = None
    made = made_tps = None
    if len(old):
        # two runs: the objects the run before the last made (in the later
        # snapshot, not in the older one) that the last did not free
        made, made_tps, ids, tps = ids, tps, old, oldtps
    old = oldtps = None
    # The types that grew, then the objects of those types new since the
    # snapshot, or at an address whose object had another type then.
    import collections
    types = dict(zip(objs, map(id, map(type, objs.values()))))
    now = collections.Counter(types.values())
    then = collections.Counter(tps)
    counts = {}
    for t, n in now.items():
        if n > then[t]:
            counts[t] = n - then[t]
    del now, then
    # the snapshot comes sorted by id: a binary search for the objects of
    # the types that grew, no dict of the snapshot (seconds on a million)
    import bisect
    n = len(ids)
    new = []
    for i, t in types.items():
        if t in counts:
            k = bisect.bisect_left(ids, i)
            if k == n or ids[k] != i or tps[k] != t:
                if made is not None:
                    k = bisect.bisect_left(made, i)
                    if k == len(made) or made[k] != i or made_tps[k] != t:
                        continue    # made by the last run: not yet kept
                new.append(objs[i])
    return new, counts


def _candidates(new, counts, limit):
    """The objects to explain, at most 4 * limit of the new ones: first
    those that no other new object refers to (what the leak starts
    from), then the types that grew most. Returns (pool, fed): pool the
    two placeholders _outside_counts wants, then the objects; fed {id:
    id of a new object that refers to it}."""
    newids = set(map(id, new))
    fed = {}
    for r in new:
        if gc.is_tracked(r):
            for c in gc.get_referents(r):
                if id(c) in newids and c is not r:
                    fed[id(c)] = id(r)
    order = []
    for i, o in enumerate(new):
        order.append((_plumbing(o), id(o) in fed, -counts.get(id(type(o)), 0),
                      i))
    order.sort()
    pool = [object(), object()]
    for _, _, _, i in order[:limit * 4]:
        pool.append(new[i])
    return pool, fed


def _explain_pool(pool, fed, limit, deadline, seconds):
    """What holds each object of the pool (from pool[2] on), until limit
    findings or the deadline; an object that an earlier finding explains
    is passed over. Returns (findings, note)."""
    import time
    mdicts = _module_dicts()
    findings, note = [], ""
    try:
        outside_counts = _outside_counts(pool)
        # explain's own: what holds an object only through them holds it
        # outside the GC's view (NumPy's C caches once showed as held by
        # "dict → ._holders list")
        ours = {id(pool), id(findings), id(_holders), id(_members)}
        shown = set()       # what the findings so far named
        for k in range(2, len(pool)):
            o = pool[k]
            if len(findings) == limit:
                break
            if time.monotonic() > deadline:
                raise _Deadline
            if id(o) in shown or fed.get(id(o)) in shown:
                continue        # an earlier finding explains it
            if type(o).__name__ in _WEAK and o() is not None:
                continue        # an ABC cache's entry: dies with its class
            finding = _explain_one(o, outside_counts[k - 2], ours, mdicts,
                                   deadline, shown)
            if finding is not None:
                findings.append(finding)
    except _Deadline:
        note = "time limit of %g s reached" % seconds
    return findings, note


def _explain_one(o, outside, ours, mdicts, deadline, shown):
    """A finding for o: (description, chain, refs outside the GC's view,
    cycle, cache); None when what holds it is what an earlier finding
    explains (shown: the objects they named, to which o's are added)."""
    path, tree = _backrefs(o, ours, mdicts, deadline)
    if not shown.isdisjoint(tree):
        return None     # held by what an earlier finding explains
    chain = _render(path, mdicts) if path else ""
    rooted = bool(path)
    if not rooted:
        held, anchor = _anchor(tree)
        if anchor:
            chain = "%d reference%s outside the GC's view \u2192 %s" % (
                held, "" if held == 1 else "s",
                _render(anchor, mdicts, root=False))
            path = anchor
    cycle = ""
    loop = _cycle(o, tree, deadline) if not rooted else None
    if loop:
        cycle = _render_cycle(loop, mdicts)
    cache = _known_cache(path or [])
    for n in (path or []) + (loop or []):
        shown.add(id(n))
    return (_describe(o, mdicts), chain, max(outside, 0), cycle,
            cache or "")


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
