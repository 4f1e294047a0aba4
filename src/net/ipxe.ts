/** iPXE scripts bootcheck writes: the chain script that passes extra kernel parameters. */
import { SpecError } from '../errors/errors.js'

/** The name the chain script is served under, in the HTTP root. */
export const IPXE_CHAIN_SCRIPT = 'bootcheck-chain.ipxe'

/**
 * An iPXE script that sets `cmdline` and chains to `target` (a path relative to the
 * chain script's URL, or a URL). NixOS's `netboot.ipxe` ends its `kernel` line with
 * `${cmdline}`, so parameters set here reach the kernel without changing the script.
 */
export function ipxeChainScript(target: string, kernelParams: readonly string[]): string {
  for (const p of [target, ...kernelParams]) {
    if (/[\r\n]/.test(p)) throw new SpecError(`iPXE script: ${JSON.stringify(p)} holds a line break`)
    if (p.includes('${')) throw new SpecError(`iPXE script: ${JSON.stringify(p)} holds \${, which iPXE would expand`)
  }
  if (/\s/.test(target)) throw new SpecError(`iPXE script: the target ${JSON.stringify(target)} holds blanks`)
  const lines = ['#!ipxe', '# written by bootcheck: extra kernel parameters for a script that reads ${cmdline}']
  if (kernelParams.length) lines.push(`set cmdline ${kernelParams.join(' ')}`)
  lines.push(`chain ${target}`, '')
  return lines.join('\n')
}

