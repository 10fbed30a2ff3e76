#!/bin/sh
# Stands in for pytest in the end-to-end tests: reports test_create_a_simple_task (linked to
# scenario task-create by its @spec marker) as passed, in JUnit XML, to the report file $1.
cat > "$1" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="1" failures="0" errors="0" skipped="0"><testcase classname="tests.test_tasks" name="test_create_a_simple_task" file="tests/test_tasks.py" time="0.012"/></testsuite></testsuites>
XML
echo "1 passed"
