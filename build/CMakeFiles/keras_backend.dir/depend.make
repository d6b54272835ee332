# Empty dependencies file for keras_backend.
# This may be replaced when dependencies are built.
