#!/bin/sh
# Blueplane spool hook for Cursor: spool-hook.sh <eventName> [spoolDir]
#
# Cursor starts one process per agent event and waits for it, so this hook does the least it
# can: it writes stdin, unparsed, as one file in the spool folder (the processor forwards it to
# Redis) and prints the answer that lets the action go on. No Node, no Redis, no JSON parsing.
#
# Contract (DESIGN.md invariant 1): read stdin to the end, print exactly one JSON object on
# stdout, exit 0, whatever happens. Diagnostics go to stderr only. Invariant 2: the event is on
# disk (written in full) before the answer is printed.
#
# Every process start costs the agent a few milliseconds per event, so the normal path starts
# one: `cat`. No `date` (the fire time is the data file's mtime, set by cat's last write), no
# `mv` or `mktemp` (a name is claimed with noclobber, and an empty marker file, made by a
# builtin, says the data is complete). `mkdir -p` runs only for a missing folder, `rm -f` only
# on failure. Redirections go through `true`, not `:`: a failed redirection of a special
# builtin like `:` makes dash and POSIX-mode bash exit on the spot, without an answer.
#
# Portable to the sh and cat of Linux and macOS. File naming is described in
# src/capture/spoolFiles.ts; keep the two in step.

event=${1:-unknown}
spool=${2:-${BLUEPLANE_HOME:-${HOME:-}/.blueplane}/spool}

# The answer per event: keep in step with allowAnswer() in src/shared/eventTypes.ts (a unit test
# runs this script for every event and compares). Permission hooks that print nothing get the
# action blocked, so every path below ends by printing this.
case $event in
  preToolUse | beforeShellExecution | beforeMCPExecution | beforeReadFile | beforeTabFileRead | subagentStart)
    answer='{"permission":"allow"}' ;;
  beforeSubmitPrompt)
    answer='{"continue":true}' ;;
  *)
    answer='{}' ;;
esac

# The event as it may appear in a file name (the forwarder ignores any other name).
name_event=$event
case $name_event in
  '' | *[!A-Za-z0-9_]*) name_event=unknown ;;
esac
[ ${#name_event} -le 64 ] || name_event=unknown

# Spool files hold prompts and code: owner-only, folders included (invariant 9).
umask 077

spooled=no
if [ -n "$spool" ] && { [ -d "$spool" ] || mkdir -p "$spool" 2>/dev/null; }; then
  # Claim s<pid>-<n>.<event>.json: noclobber makes `>` fail if the file exists (O_EXCL), and the
  # pid keeps concurrent hooks apart; n steps past files a reused pid left in the spool. A claim
  # that fails on a name that does not exist means the folder is unwritable: stop there.
  data=
  n=0
  set -C
  while [ $n -lt 100 ]; do
    base=$spool/s$$-$n.$name_event
    if { true >"$base.json"; } 2>/dev/null; then
      data=$base.json
      break
    fi
    # Taken (by a file, or a link someone left): try the next name. Absent: the folder is unwritable.
    [ -e "$base.json" ] || [ -L "$base.json" ] || break
    n=$((n + 1))
  done
  set +C
  if [ -n "$data" ]; then
    if cat >"$data" 2>/dev/null; then
      # The event is spooled: the forwarder also takes a data file without its marker once no
      # hook can still be writing it. The marker only says "complete" sooner. Without noclobber,
      # a marker an earlier event left under this name is refreshed (newer than the data).
      spooled=yes
      { true >"$base.ready"; } 2>/dev/null
    else
      rm -f "$data" 2>/dev/null
    fi
  fi
fi

if [ "$spooled" != yes ]; then
  # Still read stdin to the end, so Cursor never writes into a closed pipe (a cat that failed
  # to write, disk full, stopped reading).
  cat >/dev/null 2>&1
  echo "blueplane spool hook: could not write the $event event to $spool (not writable or disk full); the event was not captured, fix the folder's permissions or free disk space." >&2
fi

printf '%s\n' "$answer"
exit 0
