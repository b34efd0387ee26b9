#!/usr/bin/env python3
# check-po.py: every translation compiles and covers every message.
#
# Extracts a fresh .pot from po/POTFILES.in with the same xgettext arguments
# as meson's i18n.gettext(preset: 'glib'), then for each language in
# po/LINGUAS: `msgfmt -c --check` must pass with no fuzzy and no untranslated
# message, and `msgcmp` must find every .pot message translated in the .po.
# Speaks TAP.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import re
import subprocess
import sys
import tempfile

# mesonbuild/modules/i18n.py, PRESET_ARGS['glib']
GLIB_PRESET = [
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
    '--flag=g_string_printf:2:c-format', '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format', '--flag=g_printf:1:c-format',
    '--flag=g_fprintf:2:c-format', '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
]

results = []


def check(ok, name, detail=''):
    results.append((ok, name, detail))


def main():
    source_root = sys.argv[1]
    po_dir = os.path.join(source_root, 'po')
    with open(os.path.join(po_dir, 'LINGUAS')) as f:
        languages = [l.strip() for l in f if l.strip() and not l.startswith('#')]

    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'bridge-downloader.pot')
        run = subprocess.run(['xgettext', '--package-name=bridge-downloader',
                              '-f', os.path.join(po_dir, 'POTFILES.in'),
                              '-D', source_root, '-k_', '-o', pot] + GLIB_PRESET,
                             capture_output=True, text=True)
        check(run.returncode == 0 and os.path.exists(pot), 'xgettext extracts the messages',
              run.stderr)
        if run.returncode != 0:
            return

        with open(pot) as f:
            n_messages = len(re.findall(r'^msgid ', f.read(), re.M)) - 1
        check(n_messages > 0, f'the template has {n_messages} messages')

        for lang in languages:
            po = os.path.join(po_dir, lang + '.po')
            run = subprocess.run(['msgfmt', '-c', '--check', '--statistics', '-o', os.devnull, po],
                                 capture_output=True, text=True, env=dict(os.environ, LC_ALL='C'))
            stats = run.stderr.strip()
            check(run.returncode == 0, f'{lang}.po compiles with msgfmt -c --check', stats)
            check('fuzzy' not in stats and 'untranslated' not in stats,
                  f'{lang}.po has no fuzzy or untranslated message', stats)

            run = subprocess.run(['msgcmp', '-N', po, pot], capture_output=True, text=True,
                                 env=dict(os.environ, LC_ALL='C'))
            check(run.returncode == 0, f'{lang}.po translates every message of the template',
                  run.stderr)

            with open(po) as f:
                header = f.read()
            want = {'de': 'nplurals=2; plural=(n != 1);', 'fr': 'nplurals=2; plural=(n > 1);'}
            if lang in want:
                check(want[lang] in header, f'{lang}.po has the right plural forms')


if __name__ == '__main__':
    try:
        main()
    finally:
        print(f'1..{len(results)}')
        for i, (ok, name, detail) in enumerate(results, 1):
            print(f'{"ok" if ok else "not ok"} {i} - {name}')
            if not ok and detail:
                for line in detail.splitlines():
                    print(f'# {line}')
    sys.exit(0 if results and all(ok for ok, _, _ in results) else 1)
