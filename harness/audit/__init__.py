"""The audit: run every scenario, judge the claims, write the report folder.

The data path: pytest results (``runner``) -> one ``Run`` document (``model``)
-> ``analysis`` (state-change table, claim verdicts, findings) -> the renderers
in ``harness.report``.
"""
