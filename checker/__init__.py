"""forkcheck: a model checker for Linux process programs.

Data flows one way: text -> AST (checker.lang) -> IR -> engine
(checker.engines, over the kernel model in checker.kernel and the properties
in checker.props) -> results (checker.results) -> renderers (checker.render).
"""

__version__ = "0.1.0"
