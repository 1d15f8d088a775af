# Sourced by the packaging scripts. `step TEXT` prints one line on stderr with the seconds since
# the outermost script started (VOLPLEX_STEPS_STARTED is passed down to the scripts it runs).
now_us() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$t"; }
export VOLPLEX_STEPS_STARTED=${VOLPLEX_STEPS_STARTED:-$(now_us)}
step() {
  local ms=$((($(now_us) - VOLPLEX_STEPS_STARTED) / 1000))
  printf '%s [%4d.%d s] %s\n' "$(basename "$0")" $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&2
}
