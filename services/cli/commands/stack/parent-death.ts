import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The command prefix that makes a child of `meshray stack` receive SIGTERM when the stack process dies, however
 * it dies (killed -9 too): `setpriv --pdeathsig TERM --` (util-linux ≥ 2.33, on Debian 10+, Ubuntu 20.04+, RHEL 9),
 * which sets the kernel's parent-death signal (prctl PR_SET_PDEATHSIG) and execs the command, so the child keeps
 * its pid. The services and the broker run in process groups of their own (ordered shutdown), so without it a
 * stack killed -9 left them running on its ports.
 *
 * The first `setpriv` on PATH (absolute entries only: the children start in another directory) is tried once,
 * `setpriv --pdeathsig TERM -- true`: an older one without the option (util-linux 2.32, RHEL 8) would make every
 * child fail to start. Empty when none works, or not on Linux: the children are then spawned as they are.
 */
export function parentDeathPrefix(pathEnv: string | undefined, platform: NodeJS.Platform = process.platform): string[] {
  if (platform !== 'linux') return [];
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, 'setpriv');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    const prefix = [candidate, '--pdeathsig', 'TERM', '--'];
    const probe = spawnSync(candidate, [...prefix.slice(1), 'true'], { stdio: 'ignore', timeout: 5000, env: { PATH: pathEnv ?? '' } });
    return probe.status === 0 ? prefix : [];
  }
  return [];
}
