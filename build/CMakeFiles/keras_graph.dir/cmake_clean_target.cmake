file(REMOVE_RECURSE
  "libkeras_graph.a"
)
