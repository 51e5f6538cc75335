# Scenario: install from the apt tree `distpack repo publish` wrote, then upgrade from the same
# tree once v2 is published into it; apt trusts it through the key inline in the .sources alone.
# Input: v1-tree.tar (healthd v1 published), v2-tree.tar (the same tree after publishing v2);
# both trees were published with `[repo] url = "file:///e2e/repo"`.
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
REPO=/e2e/repo

# apt-get update, shown; fails the scenario on an error and on any warning (an unsigned or
# untrusted source is only a warning to apt when other sources are fine).
apt_update() {
	echo "== apt-get update"
	LC_ALL=C apt-get update </dev/null >/tmp/update.log 2>&1
	status=$?
	cat /tmp/update.log
	[ "$status" -eq 0 ] || fail "apt-get update (exit $status)"
	check "apt-get update gave no warning" sh -c "! grep -q '^[WE]:' /tmp/update.log"
}

# The guest has no network: the Debian mirror debootstrap configured could only fail.
step "only the published tree is a source" mv /etc/apt/sources.list /etc/apt/sources.list.disabled
step "unpack the tree with v1 into $REPO" sh -c "mkdir -p $REPO && tar -C $REPO -xf /e2e/input/v1-tree.tar"
step "install healthd.sources" cp "$REPO/healthd.sources" /etc/apt/sources.list.d/
check "the snippet carries the key and no trust override" \
	sh -c "grep -q '^Signed-By:' /etc/apt/sources.list.d/healthd.sources \
		&& ! grep -qi 'trusted' /etc/apt/sources.list.d/healthd.sources"
check "the snippet points at file://$REPO" grep -q "^URIs: file://$REPO" /etc/apt/sources.list.d/healthd.sources
apt_update
step "apt-get install -y healthd" apt-get install -y healthd
check "v1 is active" active healthd.service
v1=$(http_get http://127.0.0.1:8080/version) || fail "v1 does not answer on 8080"
check "dpkg has v1 (${v1}) from the repository" sh -c "dpkg-query -W -f '\${Version}' healthd | grep -q '^$v1-'"
old_pid=$(main_pid)
echo 'listen = "127.0.0.1:8081"' >/etc/healthd/healthd.toml

step "unpack the tree with v2 over it" tar -C "$REPO" -xf /e2e/input/v2-tree.tar
apt_update
step "apt-cache madison healthd" apt-cache madison healthd
check "the tree still offers v1 beside v2" sh -c "apt-cache madison healthd | grep -q ' $v1-1 '"
step "apt-get upgrade -y" apt-get upgrade -y
check "the edited conffile is kept" grep -q '127.0.0.1:8081' /etc/healthd/healthd.toml
check "healthd.service is active after the upgrade" active healthd.service
new_pid=$(main_pid)
check "the service was restarted (pid $old_pid -> $new_pid)" [ "$new_pid" != "$old_pid" ]
v2=$(http_get http://127.0.0.1:8081/version) || fail "v2 does not answer on the edited port 8081"
check "it runs v2 (got '$v2', was '$v1')" [ "$v2" != "$v1" ]
check "dpkg has v2 from the repository" sh -c "dpkg-query -W -f '\${Version}' healthd | grep -q '^$v2-'"
echo "scenario passed"
