file(REMOVE_RECURSE
  "libkeras_ops.a"
)
