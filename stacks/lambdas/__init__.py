"""Lambda handlers the template ships inline (Code.ZipFile), each a real, tested module."""
