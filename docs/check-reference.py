#!/usr/bin/env python3
# check-reference.py GIR TOML HTML_DIR: the rules the API reference keeps,
# as TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import glob
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

CORE = '{http://www.gtk.org/introspection/core/1.0}'
GLIB = '{http://www.gtk.org/introspection/glib/1.0}'
DOCUMENTED = ('function', 'method', 'constructor', 'record', 'class', 'enumeration',
              'bitfield', 'callback', 'constant', 'function-macro')
# A callback of one of these types may run on a fiber or on a worker thread.
OFF_THREAD_CALLBACKS = ('TaskFunc', 'ThreadFunc', 'ExceptionHandler')

gir_path, toml_path, html_dir = sys.argv[1], sys.argv[2], sys.argv[3]
namespace = ET.parse(gir_path).getroot().find(CORE + 'namespace')
results = []


def check(name, failures):
    results.append((name, failures))


def symbols(node, prefix=''):
    for child in node:
        tag = child.tag[len(CORE):] if child.tag.startswith(CORE) else None
        if tag not in DOCUMENTED:
            continue
        # GObject class structures are generated, not declared by us.
        if child.get(GLIB + 'is-gtype-struct-for') is not None:
            continue
        yield tag, prefix + child.get('name'), child
        yield from symbols(child, prefix + child.get('name') + '.')


# gi-docgen's own check: documentation present for every symbol, parameter
# and return value.
proc = subprocess.run(['gi-docgen', 'check', '--config', toml_path, gir_path],
                      capture_output=True, text=True)
output = re.sub(r'\x1b\[[0-9;]*m', '', proc.stdout + proc.stderr)
warnings = [line for line in output.splitlines() if 'WARNING' in line or 'ERROR' in line]
if proc.returncode != 0 and not warnings:
    warnings = ['gi-docgen check exited with %d' % proc.returncode]
check('gi-docgen check reports no warning', warnings)

check('every public symbol says when it appeared (Since:)',
      ['%s %s has no Since:' % (tag, name)
       for tag, name, node in symbols(namespace) if node.get('version') is None])


def callable_takes(node, callback_names):
    params = node.find(CORE + 'parameters')
    if params is None:
        return False
    for param in params:
        type_node = param.find(CORE + 'type')
        if type_node is not None and type_node.get('name') in callback_names:
            return True
    return False


check('nothing that runs its callback on a fiber or a thread is introspectable',
      ['%s %s takes a %s and is introspectable' % (tag, name, ' or '.join(OFF_THREAD_CALLBACKS))
       for tag, name, node in symbols(namespace)
       if tag in ('function', 'method', 'constructor')
       and callable_takes(node, OFF_THREAD_CALLBACKS)
       and node.get('introspectable') != '0'])

def first_parameter_type(node):
    params = node.find(CORE + 'parameters')
    first = params[0] if params is not None and len(params) else None
    type_node = first.find(CORE + 'type') if first is not None else None
    return type_node.get('name') if type_node is not None else None


# A callback that receives a task is a task's body: it runs on the fiber.
check('the fiber and thread callback types themselves are not introspectable',
      ['callback %s is introspectable' % name
       for tag, name, node in symbols(namespace)
       if tag == 'callback' and node.get('introspectable') != '0'
       and (name in OFF_THREAD_CALLBACKS or first_parameter_type(node) == 'Task')])

# gi-docgen checks links written in doc comments and guides; this checks
# what it generated from them.
broken = []
for page in sorted(glob.glob(os.path.join(html_dir, '*.html'))):
    with open(page, encoding='utf-8') as f:
        for target in re.findall(r'href="([^"#:]+)(?:#[^"]*)?"', f.read()):
            if not os.path.exists(os.path.join(html_dir, target)):
                broken.append('%s links to missing %s' % (os.path.basename(page), target))
if not glob.glob(os.path.join(html_dir, 'index.html')):
    broken.append('no index.html in %s' % html_dir)
check('every link between pages of the HTML reference resolves', broken)

print('TAP version 13')
print('1..%d' % len(results))
failed = 0
for number, (name, failures) in enumerate(results, 1):
    if failures:
        failed += 1
        print('not ok %d - %s' % (number, name))
        for failure in failures:
            print('# ' + failure)
    else:
        print('ok %d - %s' % (number, name))
sys.exit(1 if failed else 0)
