"""Hypervisor drivers behind one abstract base (`base.HypervisorDriver`)."""
