#!/bin/sh
# Stands in for an agent CLI (`claude -p {prompt_file}`) in the end-to-end tests: the compile
# backend `command = "sh fake-agent.sh {name}"` runs it in the workspace root, and it writes the
# implementation of spec $1 where the arrangement's output_paths say (src/{name}.py: src/tasks.py,
# the example's own file, so the compile asks before replacing it).
mkdir -p src
cat > "src/$1.py" <<PY
"""$1: written by the stand-in agent of the Neovim end-to-end tests."""


def create_task(title: str) -> dict:
    return {"title": title, "status": "pending"}
PY
echo "wrote src/$1.py"
