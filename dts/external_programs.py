# SPDX-License-Identifier: BSD-3-Clause
"""The external programs natprobe's tests, tools and docs call, found from the code,
and the Debian packages they come from.

A fresh Debian 12 machine has what `tools/setup.sh` installs and nothing more. This
module finds every program that dts/, tests/, tools/, docs/ and the README call, and
checks that the Debian package owning it (`dpkg -S` on the resolved path) is one that
setup.sh names, a hard dependency (Depends/PreDepends) of one, or part of the
Essential/required set every Debian system has. dts/TestSuite_setup.py runs the check.

Where programs are found:

- Python (*.py, and scripts whose first line names python): the argv of
  subprocess.run/Popen/call/check_call/check_output, os.exec*/spawn*, asyncio's
  create_subprocess_exec; the command string of os.system/os.popen and of calls with
  shell=True; the names given to shutil.which() and require_program(). Argument lists
  are followed through
  variables, attributes (self.x), `+`, `or`, conditional expressions, indexing, the
  return values of the tree's own functions, and function parameters (to the
  arguments their callers pass).
- Shell (*.sh, and scripts whose first line names sh or bash): the first word of every
  simple command, in $(...) and `...` too; `command -v X` names X; a word that is a
  variable is followed to the values the script assigns it.
- Markdown: fenced blocks tagged sh, bash or shell (every line) and console (the lines
  after a `$ ` prompt). Blocks for other machines are tagged text.

Wrappers (`ip netns exec NS`, `timeout`, `sudo`, `env`, `nice`, `time`, `valgrind`,
`unshare`, `taskset`, `sh -c`) are looked through: the wrapper and the program it
runs both count. Not external programs: shell builtins and keywords (bash's own list,
`compgen -b -k`), functions the script defines, relative paths and paths inside the
tree (its own scripts and build outputs), and the executables meson.build defines.

Run as a script for the report:  /usr/bin/python3 dts/external_programs.py
"""

import ast
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SCAN_DIRS = ("dts", "tests", "tools", "docs")
SCAN_FILES = ("README.md",)
SETUP = REPO_ROOT / "tools" / "setup.sh"
# The PATH programs are looked up in: root's, as on a fresh machine.
SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHELL_FENCES = ("sh", "bash", "shell")
CONSOLE_FENCES = ("console",)
MAX_DEPTH = 10          # how far a value is followed through names, calls and callers
MAX_ALTERNATIVES = 64   # argv alternatives kept per expression

SUBPROCESS_ARGV = {"run", "Popen", "call", "check_call", "check_output"}
SUBPROCESS_SHELL = {"getoutput", "getstatusoutput"}
LOOKUPS = {"which", "require_program"}
PATHLIKE = {"str", "fspath", "Path", "abspath", "realpath", "expanduser", "normpath"}
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\+?=(.*)$", re.S)
VARIABLE = re.compile(r"^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)"
                      r"(?::?[-=](.*))?\})$", re.S)
# Environment variables whose value is a program (make's and meson's conventions).
PROGRAM_VARIABLES = {"CC", "CXX", "LD", "AR"}
SHELL_KEYWORDS_SKIPPED = {"if", "then", "else", "elif", "do", "while", "until", "!", "{",
                          "}", "time", "fi", "done"}
