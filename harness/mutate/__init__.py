"""Mutation testing of fixed variants: does a fix's scenario set catch the next bug?

Mutants of the functions a fix names (a map in the project's catalog folder)
are compiled into one instrumented copy of each module ("mutant schemata"):
every mutated function holds its original body and each mutant's body, and
picks one at call time from ``HARNESS_MUTANT``. The instrumented modules win
at import in every interpreter the run starts (a ``sitecustomize`` on
``PYTHONPATH`` installs an import hook), and the variable reaches every forked
child and server with its environment, so one pytest session per worker runs
every mutant against warm servers.

Kept import-light: ``harness.mutate.runtime`` is imported at the start of
every interpreter of a mutation run.
"""
