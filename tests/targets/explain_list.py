"""--explain: an object kept in a module-level list (loop mode)."""
import explain_keep

explain_keep.kept.append(object())
