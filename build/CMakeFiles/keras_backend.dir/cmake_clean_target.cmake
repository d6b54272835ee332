file(REMOVE_RECURSE
  "libkeras_backend.a"
)
