#!/usr/bin/env python3
"""walk.py [BOTDIR]: the bot files a reader visits following tree.txt (the
call tree of one button press), into each call and back; reading on in the
same file is one visit. Prints the files in order and counts the visits,
the files and the returns to a file already left."""
import re, sys, glob, os
d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bot')
src = {f: open(f).read() for f in glob.glob(d + '/*.go') if not f.endswith('_test.go')}
def where(fn):
    if '.' in fn:
        recv, name = fn.split('.', 1); r = re.compile(r'^func \(\w+ \*?%s\) %s\(' % (recv, name), re.M)
    else:
        r = re.compile(r'^func %s\(' % fn, re.M)
    hits = [f for f, s in src.items() if r.search(s)]
    if not hits: sys.exit('not found: ' + fn)
    return os.path.basename(hits[0])
nodes = []
for line in open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tree.txt')):
    if not line.strip() or line.startswith('#'): continue
    nodes.append(((len(line) - len(line.lstrip(' '))) // 2, line.strip()))
seq = []
def visit(f):
    if not seq or seq[-1] != f: seq.append(f)
stack = []
for depth, fn in nodes:
    while stack and stack[-1][0] >= depth:
        stack.pop()
        if stack: visit(stack[-1][1])  # back in the caller
    f = where(fn); visit(f); stack.append((depth, f))
print(' → '.join(s.replace('.go', '') for s in seq))
print('visits %d, files %d, returns to a file already left %d' % (len(seq), len(set(seq)), len(seq) - len(set(seq))))
