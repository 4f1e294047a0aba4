#!/bin/busybox sh
# bootcheck board init: the /init of a board's initramfs and of its SD card's root (busybox).
# Loads the modules in /etc/modules.order; with root= (e.g. root=LABEL=BOARDROOT) mounts that
# file system and runs this same script there as its init (switch_root); with bootcheck.net
# brings eth0 up with DHCP; with bootcheck.httpd serves /www on port 80; then a shell on the
# console, forever.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /sbin /usr/bin /usr/sbin /mnt /www
/bin/busybox --install -s 2>/dev/null
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs -o mode=0755 devtmpfs /dev
exec </dev/console >/dev/console 2>&1
. /etc/board.conf

root=
net=
httpd=
live=
copytoram=
for o in $(cat /proc/cmdline); do
  case "$o" in
    root=*) root="${o#root=}" ;;
    bootcheck.net) net=1 ;;
    bootcheck.httpd) httpd=1 ;;
    bootcheck.live) live=1 ;;
    copytoram) copytoram=1 ;;
  esac
done

if [ ! -e /etc/board-root ]; then
  n=0
  while read -r m; do
    [ -n "$m" ] && insmod "/lib/modules/$KERNEL_VERSION/$m" 2>/dev/null && n=$((n + 1))
  done </etc/modules.order
  echo "board: $n modules loaded"
fi

if [ -n "$root" ] && [ ! -e /etc/board-root ]; then
  case "$root" in
    LABEL=*) dev="/dev/disk/by-label/${root#LABEL=}"; label="${root#LABEL=}" ;;
    *) dev="$root"; label= ;;
  esac
  i=0
  while [ $i -lt 300 ]; do
    [ -n "$label" ] && dev=$(findfs "LABEL=$label" 2>/dev/null)
    [ -n "$dev" ] && [ -b "$dev" ] && break
    sleep 0.1; i=$((i + 1))
  done
  if mount -t ext4 "$dev" /mnt; then
    echo "board: root $dev, switching to it"
    umount /proc /sys 2>/dev/null
    mount --move /dev /mnt/dev 2>/dev/null
    exec switch_root /mnt /init
  fi
  echo "board: FAILED to mount the root $root"
fi

# a live medium: the CD with the ISO's label at /iso; copytoram copies its payload to RAM and lets it go
if [ -n "$live" ]; then
  mkdir -p /iso
  i=0
  while [ $i -lt 300 ]; do
    dev=$(findfs LABEL=BOARDLIVE 2>/dev/null) && [ -b "$dev" ] && break
    sleep 0.1; i=$((i + 1))
  done
  if mount -t iso9660 -o ro "$dev" /iso; then
    echo "board: live medium $dev at /iso"
    if [ -n "$copytoram" ]; then
      mkdir -p /run/copytoram && cp /iso/payload.txt /run/copytoram/ && umount /iso && echo "board: copytoram: the payload is in /run/copytoram, the medium is free"
    fi
  else
    echo "board: FAILED to mount the live medium"
  fi
fi

[ -e /etc/board-root ] && echo "board: running from the root file system $(awk '$2 == "/" {print $1}' /proc/mounts | tail -1)"
echo "board: bootcheck $ARCH board (kernel $(uname -r))"

if [ -n "$net" ]; then
  ip link set lo up
  ip link set eth0 up
  udhcpc -q -n -t 10 -i eth0 -s /etc/udhcpc.script && echo "board: eth0 $(ip -4 -o addr show eth0 | awk '{print $4}')"
fi
if [ -n "$httpd" ]; then
  echo "bootcheck $ARCH access point $(uname -m)" >/www/index.html
  httpd -h /www -p 80 && echo "board: httpd listening on port 80"
fi

export PS1='# '
while :; do setsid cttyhack sh -l || sh; done
