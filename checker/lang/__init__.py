"""The .proc language: parse (text to AST), check (static rules), lower
(AST to IR). `checker.lang.load.load_text` runs all three."""