SHELLS = {"sh", "bash", "dash"}
# Wrappers: name -> (options that take a value, positional arguments before the program).
WRAPPERS = {
    "sudo": ({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"}, 0),
    "env": ({"-u", "-C", "-S", "--unset", "--chdir"}, 0),
    "nice": ({"-n", "--adjustment"}, 0),
    "nohup": (set(), 0),
    "timeout": ({"-s", "-k", "--signal", "--kill-after"}, 1),
    "time": ({"-o", "-f", "--output", "--format"}, 0),
    "valgrind": (set(), 0),
    "unshare": ({"-S", "-G", "--setuid", "--setgid", "--propagation", "-R", "-w",
                 "--root", "--wd"}, 0),
    "taskset": (set(), 1),
    "setpriv": (set(), 0),
    "stdbuf": ({"-i", "-o", "-e"}, 0),
    "exec": (set(), 0),
    "command": (set(), 0),
}


@dataclass(frozen=True)
class Call:
    """One place that calls an external program."""
    program: str    # as written: a name or an absolute path
    where: str      # "path:line", relative to the repository root
    kind: str = "run"   # "run", "lookup" (shutil.which), "require" (require_program)


class Param:
    """A function parameter at a program's position: its value is what callers pass."""

    def __init__(self, mod, func, name, seq):
        self.mod, self.func, self.name, self.seq = mod, func, name, seq


MORE = object()     # the rest of an argv is not known


# --------------------------------------------------------------------------
# What is not an external program
# --------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def shell_builtins():
    """bash's builtins and keywords, from bash itself."""
    r = subprocess.run(["bash", "-c", "compgen -b; compgen -k"], capture_output=True,
                       text=True, check=True)
    return frozenset(r.stdout.split())


@functools.lru_cache(maxsize=None)
def own_executables(root=REPO_ROOT):
    """Names (and name prefixes, ending in '*') of the executables meson.build files define."""
    names = set()
    for mb in Path(root).rglob("meson.build"):
        if any(part.startswith("build") for part in mb.relative_to(root).parts[:-1]):
            continue
        for m in re.finditer(r"executable\(\s*'([^']+)'(\s*\+)?", mb.read_text()):
            names.add(m.group(1) + ("*" if m.group(2) else ""))
    return frozenset(names)


def is_own(word, root=REPO_ROOT):
    """True when word names the tree's own script or build output."""
    if "/" in word and not word.startswith("/"):
        return True     # relative: the tree's scripts and build directories
    if word.startswith("/"):
        try:
            Path(word).resolve().relative_to(Path(root).resolve())
            return True
        except ValueError:
            pass
    base = os.path.basename(word)
    for n in own_executables(root):
        if base == n or (n.endswith("*") and base.startswith(n[:-1])):
            return True
    return False


def looks_like_program(word):
    """A word that could be a program name (not an option, value or placeholder)."""
    return bool(word) and re.match(r"^[A-Za-z0-9_./+-]+$", word) is not None and \
        not word.startswith("-") and not re.match(r"^[0-9.]+$", word)


# --------------------------------------------------------------------------
# Wrappers
# --------------------------------------------------------------------------

def wrapped_index(words, i):
    """Index in words of the program the wrapper words[i] runs; None when it runs none
    (or it is not a wrapper)."""
    name = os.path.basename(words[i])
    if name == "ip":
        if words[i + 1:i + 3] == ["netns", "exec"] and i + 4 < len(words):
            return i + 4
        return None
    if name not in WRAPPERS:
        return None
    valued, positional = WRAPPERS[name]
    j = i + 1
    while j < len(words):
        w = words[j]
        if not isinstance(w, str):
            return j if positional == 0 else None
        if name == "command" and w in ("-v", "-V"):
            return j + 1 if j + 1 < len(words) else None
        if w == "--":
            j += 1
            break
        if w.startswith("-"):
            j += 2 if w in valued else 1
            continue
        if name == "env" and ASSIGNMENT.match(w):
            j += 1
            continue
        if positional:
            positional -= 1
            j += 1
            continue
        break
    return j if j < len(words) else None


# --------------------------------------------------------------------------
# Shell
# --------------------------------------------------------------------------

def _strip_heredocs(lines):
    out, delim = [], None
    for ln in lines:
        if delim is not None:
            out.append("")
            if ln.strip() == delim:
                delim = None
            continue
        out.append(ln)
        m = re.search(r"<<-?\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1", ln)
        if m and "<<<" not in ln:
            delim = m.group(2)
    return out


def _logical_lines(text):
    """(first line number, text) of each logical line: continuations joined, and lines
    joined while a quote is open."""
    lines = _strip_heredocs(text.split("\n"))
    out, buf, start = [], "", None
    for n, ln in enumerate(lines, 1):
        if start is None:
            start, buf = n, ln
        else:
            buf += "\n" + ln
        if buf.endswith("\\") and not buf.endswith("\\\\"):
            buf = buf[:-1]
            continue
        if re.match(r"^\s*[A-Za-z_][A-Za-z0-9_]*\+?=\(", buf) and ")" not in \
                re.sub(r"#.*", "", buf) and n - start < 200:
            continue    # an array assignment goes on to its ')'
        try:
            shlex.split(buf, comments=True)
        except ValueError:
            if n - start < 50:
                continue        # an open quote: the string goes on
        out.append((start, buf))
        start, buf = None, ""
    if start is not None:
        out.append((start, buf))
    return out


def _substitutions(s):
    """s with each $(...) and `...` replaced by a placeholder word, and the texts inside."""
    out, inner, i, quote = [], [], 0, None
    while i < len(s):
        c = s[i]
        if quote == "'":
            if c == "'":
                quote = None
            out.append(c)
            i += 1
            continue
        if c == "\\" and i + 1 < len(s):
            out.append(s[i:i + 2])
            i += 2
            continue
        if c == "'" and quote is None:
            quote = "'"
        elif c == '"':
            quote = None if quote == '"' else '"'
        if s.startswith("$((", i):
            end = s.find("))", i)
            end = len(s) if end < 0 else end + 2
            out.append("0")
            i = end
            continue
        if s.startswith("$(", i) or c == "`":
            depth, j = 1, i + (2 if c == "$" else 1)
            while j < len(s):
                if c == "`" and s[j] == "`":
                    depth = 0
                elif c == "$" and s[j] == "(":
                    depth += 1
                elif c == "$" and s[j] == ")":
                    depth -= 1
                if depth == 0:
                    break
                j += 1
            inner.append(s[i + (2 if c == "$" else 1):j])
            out.append("$__subst__")
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out), inner


def _tokens(s):
    lex = shlex.shlex(s, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError:
        return []


def _simple_commands(text):
    """(line, [words]) of each simple command of a shell text; function names defined."""
    cmds, funcs = [], set()
    pattern = False     # in a case statement, where a pattern (up to its ')') comes next
    for line, logical in _logical_lines(text):
        todo = [logical]
        while todo:
            outer, inner = _substitutions(todo.pop())
            todo.extend(inner)
            toks = _tokens(outer)
            cur, i = [], 0
            while i < len(toks):
                t = toks[i]
                if pattern:
                    pattern = t not in (")", "esac")
                    i += 1
                    continue
                if t == "case" and not cur:
                    while i < len(toks) and toks[i] != "in":
                        i += 1
                    pattern, i = True, i + 1
                    continue
                if t in (";;", ";&", ";;&"):
                    pattern = True
                # name() { ...: a function definition
                paren = 2 if toks[i + 1:i + 2] == ["()"] else \
                    3 if toks[i + 1:i + 3] == ["(", ")"] else 0
                if paren and not cur and re.match(r"^[A-Za-z_][A-Za-z0-9_:-]*$", t):
                    funcs.add(t)
                    i += paren
                    continue
                if t == "function" and not cur and i + 1 < len(toks):
                    funcs.add(toks[i + 1])
                    i += 2
                    continue
                # NAME=( ... ): an array assignment
                if t.endswith("=") and ASSIGNMENT.match(t) and toks[i + 1:i + 2] == ["("]:
                    depth, j = 0, i + 1
                    while j < len(toks):
                        depth += toks[j] == "("
                        depth -= toks[j] == ")"
                        j += 1
                        if depth == 0:
                            break
                    cur.append(t)
                    i = j
                    continue
                if t and all(c in ";&|()" for c in t):
                    if cur:
                        cmds.append((line, cur))
                    cur = []
                elif t and all(c in "<>&" for c in t):
                    i += 1      # a redirection and its target
                    if cur and re.match(r"^[0-9]+$", cur[-1]):
                        cur.pop()
                else:
                    cur.append(t)
                i += 1
            if cur:
                cmds.append((line, cur))
    return cmds, funcs


def _shell_values(name, assigned, depth=0):
    """The literal values a script gives variable name ('' among them if it may be empty)."""
    vals = set()
    for v in assigned.get(name, ()):
        m = VARIABLE.match(v)
        if m and depth < 4:
            vals |= _shell_values(m.group(1) or m.group(2), assigned, depth + 1)
            if m.group(3) is not None:
                vals.add(m.group(3))
        elif "$" not in v:
            vals.add(v)
    return vals


def shell_programs(text, first_line=1):
    """(program, line) of each external-program candidate a shell text runs.

    Builtins, keywords, the script's functions and unresolvable words are left out; the
    caller leaves out the tree's own programs."""
    cmds, funcs = _simple_commands(text)
    builtins = shell_builtins()
    assigned = {}
    for _, words in cmds:
        for w in words:
            m = ASSIGNMENT.match(w)
            if m:
                assigned.setdefault(m.group(1), []).append(m.group(2))
            elif not (w in ("local", "export", "declare", "readonly", "typeset")):
                break
    found = []

    def program_words(words, line):
        """Follow words[0] through variables and wrappers."""
        i = 0
        while i < len(words):
            w = words[i]
            m = VARIABLE.match(w)
            if m:
                vals = _shell_values(m.group(1) or m.group(2), assigned)
                if m.group(3) is not None:
                    vals.add(m.group(3))
                for v in vals - {""}:
                    program_words(shlex.split(v) + words[i + 1:], line)
                if "" not in vals:
                    return
                i += 1
                continue
            if "$" in w or w in funcs or not looks_like_program(w):
                return
            if w in builtins and w not in ("command", "exec", "time"):
                return
            if w not in builtins:
                found.append((w, line))
            base = os.path.basename(w)
            if base in SHELLS and words[i + 1:i + 2] == ["-c"] and i + 2 < len(words):
                found.extend(shell_programs(words[i + 2], line))
                return
            j = wrapped_index(words, i)
            if j is None:
                return
            i = j

    for line, words in cmds:
        line += first_line - 1
        # leading assignments; a program variable (CC=clang) names a program
        while words and ASSIGNMENT.match(words[0]):
            m = ASSIGNMENT.match(words[0])
            if m.group(1) in PROGRAM_VARIABLES and looks_like_program(m.group(2)):
                found.append((m.group(2), line))
            words = words[1:]
        while words and words[0] in SHELL_KEYWORDS_SKIPPED:
            words = words[1:]
        if not words:
            continue
        if words[0] in ("for", "select", "[[", "((", "local", "export", "declare",
                        "readonly", "typeset"):
            continue
        program_words(words, line)
    return found


# --------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------

def markdown_programs(text):
    """(program, line) of the commands in a Markdown file's shell and console blocks."""
    found, lines = [], text.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(```+|~~~+)\s*([A-Za-z0-9_+-]*)", lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(2), m.group(3).lower(), i + 1
        j = start
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        body = [ln[len(m.group(1)):] if ln.startswith(m.group(1)) else ln.lstrip()
                for ln in lines[start:j]]
        if lang in SHELL_FENCES:
            found.extend(shell_programs("\n".join(body), start + 1))
        elif lang in CONSOLE_FENCES:
            k = 0
            while k < len(body):
                if body[k].startswith("$ "):
                    cmd, n = body[k][2:], k
                    while cmd.endswith("\\") and k + 1 < len(body):
                        k += 1
                        cmd = cmd[:-1] + "\n" + body[k]
                    found.extend(shell_programs(cmd, start + n + 1))
                k += 1
        i = j + 1
    return found


# --------------------------------------------------------------------------
# Python
# --------------------------------------------------------------------------

def _name_of(func):
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _own_statements(body):
    """Every node of a function (or module) body, not entering nested functions or classes."""
    todo = list(body)
    while todo:
        n = todo.pop()
        yield n
        for c in ast.iter_child_nodes(n):
            if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                  ast.ClassDef)):
                todo.append(c)


class PyModule:
    def __init__(self, path, rel, tree):
        self.path, self.rel, self.tree = path, rel, tree
        self.parent = {}
        for n in ast.walk(tree):
            for c in ast.iter_child_nodes(n):
                self.parent[c] = n
        self.funcs = {}         # name -> [FunctionDef]
        self.calls = {}         # called name -> [Call]
        self.attrs = {}         # attribute name -> [(value, function)] of `x.attr = value`
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.funcs.setdefault(n.name, []).append(n)
            elif isinstance(n, ast.Call) and _name_of(n.func):
                self.calls.setdefault(_name_of(n.func), []).append(n)
            elif isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Attribute):
                        self.attrs.setdefault(t.attr, []).append((n.value, self.enclosing(n)))
        self.imports = {}       # local name -> the module it was imported from
        self.modules = set()    # local names of imported modules
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom) and n.module and not n.level:
                for a in n.names:
                    self.imports[a.asname or a.name] = n.module
            elif isinstance(n, ast.Import):
                for a in n.names:
                    self.modules.add(a.asname or a.name.split(".")[0])
        self._assigns = {}

    def enclosing(self, node):
        """The function a node is in (None at module level)."""
        n = self.parent.get(node)
        while n is not None and not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = self.parent.get(n)
        return n

    def is_method(self, func):
        return isinstance(self.parent.get(func), ast.ClassDef)

    def assigns(self, scope):
        """{name: [value nodes]} assigned in a function body (or the module's)."""
        key = scope if scope is not None else self.tree
        if key not in self._assigns:
            d = {}
            body = key.body
            for n in _own_statements(body):
                if isinstance(n, ast.Assign):
                    for t in n.targets:
                        if isinstance(t, ast.Name):
                            d.setdefault(t.id, []).append(n.value)
                        elif isinstance(t, (ast.Tuple, ast.List)):
                            for e in t.elts:
                                if isinstance(e, ast.Name):
                                    d.setdefault(e.id, []).append(None)
                elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) \
                        and n.value is not None:
                    d.setdefault(n.target.id, []).append(n.value)
                elif isinstance(n, (ast.For, ast.comprehension)) and \
                        isinstance(n.target, ast.Name):
                    d.setdefault(n.target.id, []).append(None)
                elif isinstance(n, ast.withitem) and isinstance(n.optional_vars, ast.Name):
                    d.setdefault(n.optional_vars.id, []).append(None)
            self._assigns[key] = d
        return self._assigns[key]

    def attr_assigns(self, attr):
        """Values assigned to `<anything>.attr` in this module, each with its function."""
        return self.attrs.get(attr, [])


class PyScanner:
    """Finds the programs a set of Python modules run."""

    def __init__(self, modules):
        self.modules = modules
        self.by_name = {Path(m.rel).stem: m for m in modules}
        self.calls = []

    # -- values ------------------------------------------------------------

    def lookup(self, mod, name, scope, binds, depth):
        """[(value node, scope, binds)] a name may hold, or a Param, or None (unknown)."""
        f = scope
        while f is not None:
            d = mod.assigns(f)
            if name in d:
                return [(v, f, binds) for v in d[name]]
            args = f.args
            params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
            if name in params or (args.vararg and args.vararg.arg == name):
                if binds is not None and f in binds and name in binds[f]:
                    return binds[f][name]
                return Param(mod, f, name, bool(args.vararg and args.vararg.arg == name))
            f = mod.enclosing(f)
        d = mod.assigns(None)
        if name in d:
            return [(v, None, None) for v in d[name]]
        return None

    def bind(self, mod, func, call, caller_scope, caller_binds):
        """{func: {param: [(node, scope, binds)]}}: a call's arguments as func's parameters."""
        args = func.args
        names = [a.arg for a in args.posonlyargs + args.args]
        pos = list(call.args)
        if mod.is_method(func) and isinstance(call.func, ast.Attribute) and names:
            names = names[1:]
        b = {}
        for i, a in enumerate(pos[:len(names)]):
            if isinstance(a, ast.Starred):
                break       # f(*xs): the rest is not known
            b[names[i]] = [(a, caller_scope, caller_binds)]
        if args.vararg:
            rest = pos[len(names):]
            b[args.vararg.arg] = [(ast.List(elts=rest, ctx=ast.Load()), caller_scope,
                                   caller_binds)]
        for k in call.keywords:
            if k.arg:
                b[k.arg] = [(k.value, caller_scope, caller_binds)]
        return {func: b}

    def functions_called(self, mod, call):
        """[(module, FunctionDef)] a call may reach in the tree's own code."""
        name = _name_of(call.func)
        if name is None:
            return []
        if isinstance(call.func, ast.Name):
            if name in mod.funcs:
                return [(mod, f) for f in mod.funcs[name] if not mod.is_method(f)]
            src = self.by_name.get(mod.imports.get(name, ""))
            if src is not None:
                return [(src, f) for f in src.funcs.get(name, []) if not src.is_method(f)]
            return []
        base = call.func.value
        if isinstance(base, ast.Name) and base.id in self.by_name:
            src = self.by_name[base.id]
            return [(src, f) for f in src.funcs.get(name, []) if not src.is_method(f)]
        if isinstance(base, ast.Name) and base.id in mod.modules:
            return []           # subprocess.run, os.path.join: not the tree's
        return [(mod, f) for f in mod.funcs.get(name, []) if mod.is_method(f)]

    def seq(self, mod, node, scope, binds, depth):
        """Alternatives (tuples of items: str, None, Param, MORE) an argv expression may be."""
        if node is None or depth > MAX_DEPTH:
            return [(MORE,)]
        d = depth + 1
        if isinstance(node, (ast.List, ast.Tuple)):
            alts = [()]
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    parts = self.seq(mod, e.value, scope, binds, d)
                else:
                    parts = [(x,) for x in self.elem(mod, e, scope, binds, d)]
                alts = self._concat(alts, parts)
            return alts
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._concat(self.seq(mod, node.left, scope, binds, d),
                                self.seq(mod, node.right, scope, binds, d))
        if isinstance(node, ast.IfExp):
            return (self.seq(mod, node.body, scope, binds, d) +
                    self.seq(mod, node.orelse, scope, binds, d))[:MAX_ALTERNATIVES]
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            out = []
            for v in node.values:
                out += self.seq(mod, v, scope, binds, d)
            return out[:MAX_ALTERNATIVES]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [(node.value,)]
        if isinstance(node, ast.Name):
            vals = self.lookup(mod, node.id, scope, binds, d)
            if isinstance(vals, Param):
                return [(Param(vals.mod, vals.func, vals.name, True),)]
            if not vals:
                return [(MORE,)]
            out = []
            for v, s, b in vals:
                out += self.seq(mod, v, s, b, d)
            return out[:MAX_ALTERNATIVES]
        if isinstance(node, ast.Attribute):
            out = []
            for v, s in mod.attr_assigns(node.attr):
                out += self.seq(mod, v, s, None, d)
            return out[:MAX_ALTERNATIVES] or [(MORE,)]
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            gen = node.generators[0]
            e = node.elt
            while isinstance(e, ast.Call) and _name_of(e.func) in PATHLIKE and len(e.args) == 1:
                e = e.args[0]
            if isinstance(e, ast.Name) and isinstance(gen.target, ast.Name) and \
                    e.id == gen.target.id:
                return self.seq(mod, gen.iter, scope, binds, d)
            return [(MORE,)]
        if isinstance(node, ast.Call):
            name = _name_of(node.func)
            if name in ("list", "tuple") and len(node.args) == 1:
                return self.seq(mod, node.args[0], scope, binds, d)
            out = []
            for fmod, f in self.functions_called(mod, node):
                b = dict(binds or {})
                b.update(self.bind(fmod, f, node, scope, binds))
                for r in _own_statements(f.body):
                    if isinstance(r, ast.Return) and r.value is not None:
                        out += self.seq(fmod, r.value, f, b, d)
            return out[:MAX_ALTERNATIVES] or [(MORE,)]
        return [(MORE,)]

    def elem(self, mod, node, scope, binds, depth):
        """Alternatives (str, None, Param) of one argv element."""
        if node is None or depth > MAX_DEPTH:
            return [None]
        d = depth + 1
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Name):
            vals = self.lookup(mod, node.id, scope, binds, d)
            if isinstance(vals, Param):
                return [vals]
            if not vals:
                return [None]
            out = []
            for v, s, b in vals:
                out += self.elem(mod, v, s, b, d)
            return out[:MAX_ALTERNATIVES]
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "sys" and \
                    node.attr == "executable":
                return ["python3"]
            out = []
            for v, s in mod.attr_assigns(node.attr):
                out += self.elem(mod, v, s, None, d)
            return out[:MAX_ALTERNATIVES] or [None]
        if isinstance(node, (ast.IfExp,)):
            return self.elem(mod, node.body, scope, binds, d) + \
                self.elem(mod, node.orelse, scope, binds, d)
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            out = []
            for v in node.values:
                out += self.elem(mod, v, scope, binds, d)
            return out[:MAX_ALTERNATIVES]
        if isinstance(node, ast.Call):
            name = _name_of(node.func)
            if (name in PATHLIKE or name in LOOKUPS) and len(node.args) >= 1:
                return self.elem(mod, node.args[0], scope, binds, d)
            if name == "join" and isinstance(node.func, ast.Attribute) and node.args:
                parts = [self.elem(mod, a, scope, binds, d) for a in node.args]
                if all(len(p) == 1 and isinstance(p[0], str) for p in parts):
                    return [os.path.join(*[p[0] for p in parts])]
            return [None]
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and \
                isinstance(node.slice.value, int):
            k = node.slice.value
            out = []
            for alt in self.seq(mod, node.value, scope, binds, d):
                if k < len(alt) and alt[k] is not MORE and not isinstance(alt[k], tuple):
                    out.append(alt[k])
                else:
                    out.append(None)
            return out[:MAX_ALTERNATIVES]
        return [None]

    @staticmethod
    def _concat(a, b):
        out = []
        for x in a:
            if x and x[-1] is MORE:
                out.append(x)
                continue
            for y in b:
                out.append(x + y)
                if len(out) >= MAX_ALTERNATIVES:
                    return out
        return out

    # -- callers -----------------------------------------------------------

    def callers(self, p):
        """[(call node, module, scope)] of the calls to the function that has Param p."""
        out = []
        fname = p.func.name
        method = p.mod.is_method(p.func)
        for m in self.modules if not method else [p.mod]:
            for n in m.calls.get(fname, []):
                if any(f is p.func for _, f in self.functions_called(m, n)):
                    out.append((n, m, m.enclosing(n)))
        return out

    def param_values(self, p, depth):
        """[(alternatives, where)] of what callers pass as Param p."""
        out = []
        for call, m, scope in self.callers(p):
            b = self.bind(p.mod, p.func, call, scope, None)[p.func]
            where = "%s:%d" % (m.rel, call.lineno)
            for node, s, bb in b.get(p.name, []):
                if p.seq:
                    out.append((self.seq(m, node, s, bb, depth), where))
                else:
                    out.append(([(x,) for x in self.elem(m, node, s, bb, depth)], where))
        return out

    # -- programs ----------------------------------------------------------

    def programs(self, items, where, depth=0, kind="run"):
        """Record each program an argv (items) runs, through wrappers and callers."""
        i = 0
        while i < len(items):
            w = items[i]
            if isinstance(w, Param):
                if depth > 3:
                    return
                for alts, cwhere in self.param_values(w, depth + 1):
                    for alt in alts:
                        self.programs(list(alt) + list(items[i + 1:]), cwhere, depth + 1,
                                      kind)
                return
            if not isinstance(w, str) or not looks_like_program(w):
                return
            self.calls.append(Call(w, where, kind))
            if os.path.basename(w) in SHELLS and items[i + 1:i + 2] == ["-c"] and \
                    i + 2 < len(items) and isinstance(items[i + 2], str):
                self.shell(items[i + 2], where)
                return
            j = wrapped_index(list(items), i)
            if j is None:
                return
            i = j

    def shell(self, text, where):
        for prog, _ in shell_programs(text):
            self.calls.append(Call(prog, where))

    def scan(self):
        for mod in self.modules:
            for n in ast.walk(mod.tree):
                if not isinstance(n, ast.Call):
                    continue
                where = "%s:%d" % (mod.rel, n.lineno)
                name = _name_of(n.func)
                base = n.func.value.id if isinstance(n.func, ast.Attribute) and \
                    isinstance(n.func.value, ast.Name) else None
                scope = mod.enclosing(n)
                first = n.args[0] if n.args else next(
                    (k.value for k in n.keywords if k.arg in ("args", "cmd")), None)
                shell = any(k.arg == "shell" and isinstance(k.value, ast.Constant) and
                            k.value.value for k in n.keywords)
                if first is None:
                    continue
                if (base == "subprocess" and name in SUBPROCESS_SHELL) or \
                        (base == "os" and name in ("system", "popen")) or \
                        (base == "subprocess" and name in SUBPROCESS_ARGV and shell) or \
                        (name == "create_subprocess_shell"):
                    for s in self.elem(mod, first, scope, None, 0):
                        if isinstance(s, str):
                            self.shell(s, where)
                elif (base == "subprocess" and name in SUBPROCESS_ARGV) or \
                        name == "create_subprocess_exec":
                    alts = self.seq(mod, first, scope, None, 0) \
                        if name != "create_subprocess_exec" else \
                        [(x,) for x in self.elem(mod, first, scope, None, 0)]
                    for alt in alts:
                        self.programs(list(alt), where)
                elif base == "os" and re.match(r"^(exec|spawn)[lv]p?e?$", name or ""):
                    arg = n.args[1] if name.startswith("spawn") and len(n.args) > 1 else first
                    for x in self.elem(mod, arg, scope, None, 0):
                        self.programs([x], where)
                elif name in LOOKUPS and (name != "which" or base == "shutil" or
                                          isinstance(n.func, ast.Name)):
                    for x in self.elem(mod, first, scope, None, 0):
                        self.programs([x], where,
                                      kind="require" if name == "require_program" else "lookup")
        return self.calls


# --------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------

def _kind(path):
    if path.suffix == ".py":
        return "python"
    if path.suffix == ".sh":
        return "shell"
    if path.suffix == ".md":
        return "markdown"
    if path.suffix == "":
        try:
            with open(path, "rb") as f:
                first = f.readline(200).decode(errors="replace")
        except OSError:
            return None
        if first.startswith("#!"):
            if "python" in first:
                return "python"
            if re.search(r"\b(ba|da)?sh\b", first):
                return "shell"
    return None


def source_files(root=REPO_ROOT):
    """[(path, kind)] of the files the scan reads."""
    root = Path(root)
    files = [root / f for f in SCAN_FILES if (root / f).is_file()]
    for d in SCAN_DIRS:
        if (root / d).is_dir():
            files += sorted(p for p in (root / d).rglob("*")
                            if p.is_file() and "__pycache__" not in p.parts)
    return [(p, k) for p in files for k in [_kind(p)] if k]


@functools.lru_cache(maxsize=None)
def scan(root=REPO_ROOT):
    """[Call] of every external program the tree's tests, tools and docs call."""
    root = Path(root)
    calls, modules = [], []
    for path, kind in source_files(root):
        rel = str(path.relative_to(root))
        text = path.read_text(errors="replace")
        if kind == "python":
            try:
                modules.append(PyModule(path, rel, ast.parse(text, str(path))))
            except SyntaxError as e:
                raise SyntaxError("%s: %s" % (rel, e))
        elif kind == "shell":
            calls += [Call(p, "%s:%d" % (rel, n)) for p, n in shell_programs(text)]
        else:
            calls += [Call(p, "%s:%d" % (rel, n)) for p, n in markdown_programs(text)]
    calls += PyScanner(modules).scan()
    out, seen = [], set()
    for c in calls:
        if c in seen or is_own(c.program, root) or c.program in shell_builtins():
            continue
        seen.add(c)
        out.append(c)
    return tuple(out)


def python_imports(root=REPO_ROOT):
    """{module: [where]} of the modules the tree's Python imports that are neither the
    standard library's nor the tree's own."""
    root = Path(root)
    own = {p.stem for p in root.rglob("*.py")} | {"natprobe_bench"}
    out = {}
    for path, kind in source_files(root):
        if kind != "python":
            continue
        tree = ast.parse(path.read_text(errors="replace"))
        for n in ast.walk(tree):
            names = []
            if isinstance(n, ast.Import):
                names = [a.name for a in n.names]
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                names = [n.module]
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in own or top == "__future__":
                    continue
                out.setdefault(top, []).append("%s:%d" % (path.relative_to(root), n.lineno))
    return out


# --------------------------------------------------------------------------
# Packages
# --------------------------------------------------------------------------

def setup_packages(setup=SETUP):
    """The packages tools/setup.sh installs: its packages=(...) list, as bash reads it."""
    text = Path(setup).read_text()
    m = re.search(r"^packages=\(.*?^\)", text, re.S | re.M)
    if not m:
        raise AssertionError("%s has no packages=( ... ) list" % setup)
    r = subprocess.run(["bash", "-c", m.group(0) + '\nprintf "%s\\n" "${packages[@]}"'],
                       capture_output=True, text=True, check=True)
    return [p for p in r.stdout.split("\n") if p]


@functools.lru_cache(maxsize=None)
def base_packages():
    """Installed packages every Debian system has: Essential: yes or Priority: required."""
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Essential}\t${Priority}\n"],
                       capture_output=True, text=True, check=True)
    out = set()
    for ln in r.stdout.splitlines():
        f = ln.split("\t")
        if len(f) == 3 and (f[1] == "yes" or f[2] == "required"):
            out.add(f[0])
    return frozenset(out)


_graphs = []


def dependency_graph(packages):
    """{package: [[alternatives of one dependency]]}, Depends and PreDepends only, for
    packages and everything they reach: one `apt-cache depends --recurse` call (a graph
    already read that holds them all is used again). A virtual package's alternatives
    are its providers."""
    for g in _graphs:
        if packages <= g.keys():
            return g
    r = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends",
                        "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
                        "--no-enhances"] + sorted(packages),
                       capture_output=True, text=True)
    graph, cur, group, last = {}, None, [], None
    for ln in r.stdout.splitlines():
        if not ln.startswith(" "):
            cur = ln.strip()
            graph.setdefault(cur, [])
            group, last = [], None
            continue
        m = re.match(r"^ (\||\s)(?:Pre)?Depends: (\S+)", ln)
        if m:
            name = m.group(2)
            last = [name] if not name.startswith("<") else []
            group.append(last)
            if m.group(1) != "|":
                graph[cur].append(group)
                group = []
            continue
        m = re.match(r"^    (\S+)$", ln)
        if m and last is not None:
            last.append(m.group(1))     # a provider of the virtual package just named
            continue
        last = None                     # another relation: its providers are not ours
    _graphs.append(graph)
    return graph


def closure(roots, graph):
    """The packages installing roots brings in: each dependency satisfied by its first
    alternative that exists (what apt picks on a fresh machine)."""
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        for group in graph.get(p, []):
            for alt in group:
                real = [x for x in alt if x in graph]
                if real:
                    todo.extend(real)
                    break
    return seen


def path_candidates(path):
    """Spellings of a path dpkg may have recorded (merged /usr: /bin and /usr/bin)."""
    out = [path]
    if path.startswith("/usr/"):
        out.append(path[4:])
    else:
        out.append("/usr" + path)
    return out


def dpkg_owners(paths):
    """{path: {package}} for the paths dpkg knows, in one `dpkg -S` call."""
    want = sorted({c for p in paths for c in path_candidates(p)})
    if not want:
        return {}
    r = subprocess.run(["dpkg", "-S"] + want, capture_output=True, text=True)
    found = {}
    for ln in r.stdout.splitlines():
        if ln.startswith("diversion "):
            continue
        pk, _, path = ln.partition(": ")
        if path in want:
            found.setdefault(path, set()).update(x.strip().split(":")[0]
                                                 for x in pk.split(","))
    out = {}
    for p in paths:
        s = set()
        for c in path_candidates(p):
            s |= found.get(c, set())
        if s:
            out[p] = s
    return out


def resolve(program):
    """(path as found, resolved path) of a program, or None when it is not installed."""
    if program.startswith("/"):
        path = program if os.access(program, os.X_OK) and os.path.isfile(program) else None
    else:
        path = shutil.which(program, path=SEARCH_PATH)
    if path is None:
        return None
    return path, os.path.realpath(path)


@dataclass
class Problem:
    program: str
    where: list
    package: str        # the package that ships it (None when unknown)
    message: str


def available(setup=SETUP):
    """The packages a fresh machine has once tools/setup.sh ran: those it names, the base
    system, and what they depend on."""
    pkgs = setup_packages(setup)
    base = base_packages()
    graph = dependency_graph(frozenset(pkgs) | base)
    return closure(pkgs, graph) | closure(base, graph)


def check(calls, setup=SETUP, known=None):
    """[Problem] for each called program whose package tools/setup.sh does not bring.

    known: {program: package} for programs that are not installed (the message only)."""
    known = known or {}
    named = setup_packages(setup)
    have = available(setup)
    by_prog = {}
    for c in calls:
        w = by_prog.setdefault(c.program, [])
        if c.where not in w:
            w.append(c.where)
    found = {p: resolve(p) for p in by_prog}
    owners = dpkg_owners([x for r in found.values() if r for x in r])
    problems = []
    for prog, where in sorted(by_prog.items()):
        at = ", ".join(where[:3]) + (" and %d more" % (len(where) - 3) if len(where) > 3 else "")
        r = found[prog]
        if r is None:
            pk = known.get(os.path.basename(prog))
            if pk in named:
                hint = ("it ships in Debian package %s, which tools/setup.sh installs: run "
                        "bash tools/setup.sh" % pk)
            elif pk:
                hint = "it ships in Debian package %s: add %s to tools/setup.sh's packages" \
                    % (pk, pk)
            else:
                hint = "find its Debian package (apt-file search %s) and add it to " \
                    "tools/setup.sh's packages" % os.path.basename(prog)
            problems.append(Problem(prog, where, pk, "%s (called at %s) is not installed on "
                                    "this machine: %s" % (prog, at, hint)))
            continue
        path, real = r
        own = owners.get(real) or owners.get(path)
        if not own:
            problems.append(Problem(prog, where, None, "%s (called at %s) is %s, which no "
                                    "Debian package owns: it was installed by hand; install "
                                    "it from a package tools/setup.sh names" % (prog, at, real)))
            continue
        if (owners.get(real, set()) | owners.get(path, set())) & have:
            continue
        # name the package that puts the program where the code finds it
        pk = sorted(owners.get(path) or owners.get(real))[0]
        problems.append(Problem(prog, where, pk, "%s (called at %s) is %s from Debian package "
                                "%s, which tools/setup.sh does not install: add %s to its "
                                "packages" % (prog, at, path, pk, pk)))
    return problems


def check_modules(imports, setup=SETUP):
    """[Problem] for each imported module whose package tools/setup.sh does not bring."""
    import importlib.util
    have = available(setup)
    files = {}
    problems = []
    for mod, where in sorted(imports.items()):
        spec = importlib.util.find_spec(mod)
        origin = spec and (spec.origin if spec.origin not in (None, "namespace") else
                           next(iter(spec.submodule_search_locations or []), None))
        if not origin:
            problems.append(Problem(mod, where, None, "Python module %s (imported at %s) is "
                                    "not installed" % (mod, ", ".join(where[:3]))))
            continue
        files[mod] = os.path.realpath(origin)
    owners = dpkg_owners(list(files.values()))
    for mod, f in sorted(files.items()):
        own = owners.get(f, set())
        if own & have:
            continue
        where = imports[mod]
        msg = ("Python module %s (imported at %s) is %s, which %s" %
               (mod, ", ".join(where[:3]), f,
                ("comes from Debian package %s, which tools/setup.sh does not install"
                 % sorted(own)[0]) if own else "no Debian package owns: installed by hand"))
        problems.append(Problem(mod, where, sorted(own)[0] if own else None, msg))
    return problems


def main():
    import argparse
    ap = argparse.ArgumentParser(description="List the external programs the tree calls "
                                 "and check that tools/setup.sh installs their packages.")
    ap.add_argument("--setup", default=str(SETUP), help="the setup script (default: %(default)s)")
    args = ap.parse_args()
    calls = scan()
    by_prog = {}
    for c in calls:
        by_prog.setdefault(c.program, []).append(c.where)
    for p, w in sorted(by_prog.items()):
        print("%-28s %s" % (p, ", ".join(w)))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conftest import PROGRAM_PACKAGES
    problems = check(calls, args.setup, PROGRAM_PACKAGES) + \
        check_modules(python_imports(), args.setup)
    for p in problems:
        print("MISSING " + p.message)
    print("%d programs, %d problems" % (len(by_prog), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
