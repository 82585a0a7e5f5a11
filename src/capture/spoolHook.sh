#!/bin/sh
# Blueplane spool hook for Cursor: spool-hook.sh <eventName> [spoolDir]
#
# Cursor starts one process per agent event and waits for it, so this hook does the least it
# can: it writes stdin, unparsed, as one file in the spool folder (the processor forwards it to
# Redis) and prints the answer that lets the action go on. No Node, no Redis, no JSON parsing.
#
# Contract (DESIGN.md invariant 1): read stdin to the end, print exactly one JSON object on
# stdout, exit 0, whatever happens. Diagnostics go to stderr only. Invariant 2: the event is on
# disk (renamed into place) before the answer is printed.
#
# Portable to the sh, date, cat and mv of Linux and macOS. File naming is described in
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

name_event=$event
case $name_event in
  '' | *[!A-Za-z0-9_]*) name_event=unknown ;;
esac

# Spool files hold prompts and code: owner-only, folders included (invariant 9).
umask 077

spooled=no
if [ -n "$spool" ] && { [ -d "$spool" ] || mkdir -p "$spool" 2>/dev/null; }; then
  # One `date` for both parts: GNU prints nanoseconds, macOS prints a literal N (then seconds only).
  now=$(date '+%s %N' 2>/dev/null)
  sec=${now%% *}
  nsec=${now#* }
  case $sec in '' | *[!0-9]*) sec=0 ;; esac
  case $nsec in
    [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) stamp=$sec$nsec ;;
    *) stamp=$sec ;;
  esac
  # Claim a unique temp name without mktemp: noclobber makes `>` fail if the file exists
  # (O_EXCL), and the pid keeps concurrent hooks apart; the counter covers a reused pid.
  tmp=
  n=0
  set -C
  while [ $n -lt 5 ]; do
    base=$stamp-$$-$n.$name_event
    if { : >"$spool/.tmp-$base"; } 2>/dev/null; then
      tmp=$spool/.tmp-$base
      break
    fi
    [ -e "$spool/.tmp-$base" ] || break
    n=$((n + 1))
  done
  set +C
  if [ -n "$tmp" ]; then
    if cat >"$tmp" 2>/dev/null && mv -f "$tmp" "$spool/$base.json" 2>/dev/null; then
      spooled=yes
    else
      rm -f "$tmp" 2>/dev/null
    fi
  fi
fi

if [ "$spooled" != yes ]; then
  # Still read stdin to the end, so Cursor never writes into a closed pipe.
  cat >/dev/null 2>&1
  echo "blueplane spool hook: could not write the $event event to $spool (not writable or disk full); the event was not captured, fix the folder's permissions or free disk space." >&2
fi

printf '%s\n' "$answer"
exit 0
