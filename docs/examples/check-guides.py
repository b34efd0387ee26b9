#!/usr/bin/env python3
# check-guides.py REFERENCE_DIR EXAMPLES_DIR BINDINGS_DIR: every code block
# of a guide is a verbatim part of a program the test suite builds and runs
# (C and C++ in docs/examples, Python and JavaScript in tests/bindings), so
# no guide shows code that does not compile or does not do what it says.
# TAP, one test case per guide.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import re
import sys

reference_dir, *source_dirs = sys.argv[1:]
LANGUAGES = {'c': ('.c', '.cpp'), 'cpp': ('.cpp',), 'python': ('.py',), 'js': ('.js',)}
BLOCK = re.compile(r'^```(\w+)\n(.*?)^```', re.M | re.S)


def normalise(text):
    return '\n'.join(line.rstrip() for line in text.strip('\n').splitlines())


sources = {}
for directory in source_dirs:
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), encoding='utf-8', errors='replace') as f:
            sources[name] = normalise(f.read())

guides = sorted(name for name in os.listdir(reference_dir) if name.endswith('.md'))
print('TAP version 13')
print('1..%d' % len(guides))
failed = 0
for number, guide in enumerate(guides, 1):
    with open(os.path.join(reference_dir, guide), encoding='utf-8') as f:
        text = f.read()
    problems = []
    n_blocks = 0
    for language, body in BLOCK.findall(text):
        if language not in LANGUAGES:
            continue
        n_blocks += 1
        block = normalise(body)
        homes = [name for name, source in sources.items()
                 if name.endswith(LANGUAGES[language]) and block in source]
        if not homes:
            first = block.splitlines()[0] if block else ''
            problems.append('a %s block starting "%s" is in no built program' % (language, first))
    if n_blocks == 0:
        problems.append('no code block: a guide shows the code it explains')
    if problems:
        failed += 1
        print('not ok %d - %s: every code block is compiled and run' % (number, guide))
        for problem in problems:
            print('# ' + problem)
    else:
        print('ok %d - %s: every code block is compiled and run (%d blocks)' % (number, guide, n_blocks))
sys.exit(1 if failed else 0)
