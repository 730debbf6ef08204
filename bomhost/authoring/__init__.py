"""The plugin author's kit: ``bomhost plugin new``, ``test``, ``pin`` and ``inspect``.

It sits above the plugin machinery and uses it as a user's run does (the same runner, runtimes,
budgets and policy checks); nothing below imports it.
"""
