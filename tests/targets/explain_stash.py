"""--explain: an object kept by a C static (the stash fixture)."""
import explain_keep
import stash

stash.keep(explain_keep.Payload())
