/**
 * A netboot server in a guest: the files a demo live system serves to diskless clients
 * on its network (DHCP with busybox `udhcpd`, TFTP with `in.tftpd` from tftpd-hpa, HTTP
 * with busybox `httpd`), packed into an ext4 disk image the server mounts at /srv.
 *
 * Clients PXE-boot with their NIC's iPXE ROM, which DHCP points at `boot.ipxe`: clients
 * whose MAC is listed in `httpClients` chain to the netboot image's `netboot.ipxe` over
 * HTTP; the others run pxelinux over TFTP.
 * @module
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import type { LiveMedia } from './debian/build.js'

/** Options of {@link netbootServerDisk}. */
export interface NetbootServerOptions {
  /** The server's address on the network (a /24 is served). Default `10.0.0.1`. */
  address?: string
  /** MAC addresses of clients that boot over HTTP with iPXE instead of pxelinux over TFTP. */
  httpClients?: string[]
  /** Kernel parameters added for the clients. */
  extraParams?: string[]
  /**
   * More files to serve, by their path in the served tree: a host file (`{ path }`) or a
   * text. E.g. a board's kernel and a `pxelinux.cfg/01-<mac>` that U-Boot's `pxe get` finds
   * before the x86 clients' `pxelinux.cfg/default`.
   */
  files?: Record<string, string | { path: string }>
}

/** The server side, run in the guest as `sh /srv/serve.sh` once the disk is mounted at /srv (`mkdir -p /srv && mount -o ro /dev/vda /srv`). */
export function serveScript(address: string): string {
  const net = address.split('.').slice(0, 3).join('.')
  return [
    '#!/bin/sh',
    '# Serves /srv to the network on the first NIC: DHCP (udhcpd), TFTP (in.tftpd), HTTP (httpd).',
    'set -e',
    'IF=$(ls /sys/class/net | grep -v "^lo$" | head -n 1)',
    'ip link set "$IF" up',
    `ip addr add ${address}/24 dev "$IF"`,
    'syslogd -O /tmp/messages',
    'cat > /tmp/udhcpd.conf <<EOF',
    `start ${net}.100`,
    `end ${net}.150`,
    'interface $IF',
    'lease_file /tmp/udhcpd.leases',
    'auto_time 1',
    `siaddr ${address}`,
    'boot_file boot.ipxe',
    'option subnet 255.255.255.0',
    'EOF',
    'touch /tmp/udhcpd.leases',
    'udhcpd -S /tmp/udhcpd.conf',
    'in.tftpd --listen --user root --verbose --secure /srv',
    'httpd -f -vv -p 80 -h /srv </dev/null >/dev/null 2>/tmp/httpd.log &',
    'echo serving',
    '',
  ].join('\n')
}

/**
 * Writes an ext4 image (label `netboot`, 64 MiB or as large as its files need) at `out` holding the demo netboot image
 * (`bzImage`, `initrd`, `netboot.ipxe`), pxelinux with a configuration for the serial
 * console, the dispatching `boot.ipxe` and `serve.sh`. Uses the host's pxelinux
 * (Debian pxelinux, syslinux-common) and `mke2fs -d` (e2fsprogs); no root needed.
 */
export async function netbootServerDisk(media: LiveMedia, out: string, options: NetbootServerOptions = {}): Promise<string> {
  const address = options.address ?? '10.0.0.1'
  const nb = media.netboot
  const tree = await mkdtemp(join(tmpdir(), 'bootcheck-netboot-tree-'))
  try {
    await copyFile(nb.kernel, join(tree, 'bzImage'))
    await copyFile(nb.initrd, join(tree, 'initrd'))
    await copyFile(nb.ipxeScript, join(tree, 'netboot.ipxe'))
    await copyFile('/usr/lib/PXELINUX/pxelinux.0', join(tree, 'pxelinux.0'))
    await copyFile('/usr/lib/syslinux/modules/bios/ldlinux.c32', join(tree, 'ldlinux.c32'))
    await mkdir(join(tree, 'pxelinux.cfg'))
    const params = [...nb.kernelParams, ...(options.extraParams ?? [])].join(' ')
    await writeFile(
      join(tree, 'pxelinux.cfg', 'default'),
      ['serial 0 115200', 'default netboot', 'prompt 0', 'timeout 0', 'label netboot', '  kernel bzImage', `  append ${params}`, ''].join('\n'),
    )
    // netboot.ipxe appends ${cmdline} to its kernel line
    const extra = (options.extraParams ?? []).join(' ')
    await writeFile(
      join(tree, 'boot.ipxe'),
      [
        '#!ipxe',
        ...(extra ? [`set cmdline ${extra}`] : []),
        ...(options.httpClients ?? []).map(mac => `iseq \${net0/mac} ${mac.toLowerCase()} && chain http://${address}/netboot.ipxe ||`),
        `chain tftp://${address}/pxelinux.0`,
        '',
      ].join('\n'),
    )
    await writeFile(join(tree, 'serve.sh'), serveScript(address), { mode: 0o755 })
    for (const [name, file] of Object.entries(options.files ?? {})) {
      await mkdir(dirname(join(tree, name)), { recursive: true })
      if (typeof file === 'string') await writeFile(join(tree, name), file)
      else await copyFile(file.path, join(tree, name))
    }
    await rm(out, { force: true })
    // 64 MiB, or room for what the tree holds and a third more (a board's kernel is large)
    const usedKiB = Number((await promisify(execFile)('du', ['-sk', tree])).stdout.split(/\s/)[0])
    const sizeMiB = Math.max(64, Math.ceil((usedKiB * 4) / 3 / 1024) + 16)
    await promisify(execFile)('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'netboot', '-d', tree, out, `${sizeMiB}M`], {
      env: { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000' },
    })
    return out
  } finally {
    await rm(tree, { recursive: true, force: true })
  }
}
