# shellcheck shell=bash
# tests/e2e/lib/assert.sh: tiny assertions for ucscan's end-to-end tests.
#
# Every assertion prints what was expected, what was found and where (file:line of the test),
# then exits 1; the EXIT trap of netns.sh (if used) cleans up. Called inside a subshell, an
# assertion only ends that subshell: keep them in the test's main shell.
#
#   fail MSG...                       fail unconditionally
#   assert_eq EXPECTED ACTUAL [WHAT]  string equality
#   assert_ne UNEXPECTED ACTUAL [WHAT]
#   assert_match REGEX ACTUAL [WHAT]  bash regex (=~)
#   assert_contains NEEDLE HAYSTACK [WHAT]
#   assert_exit CODE CMD...           CMD (run in a subshell) exits with CODE ("nonzero": any
#                                     failure); its output passes through
#   json_get FILE PATH                print the value at PATH (see below)
#   assert_json FILE PATH EXPECTED    the value at PATH, as text, equals EXPECTED
#
# PATH is jq-like: ".summary.open", ".results[0].state", ".results[-1]", '.a["key.with.dots"]',
# ".results[port=443].state" (first array element whose field "port" prints as 443), and a
# final "|length" (size of an array, object or string). Values print as text: strings without
# quotes, numbers and true/false/null as JSON, arrays/objects as compact sorted JSON.

if [[ -n ${_UC_ASSERT_LOADED:-} ]]; then
  return 0
fi
_UC_ASSERT_LOADED=1

# _as_where: "file:line" of the first caller outside this file.
_as_where() {
  local i
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    if [[ ${BASH_SOURCE[i]} != "${BASH_SOURCE[0]}" ]]; then
      printf '%s:%s' "${BASH_SOURCE[i]##*/}" "${BASH_LINENO[i - 1]}"
      return 0
    fi
  done
  printf '?'
}

fail() {
  printf 'FAIL (%s): %s\n' "$(_as_where)" "$*" >&2
  exit 1
}

assert_eq() {
  (($# >= 2)) || fail "usage: assert_eq EXPECTED ACTUAL [WHAT]"
  [[ $1 == "$2" ]] && return 0
  fail "${3:-value}: expected '$1', found '$2'"
}

assert_ne() {
  (($# >= 2)) || fail "usage: assert_ne UNEXPECTED ACTUAL [WHAT]"
  [[ $1 != "$2" ]] && return 0
  fail "${3:-value}: expected anything but '$1'"
}

assert_match() {
  (($# >= 2)) || fail "usage: assert_match REGEX ACTUAL [WHAT]"
  [[ $2 =~ $1 ]] && return 0
  fail "${3:-value}: expected a match for /$1/, found '$2'"
}

assert_contains() {
  (($# >= 2)) || fail "usage: assert_contains NEEDLE HAYSTACK [WHAT]"
  [[ $2 == *"$1"* ]] && return 0
  fail "${3:-text}: expected to contain '$1', found '$2'"
}

assert_exit() {
  (($# >= 2)) || fail "usage: assert_exit CODE CMD..."
  local want=$1 rc=0
  shift
  ("$@") || rc=$?
  if [[ $want == nonzero ]]; then
    ((rc != 0)) && return 0
    fail "expected a non-zero exit status from: $*; found 0"
  fi
  [[ $rc == "$want" ]] && return 0
  fail "expected exit status $want from: $*; found $rc"
}

_as_python() {
  if [[ -x /usr/bin/python3 ]]; then echo /usr/bin/python3; else command -v python3; fi
}

_AS_JSON_PY='
import json, re, sys

def text(v):
    if isinstance(v, str):
        return v
    return json.dumps(v, sort_keys=True, separators=(",", ":"))

def lookup(doc, path):
    path = path.strip()
    length = path.endswith("|length")
    if length:
        path = path[: -len("|length")].strip()
    tok = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[\s*(-?\d+)\s*\]|\[\s*\"((?:[^\"\\]|\\.)*)\"\s*\]"
                     r"|\[\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*([^\]]*?)\s*\]")
    pos, cur, where = 0, doc, ""
    if path in ("", "."):
        path = ""
    while pos < len(path):
        if path.startswith(".[", pos):
            pos += 1
        m = tok.match(path, pos)
        if not m:
            raise LookupError("bad path syntax at %r" % path[pos:])
        key, idx, qkey, fkey, fval = m.groups()
        pos = m.end()
        if idx is not None:
            if not isinstance(cur, list):
                raise LookupError("%s is not an array" % (where or "."))
            i = int(idx)
            if not -len(cur) <= i < len(cur):
                raise LookupError("%s has %d elements, no [%d]" % (where or ".", len(cur), i))
            cur, where = cur[i], "%s[%d]" % (where, i)
        elif fkey is not None:
            if not isinstance(cur, list):
                raise LookupError("%s is not an array" % (where or "."))
            fval = fval.strip("\"")
            hits = [e for e in cur if isinstance(e, dict) and fkey in e and text(e[fkey]) == fval]
            if not hits:
                raise LookupError("no element of %s has %s == %s" % (where or ".", fkey, fval))
            cur, where = hits[0], "%s[%s=%s]" % (where, fkey, fval)
        elif key is not None or qkey is not None:
            k = key if key is not None else json.loads("\"%s\"" % qkey)
            if not isinstance(cur, dict):
                raise LookupError("%s is not an object" % (where or "."))
            if k not in cur:
                raise LookupError("%s has no key %r (keys: %s)" % (where or ".", k, ", ".join(sorted(cur))))
            cur, where = cur[k], "%s.%s" % (where, k)
    if length:
        if not isinstance(cur, (list, dict, str)):
            raise LookupError("%s has no length" % (where or "."))
        cur = len(cur)
    return cur

try:
    with open(sys.argv[1]) as f:
        doc = json.load(f)
except (OSError, ValueError) as e:
    print("cannot read JSON from %s: %s" % (sys.argv[1], e), file=sys.stderr)
    sys.exit(2)
try:
    print(text(lookup(doc, sys.argv[2])))
except LookupError as e:
    print("%s: %s" % (sys.argv[2], e), file=sys.stderr)
    sys.exit(3)
'

# json_get FILE PATH: print the value at PATH; non-zero (with a message) if there is none.
json_get() {
  (($# == 2)) || fail "usage: json_get FILE PATH"
  "$(_as_python)" -c "$_AS_JSON_PY" "$1" "$2"
}

# assert_json FILE PATH EXPECTED
assert_json() {
  (($# == 3)) || fail "usage: assert_json FILE PATH EXPECTED"
  local got err
  err=$(mktemp)
  if ! got=$(json_get "$1" "$2" 2>"$err"); then
    local msg
    msg=$(cat "$err")
    rm -f "$err"
    fail "JSON ${1##*/} $2: expected '$3', found no value ($msg)"
  fi
  rm -f "$err"
  [[ $got == "$3" ]] && return 0
  # inside a check: what the check said, so that a failure explains itself
  local why="" re='^(.*checks\[[^]]*\])\.'
  if [[ $2 =~ $re ]]; then
    why=" (the check: $(json_get "$1" "${BASH_REMATCH[1]}.state" 2>/dev/null || echo '?'),"
    why+=" $(json_get "$1" "${BASH_REMATCH[1]}.reason" 2>/dev/null || echo '?'))"
  fi
  fail "JSON ${1##*/} $2: expected '$3', found '$got'$why"
}
