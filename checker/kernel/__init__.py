"""The kernel model: the task table and the rules that change it, one module
per family of system calls, each rule citing the kernel function it follows."""
