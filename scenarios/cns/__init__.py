"""CNS scenarios: the consensus store (reference_impl.cns) under SIGKILL, power loss and races."""
