"""Exploration engines. Each sees only the IR, the kernel's step function and
the compiled properties; none imports a renderer."""
