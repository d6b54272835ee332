# Empty dependencies file for keras_core.
# This may be replaced when dependencies are built.
