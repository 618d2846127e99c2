"""iacfilter's built-in plugins, each registered through the ``iacfilter`` entry-point group."""
