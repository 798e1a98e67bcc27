"""refhunt's finders inside the embedded interpreter: what the rounds left
and who holds it (--show-growth, --explain).

The worker (embed.c) runs this file in glue.py's namespace, after glue.py,
only in a hunt that asks for either option: every other round's
interpreter spares its loading. The worker calls growth(), and, through
explainer.c, explain_snapshot() and explain(), after the counters are read.
"""


# ---- --show-growth: what grew


def _type_name(obj):
    t = type(obj)
    module = getattr(t, "__module__", None)
    if module in (None, "builtins"):
        return t.__qualname__
    return "%s.%s" % (module, t.__qualname__)


# refhunt's own frames, which hold what they look at: never a holder
_OWN_FILES = (_GLUE_FILE, _type_name.__code__.co_filename)


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
                    r.f_code.co_filename in _OWN_FILES:
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
        if type(r).__name__ == "frame" and r.f_code.co_filename in _OWN_FILES:
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
