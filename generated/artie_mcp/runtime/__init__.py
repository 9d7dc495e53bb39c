"""The runtime every generated server uses: real, tested Python, copied verbatim.

Nothing in here names a particular API; the generated package passes its
operations and its ``PackageInfo`` in.
"""
