#!/bin/sh
# bootcheck stage 1: the /init of the initrd (busybox sh).
# Mirrors what NixOS's stage-1-init.sh does for live media: load modules,
# find the medium, tmpfs root, (optional) copytoram, squashfs + overlay
# /nix/store, persistence bind mounts, then switch_root to stage 2.
# Build-time values come from /etc/stage-1.conf (written by build.ts).

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
umask 022

info() { echo "stage-1: $*"; }

shell() {
  info "dropping to a shell (exit it to retry the shell; there is no way back into the boot)"
  while :; do
    setsid cttyhack /bin/sh -l 2>/dev/null || /bin/sh
  done
}

fail() {
  echo "stage-1: FAILED: $*"
  shell
}

mkdir -p /proc /sys /dev /run /tmp /mnt-root
mount -t proc proc /proc || fail "cannot mount /proc"
mount -t sysfs sysfs /sys || fail "cannot mount /sys"
mount -t devtmpfs -o mode=0755 devtmpfs /dev || fail "cannot mount /dev"
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1

. /etc/stage-1.conf || fail "cannot read /etc/stage-1.conf"

info "bootcheck live stage 1 (kernel $(uname -r))"

copytoram=
root=
debug1=
stage2init="$SYSTEM/init"
for o in $(cat /proc/cmdline); do
  case "$o" in
    copytoram) copytoram=1 ;;
    bootcheck.login) ;; # handled in stage 2
    boot.debug1|boot.shell_on_fail) debug1=1 ;;
    init=*) stage2init="${o#init=}" ;;
    root=*) root="${o#root=}" ;; # an installed system (bootcheck-install)
  esac
done
SYSTEM="${stage2init%/init}"

[ -n "$debug1" ] && { info "boot.debug1: shell before loading modules"; setsid cttyhack /bin/sh -l; }

