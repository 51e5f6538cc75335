# pacman installs a 0640 config owned by a group that the package's sysusers.d file creates. pacman
# extracts files before its sysusers hook runs, so the owner comes from the package's tmpfiles.d
# `z` line, which the tmpfiles hook applies after the sysusers hook. Arch's systemd package ships
# both hooks; Debian's pacman has none, so this scenario installs equivalents first.
# Input: kvd.pkg.tar.zst
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
UNIT=kvd.service
mkdir -p /etc/pacman.d/hooks
cat >/etc/pacman.d/hooks/30-systemd-sysusers.hook <<'HOOK'
[Trigger]
Type = Path
Operation = Install
Operation = Upgrade
Target = usr/lib/sysusers.d/*.conf

[Action]
Description = Creating system user accounts...
When = PostTransaction
Exec = /usr/bin/systemd-sysusers
HOOK
cat >/etc/pacman.d/hooks/35-systemd-tmpfiles.hook <<'HOOK'
[Trigger]
Type = Path
Operation = Install
Operation = Upgrade
Target = usr/lib/tmpfiles.d/*.conf

[Action]
Description = Creating temporary files...
When = PostTransaction
Exec = /usr/bin/systemd-tmpfiles --create
HOOK
step "pacman -U kvd.pkg.tar.zst" pacman -U --noconfirm -dd /e2e/input/kvd.pkg.tar.zst
check "the sysusers hook created group kvd" getent group kvd
owner=$(stat -c '%U:%G %a' /etc/kvd/kvd.toml)
check "the config is root:kvd 640 (got '$owner')" [ "$owner" = "root:kvd 640" ]
step "systemctl start kvd" systemctl start kvd.service
sleep 2
check "kvd.service is active" active kvd.service
check "the service read its config" sh -c 'journalctl -u kvd.service --no-pager | grep -q "listen = "'
echo "scenario passed"
