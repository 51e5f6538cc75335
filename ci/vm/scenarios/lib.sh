# Helpers for scenarios, sourced in the guest. Every check prints `ok: …` or `FAIL: …`; a failure
# prints the unit's status and journal, then ends the scenario with status 1.
set -u
export DEBIAN_FRONTEND=noninteractive
UNIT=${UNIT:-healthd.service}

diagnose() {
	echo "--- systemctl status $UNIT"
	systemctl status --no-pager --full "$UNIT" 2>&1 || true
	echo "--- journalctl -u $UNIT"
	journalctl --no-pager -u "$UNIT" -n 60 2>&1 || true
}

fail() {
	echo "FAIL: $*"
	diagnose
	exit 1
}

# check DESCRIPTION COMMAND...: run COMMAND, fail the scenario with DESCRIPTION if it fails.
check() {
	desc=$1
	shift
	if "$@"; then echo "ok: $desc"; else fail "$desc"; fi
}

# step DESCRIPTION COMMAND...: an action that must succeed; its output is shown.
step() {
	desc=$1
	shift
	echo "== $desc"
	"$@" </dev/null || fail "$desc (exit $?)"
}

dpkg_install() {
	dpkg --force-confdef --force-confold -i "$@"
}

# Wait up to 30 s for a unit to be active.
active() {
	i=0
	while [ $i -lt 30 ]; do
		systemctl is-active --quiet "$1" && return 0
		i=$((i + 1))
		sleep 1
	done
	return 1
}

# GET URL, retrying for up to 30 s while the service starts listening; prints the body.
http_get() {
	i=0
	while [ $i -lt 30 ]; do
		curl -fsS --max-time 2 "$1" 2>/dev/null && return 0
		i=$((i + 1))
		sleep 1
	done
	return 1
}

main_pid() {
	systemctl show -p MainPID --value "$UNIT"
}