# --- kernel modules (load order computed at build time) -------------------
# uptime in centiseconds (the load time is part of the message: modules cost boot time under TCG)
uptime_cs() { read -r u _ </proc/uptime; echo $((${u%.*} * 100 + 1${u#*.} - 100)); }
t0=$(uptime_cs)
nmod=0
notloaded=
while read -r m; do
  [ -n "$m" ] || continue
  if insmod "/lib/modules/$KERNEL_VERSION/$m" 2>/dev/null; then
    nmod=$((nmod + 1))
  else
    m="${m##*/}"
    notloaded="$notloaded ${m%.ko}"
  fi
done </etc/modules.order
t1=$(($(uptime_cs) - t0))
info "loaded $nmod kernel modules in $((t1 / 100)).$((t1 % 100 / 10)) s${notloaded:+ (not loaded, no such hardware or CPU feature:$notloaded)}"

# --- installed system: root=LABEL=… or root=/dev/… (bootcheck-install) ------
# The root partition holds /nix/store itself: no medium, no squashfs, no overlay.
if [ -n "$root" ]; then
  find_root() {
    case "$root" in
      LABEL=*) findfs "$root" 2>/dev/null ;;
      /dev/*) [ -b "$root" ] && echo "$root" ;;
      *) return 1 ;;
    esac
  }
  case "$root" in
    LABEL=* | /dev/*) ;;
    *) fail "root=$root: give root=LABEL=<label> or root=/dev/<device>" ;;
  esac
  info "looking for the root file system ($root)"
  i=0
  until rootdev=$(find_root) && [ -n "$rootdev" ]; do
    i=$((i + 1))
    [ $i -ge $((MEDIUM_TIMEOUT * 5)) ] && fail "root $root not found after ${MEDIUM_TIMEOUT}s"
    usleep 200000
  done
  mount -t ext4 "$rootdev" /mnt-root || fail "cannot mount $rootdev ($root) on /mnt-root"
  [ -d /mnt-root/nix/store ] || fail "$rootdev ($root) has no /nix/store"
  info "booting from disk: $rootdev ($root) on /, /nix/store on it"
# --- netboot: the store came inside the initrd (NixOS's netboot) ----------
# The initrd then holds /nix-store.squashfs: no medium is looked for, and the
# squashfs is loop-mounted from the initramfs, i.e. from RAM.
elif [ -f "/$NETBOOT_SQUASHFS" ]; then
  info "netboot: $NETBOOT_SQUASHFS is in the initrd; no medium needed"
  mount -t tmpfs -o mode=0755 tmpfs /mnt-root || fail "cannot mount tmpfs on /mnt-root"
  squashfs="/$NETBOOT_SQUASHFS"
else
  # --- find the live medium -------------------------------------------------
  mkdir -p /mnt-medium
  medium=
  find_medium() {
    for dev in /dev/sr* /dev/sd* /dev/vd*; do
      [ -b "$dev" ] || continue
      case "${dev#/dev/}" in
        sd*[0-9] | vd*[0-9]) continue ;; # partitions: whole disks only
      esac
      mount -t iso9660 -o ro "$dev" /mnt-medium 2>/dev/null || continue
      if [ -f /mnt-medium/nix-store.squashfs ]; then
        medium="$dev"
        return 0
      fi
      umount /mnt-medium
    done
    return 1
  }
  info "looking for the live medium ($ISO_LABEL with nix-store.squashfs)"
  i=0
  until find_medium; do
    i=$((i + 1))
    [ $i -ge $((MEDIUM_TIMEOUT * 5)) ] && fail "live medium not found after ${MEDIUM_TIMEOUT}s (no iso9660 with nix-store.squashfs on /dev/sr* /dev/sd* /dev/vd*)"
    usleep 200000
  done
  info "found live medium on $medium"

  # --- root: tmpfs ----------------------------------------------------------
  mount -t tmpfs -o mode=0755 tmpfs /mnt-root || fail "cannot mount tmpfs on /mnt-root"
  mkdir -p /mnt-root/iso

  if [ -n "$copytoram" ]; then
    name="${medium#/dev/}"
    sectors=$(cat "/sys/class/block/$name/size" 2>/dev/null)
    [ -n "$sectors" ] || sectors=$(($(du -sk /mnt-medium | cut -f1) * 2))
    size=$(((sectors * 512) + 4 * 1024 * 1024))
    info "copytoram: mounting tmpfs of $((size / 1048576)) MiB on /iso"
    mount -t tmpfs -o "size=$size,mode=0755" tmpfs /mnt-root/iso || fail "cannot mount tmpfs on /mnt-root/iso"
    cp -a /mnt-medium/. /mnt-root/iso/ || fail "copying the medium to RAM failed"
    umount /mnt-medium || fail "cannot unmount $medium after copying it"
    info "copied ISO to RAM"
  else
    mount --move /mnt-medium /mnt-root/iso || fail "cannot move the medium to /mnt-root/iso"
    info "mounted $medium on /iso (read-only)"
  fi
  squashfs=/mnt-root/iso/nix-store.squashfs
fi

# --- /nix/store: squashfs + tmpfs overlay (live and netboot) ------------
if [ -z "$root" ]; then
  mkdir -p /mnt-root/nix/.ro-store /mnt-root/nix/.rw-store /mnt-root/nix/store
  mount -t squashfs -o loop,ro "$squashfs" /mnt-root/nix/.ro-store ||
    fail "cannot loop-mount $squashfs"
  mount -t tmpfs -o mode=0755 tmpfs /mnt-root/nix/.rw-store || fail "cannot mount tmpfs on /nix/.rw-store"
  mkdir -p /mnt-root/nix/.rw-store/store /mnt-root/nix/.rw-store/work
  mount -t overlay overlay \
    -o lowerdir=/mnt-root/nix/.ro-store,upperdir=/mnt-root/nix/.rw-store/store,workdir=/mnt-root/nix/.rw-store/work \
    /mnt-root/nix/store || fail "cannot mount the overlay on /nix/store"
  info "mounted ${squashfs##*/} + tmpfs overlay on /nix/store"
fi
# (symlinks in the store point to absolute /nix/store paths: test the link itself)
[ -e "/mnt-root$stage2init" ] || [ -L "/mnt-root$stage2init" ] || fail "stage 2 init $stage2init not found in the store"

# --- persistence ----------------------------------------------------------
pdev=
i=0
while [ $i -lt 5 ]; do
  pdev=$(findfs "LABEL=$PERSIST_LABEL" 2>/dev/null) && [ -n "$pdev" ] && break
  pdev=
  i=$((i + 1))
  usleep 100000
done
if [ -n "$pdev" ]; then
  mkdir -p /mnt-root/persist
  if mount -t ext4 "$pdev" /mnt-root/persist; then
    for p in $PERSISTED_PATHS; do
      mkdir -p "/mnt-root/persist$p" "/mnt-root$p"
      mount --bind "/mnt-root/persist$p" "/mnt-root$p" || fail "cannot bind-mount /persist$p on $p"
    done
    info "persistence: $pdev (LABEL=$PERSIST_LABEL) on /persist, bind-mounted: $PERSISTED_PATHS"
  else
    info "warning: cannot mount $pdev (LABEL=$PERSIST_LABEL); running without persistence"
  fi
else
  info "no LABEL=$PERSIST_LABEL disk: nothing persists across reboots"
fi

# --- populate the root minimally -----------------------------------------
R=/mnt-root
busybox_path=$(readlink "$R$SYSTEM/busybox") || fail "no busybox in $SYSTEM"
glibc_path=$(readlink "$R$SYSTEM/glibc") || fail "no glibc in $SYSTEM"
mkdir -p $R/etc $R/root $R/tmp $R/run $R/var/log $R/var/empty $R/dev $R/proc $R/sys $R/lib $R/lib64 $R/home
chmod 1777 $R/tmp
chmod 0700 $R/root
cp -af /rootfs-skel/. $R/ || fail "cannot populate the root" # -f: an installed root has the links from its last boot
ln -sf "$busybox_path/bin/busybox" $R/bin/busybox
ln -sf "$glibc_path/lib/ld-linux-x86-64.so.2" $R/lib64/ld-linux-x86-64.so.2
# (-n: on an installed root these links are there from the last boot)
ln -sfn "$glibc_path/lib" $R/lib/x86_64-linux-gnu
ln -sfn "$SYSTEM" $R/run/current-system
ln -sfn "$SYSTEM" $R/run/booted-system
cp -a "$R$SYSTEM/etc/." $R/etc/ || fail "cannot copy /etc from $SYSTEM"
chmod -R u+w $R/etc
chmod 0600 $R/etc/shadow

# --- hand over ------------------------------------------------------------
mount --move /dev $R/dev || fail "cannot move /dev"
mount --move /sys $R/sys || fail "cannot move /sys"
mount --move /proc $R/proc || fail "cannot move /proc"
info "switching to stage 2 ($stage2init)"
exec switch_root $R "$stage2init"
# only reached when switch_root itself fails (no /proc any more: keep it simple)
echo "stage-1: FAILED: switch_root to $stage2init failed"
while :; do /bin/sh; done
