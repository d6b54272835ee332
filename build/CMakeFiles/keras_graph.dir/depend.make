# Empty dependencies file for keras_graph.
# This may be replaced when dependencies are built.
