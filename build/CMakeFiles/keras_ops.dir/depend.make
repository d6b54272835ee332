# Empty dependencies file for keras_ops.
# This may be replaced when dependencies are built.
