// The demo system's tools beyond busybox (vm-configs/debian/tools.ts, contract.json
// guestTools) on real QEMU: each Debian binary runs from its store path with its library
// closure, in.tftpd serves a file, nft sets up a masquerading NAT and a forward drop
// policy and its drop rule really drops, and the modules for them were loaded at boot.
import t from 'tap'
import { demoShell } from './demo-shell.js'

t.test('kexec, in.tftpd, nft and extlinux run from the store', async t => {
  const vm = await demoShell(t, 'guest-tools')
  t.match(await vm.succeed('kexec --version'), /^kexec-tools 2\.\d+/, 'kexec with its Xen library closure')
  t.match(await vm.succeed('nft --version'), /^nftables v1\./)
  t.match(await vm.succeed('extlinux --version 2>&1'), /extlinux 6\.\d+/)
  t.match(await vm.succeed('in.tftpd -V 2>&1'), /tftp-hpa 5\./)
  t.match(await vm.succeed('readlink /run/current-system/sw/bin/kexec'), /^\/nix\/store\/[0-9a-z]{32}-kexec-tools-[\d.]+\/bin\/kexec\n$/, 'a store path of its own')
  const libs = await vm.succeed('ls $(dirname $(readlink -f /run/current-system/sw/bin/kexec))/../../*-kexec-tools-*-unwrapped/lib')
  t.match(libs, /libxenctrl\.so\.4\.17/, 'libxenctrl and the Xen libraries it needs are in the unwrapped path')
})

t.test('busybox has the applets the network and installer guests use', async t => {
  const vm = await demoShell(t, 'guest-applets')
  const list = (await vm.succeed('busybox --list')).split('\n')
  for (const a of ['udhcpc', 'udhcpd', 'httpd', 'nc', 'ip', 'ping', 'tftp', 'fdisk', 'mke2fs', 'mkdosfs', 'switch_root', 'modprobe']) t.ok(list.includes(a), `busybox ${a}`)
})

t.test('in.tftpd serves a file (root, no tftp user)', async t => {
  const vm = await demoShell(t, 'guest-tftpd')
  // in.tftpd resolves its --address with AI_ADDRCONFIG: glibc then wants an IPv4 address
  // other than 127.0.0.1 on some interface (a guest with a configured NIC has one)
  await vm.succeed('ip link set lo up && ip addr add 192.0.2.1/32 dev lo')
  await vm.succeed('mkdir -p /srv/tftp && echo "served by in.tftpd" > /srv/tftp/hello.txt')
  await vm.succeed('in.tftpd --listen --address 127.0.0.1:69 -u root --secure /srv/tftp')
  await vm.waitUntilSucceeds('netstat -lun | grep -q ":69 "', { timeout: 10_000 })
  await vm.succeed('cd /tmp && tftp -g -r hello.txt 127.0.0.1')
  t.equal(await vm.succeed('cat /tmp/hello.txt'), 'served by in.tftpd\n')
})

t.test('nft: masquerading NAT, a forward drop policy, and a drop rule that drops', async t => {
  const vm = await demoShell(t, 'guest-nft')
  const mods = await vm.succeed('cut -d" " -f1 /proc/modules')
  for (const m of ['virtio_net', 'vfat', 'nf_tables', 'nft_chain_nat', 'nft_masq', 'nf_nat', 'nf_conntrack', 'nft_ct', 'nft_reject_inet', 'nft_reject_ipv4']) {
    t.match(mods, new RegExp(`^${m}$`, 'm'), `${m} loaded at boot`)
  }
  await vm.succeed([
    'nft add table ip nat',
    "nft add chain ip nat postrouting '{ type nat hook postrouting priority 100; }'",
    'nft add rule ip nat postrouting oifname "eth0" masquerade',
    'nft add table ip filter',
    "nft add chain ip filter forward '{ type filter hook forward priority 0; policy drop; }'",
    'nft add rule ip filter forward ct state established,related accept',
    'nft add rule ip filter forward ip protocol icmp reject',
  ].join(' && '))
  const rules = await vm.succeed('nft list ruleset')
  t.match(rules, /type nat hook postrouting priority srcnat; policy accept;/)
  t.match(rules, /oifname "eth0" masquerade/)
  t.match(rules, /type filter hook forward priority filter; policy drop;/)
  t.match(rules, /ct state established,related accept/)
  // a drop rule on the output path: 127.0.0.2 stops answering, 127.0.0.1 still does
  await vm.succeed('ip link set lo up && ping -c 1 -W 2 127.0.0.2')
  await vm.succeed("nft add table ip t && nft add chain ip t out '{ type filter hook output priority 0; }' && nft add rule ip t out ip daddr 127.0.0.2 counter drop")
  await vm.fail('ping -c 1 -W 2 127.0.0.2')
  await vm.succeed('ping -c 1 -W 2 127.0.0.1')
  t.match(await vm.succeed('nft list chain ip t out'), /counter packets [1-9]\d* bytes \d+ drop/, 'the rule counted the dropped packet')
})

t.test('bootcheck-install refuses bad input at once, naming it', async t => {
  const vm = await demoShell(t, 'guest-install-errors')
  const started = Date.now()
  t.match(await vm.fail('bootcheck-install 2>&1'), /bootcheck-install: error: no disk given \(usage: bootcheck-install/)
  t.match(await vm.fail('bootcheck-install --frob /dev/vda 2>&1'), /error: unknown option --frob/)
  t.match(await vm.fail('bootcheck-install /dev/nonexistent 2>&1'), /error: \/dev\/nonexistent is not a block device/)
  t.match(await vm.fail('bootcheck-install --kernel /nope /dev/sr0 2>&1'), /error: no kernel at \/nope/)
  t.match(await vm.fail('bootcheck-install /dev/sr0 2>&1'), /error: \/dev\/sr0 \(or a partition of it\) is mounted/, 'the live CD itself')
  t.ok(Date.now() - started < 30_000, `all refused within ${Date.now() - started} ms`)
})
