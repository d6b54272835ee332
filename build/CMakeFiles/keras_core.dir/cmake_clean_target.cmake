file(REMOVE_RECURSE
  "libkeras_core.a"
)
